"""Writes what ``colorization-evaluate`` found: report.md (Galvão et al.'s Table 1
layout, then every metric, the paired comparisons, Li and Wang's accuracy table and the
distribution scores; every per-image figure with its bootstrap interval, a best value in
bold only where the paired comparisons distinguish it), metrics.json, comparison.png (Figure 4 layout), loss curves and, for
classification runs, the decoder comparison."""

from __future__ import annotations

import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from colorization_tf import files  # noqa: E402
from colorization_tf.evaluation import paired, paper_report, seeds  # noqa: E402
from colorization_tf.evaluation.compare import BASELINE_ROW, MAE_SPLITS, Evaluation  # noqa: E402
from colorization_tf.evaluation.loss_curves import plot_loss_curves  # noqa: E402
from colorization_tf.evaluation.scoring import METRICS  # noqa: E402
from colorization_tf.evaluation.tables import markdown_table  # noqa: E402
from colorization_tf.training.run_dir import RunDir  # noqa: E402

REPORT, METRICS_JSON, COMPARISON = "report.md", "metrics.json", "comparison.png"
SPLIT_LABELS = {"train": "Train (MAE)", "val": "Validation (MAE)", "test": "Test (MAE)"}
BASELINE = "No colour (baseline)"


def write_outputs(evaluation: Evaluation, out_dir: str,
                  paper: str | None = None) -> dict[str, str]:
    """Writes every output into ``out_dir`` and returns {what: path}; with ``paper`` (a
    short name of ``papers``), report.md and metrics.json put that paper's tables beside
    the measured figures."""
    os.makedirs(out_dir, exist_ok=True)
    results, images = evaluation.results, evaluation.images
    if paper:
        results = {**results, "paper": paper,
                   "paper_comparison": paper_report.compare(results, paper)}
    written = {"comparison": os.path.join(out_dir, COMPARISON)}
    comparison_figure([("(a) Grayscale", images["gray"]), ("(b) Original", images["original"])]
                      + [(f"({chr(ord('c') + i)}) {name}", rgb)
                         for i, (name, rgb) in enumerate(images["runs"].items())],
                      written["comparison"])
    for name, grid in images["decoders"].items():
        path = os.path.join(out_dir, f"decoders-{name}.png")
        comparison_figure([("Grayscale", images["gray"]), ("Original", images["original"])]
                          + list(grid.items()), path)
        written[f"decoders-{name}"] = path
    loss_notes = {}
    for entry, run_dir in zip(results["runs"], evaluation.run_dirs, strict=True):
        path, note = _loss_curves(run_dir, os.path.join(out_dir, f"loss-{entry['name']}.png"))
        if path:
            written[f"loss-{entry['name']}"] = path
        loss_notes[entry["name"]] = path and os.path.basename(path) or note
    written["report"] = os.path.join(out_dir, REPORT)
    files.write_text(written["report"], markdown_report(results, loss_notes))
    written["metrics"] = os.path.join(out_dir, METRICS_JSON)
    files.write_json(written["metrics"], results)
    return written


def _loss_curves(run_dir: str, path: str) -> tuple[str | None, str]:
    """Plots the run's history.csv (Figure 3) when it has one."""
    history = RunDir(run_dir).history
    if not os.path.isfile(history):
        return None, f"no {os.path.basename(history)} in {run_dir}"
    plot_loss_curves(history, path)
    return path, ""


def markdown_report(results: dict, loss_notes: dict[str, str] | None = None) -> str:
    """The whole report as Markdown."""
    split, entries = results["split"], results["runs"]
    parts = [f"# Colorization evaluation: {results['dataset']}, {split} split", "",
             f"{len(entries)} run(s), in the order given: "
             + ", ".join(f"`{e['name']}` ({e['run_dir']})" for e in entries) + ".",
             *([f"Images per split: at most {results['max_examples']}."]
               if results.get("max_examples") else []), "",
             interval_note(results), "",
             *([paper_report.markdown(results, results["paper"]), ""]
               if results.get("paper") else []),
             *([seeds.markdown(results["seeds"]), ""] if results.get("seeds") else []),
             "## Table 1: MAE on the paper's ab scale", "", table_1(results), "",
             f"## Every metric on the {split} split", "", metrics_table(results), "",
             METRIC_NOTES, ""]
    if results.get("paired"):
        parts += [paired_section(results), ""]
    if results.get("distribution"):
        parts += [distribution_section(results), ""]
    for entry in entries:
        if entry.get("decoders"):
            parts += [f"## Decoders of `{entry['name']}` (classification)", "",
                      decoder_table(entry["decoders"], entry.get("decoder_pairs")), "",
                      f"![decoders](decoders-{entry['name']}.png)", ""]
    parts += ["## Figures", "", "![comparison](comparison.png)", "",
              "Columns: grayscale input, original, then one per run (Figure 4 layout).", ""]
    for name, note in (loss_notes or {}).items():
        parts.append(f"![loss curves of {name}]({note})" if note.endswith(".png")
                     else f"Loss curves of `{name}`: not drawn ({note}).")
    return "\n".join(parts).rstrip() + "\n"


METRIC_NOTES = (
    "MAE and MSE: ab in [-1, 1]. PSNR, SSIM (11x11 Gaussian window, sigma 1.5), CIEDE2000 "
    "and colorfulness (Hasler and Suesstrunk) on 8-bit sRGB; colorfulness counts as best "
    "when closest to the ground truth's. Pixel accuracy: share of pixels whose L, a, b lie "
    "within 2% / 5% of the Lab range of the ground truth (Nazeri et al.). PSNR leaves "
    "images reproduced exactly (infinite PSNR) out of the mean. A value is in bold only "
    "where the paired comparison (below) distinguishes it from every other row, the "
    "no-colour baseline included.")


def interval_note(results: dict) -> str:
    """How the bracketed intervals were computed."""
    boot = results.get("bootstrap") or {}
    level = boot.get("confidence", 0.95)
    return (f"Each figure is a mean over the evaluated images followed by its "
            f"{level:.0%} bootstrap confidence interval over those images, "
            f"`mean [low, high]` ({boot.get('resamples', '?')} resamples, seed "
            f"{boot.get('seed', '?')}, {boot.get('method', 'bootstrap')}). The interval says "
            "how much the figure depends on which images were drawn, not on the training "
            "seed (see the seeds section where there is one).")


def _pairs(results: dict, split: str, metric: str) -> list[dict]:
    return ((results.get("paired") or {}).get(split) or {}).get(metric) or []


def table_1(results: dict) -> str:
    """Rows: models; columns: train / validation / test MAE with their intervals, then,
    with a Turing-test study (``results["turing"]``), the share of correct judgements (the
    paper's column, lower is better), the fooled rate, its Wilson 95% interval and the
    number judged. A best MAE is bold only where distinguishable from every other run."""
    entries = results["runs"]
    names = [e["name"] for e in entries]
    best = {s: paired.distinguishable_best(names, _pairs(results, s, "mae"))
            for s in MAE_SPLITS}
    rows = [[e["name"], *[_fmt_ci(e["mae"].get(s), (e.get("mae_ci") or {}).get(s),
                                  e["name"] in best[s]) for s in MAE_SPLITS]]
            for e in entries]
    header = ["Model", *[SPLIT_LABELS[s] for s in MAE_SPLITS]]
    turing = results.get("turing")
    if turing is not None:
        header += ["Turing test (accuracy)", "Fooled", "95% CI (accuracy)", "n"]
        for row, entry in zip(rows, entries, strict=True):
            found = turing.get(entry["name"])
            row += _turing_cells(found) if found else ["-", "-", "-", "0"]
    return markdown_table(header, rows)


def _turing_cells(found: dict) -> list[str]:
    if not found.get("shown"):
        return ["-", "-", "-", "0"]
    return [f"{found['accuracy']:.1%}", f"{found['fooled_rate']:.1%}",
            f"{found['ci_low']:.1%} - {found['ci_high']:.1%}", str(found["shown"])]


def metrics_table(results: dict) -> str:
    """Rows: models then the no-colour baseline; columns: every metric of ``METRICS``, each
    ``mean [low, high]``; bold where the paired comparisons make a row the best."""
    entries = results["runs"]
    baseline = results["no_colour"]
    target = baseline.get("colorfulness_true")
    header = ["Model", *[m.label for m in METRICS]]
    names = [e["name"] for e in entries] + [BASELINE_ROW]
    best = {m.key: paired.distinguishable_best(names, _pairs(results, results["split"], m.key))
            for m in METRICS}
    rows = [[e["name"], *[_fmt_ci(e["metrics"].get(m.key),
                                  (e["metrics"].get("ci") or {}).get(m.key),
                                  e["name"] in best[m.key]) for m in METRICS]]
            for e in entries]
    rows.append([f"*{BASELINE}*", *[_fmt_ci(baseline.get(m.key),
                                            (baseline.get("ci") or {}).get(m.key),
                                            BASELINE_ROW in best[m.key]) for m in METRICS]])
    raw = [f"{e['name']} {_fmt_ci(e['metrics']['psnr_rgb'], e['metrics'].get('ci', {}).get('psnr_rgb'))} dB"
           for e in entries if e["metrics"].get("psnr_rgb") is not None]
    note = (f"\n\nPSNR of the raw RGB output, its own lightness included (Tran and Ly's "
            f"reconstruction figure): {', '.join(raw)}." if raw else "")
    return (markdown_table(header, rows)
            + f"\n\nColorfulness of the ground truth: {_fmt(target)}." + note)


def paired_section(results: dict) -> str:
    """Every pair of rows scored on the same images: the difference of each metric (first
    minus second; colorfulness: distance to the ground truth's) with its paired-bootstrap
    interval and the verdict."""
    split = results["split"]
    labels = {m.key: m.label for m in METRICS}
    parts = ["## Paired comparisons", "",
             "Difference first minus second row over the same images (colorfulness: "
             "distance to the ground truth's colorfulness, first minus second), with its "
             "paired-bootstrap interval (the same resampled images for both rows). Where the "
             "interval contains 0 the two rows are *not distinguishable on these images*, "
             "however the point values differ.", ""]
    for s, by_metric in results["paired"].items():
        for key, pairs in by_metric.items():
            if not pairs:
                continue
            title = labels.get(key, key) + ("" if s == split else f", {s} split")
            rows = [[_row_name(p["a"]), _row_name(p["b"]),
                     _fmt_ci(p["difference"], [p["low"], p["high"]], signed=True),
                     paired.verdict(p).replace(f"`{BASELINE_ROW}`", BASELINE), str(p["n"])]
                    for p in pairs]
            header = ["First", "Second", "Difference [95% CI]", "Verdict", "Images"]
            parts += [f"### {title}", "", markdown_table(header, rows), ""]
    return "\n".join(parts).rstrip()


def _row_name(name: str) -> str:
    return BASELINE if name == BASELINE_ROW else f"`{name}`"


def decoder_table(decoders: list[dict], pairs: dict | None = None) -> str:
    """Rows: decoder settings; columns: colorfulness, MAE, PSNR with their intervals; bold
    where the paired comparisons of the decoders make one the best."""
    target = decoders[0]["colorfulness_true"] if decoders else None
    columns = (("colorfulness", "Colorfulness"), ("mae", "MAE"), ("psnr", "PSNR (dB)"))
    names = [d["decoder"] for d in decoders]
    best = {k: paired.distinguishable_best(names, (pairs or {}).get(k) or [])
            for k, _ in columns}
    rows = [[d["decoder"], *[_fmt_ci(d[k], (d.get("ci") or {}).get(k), d["decoder"] in best[k])
                             for k, _ in columns]] for d in decoders]
    not_distinguished = sorted({f"{p['a']} / {p['b']} ({k})" for k, _ in columns
                                for p in (pairs or {}).get(k) or []
                                if not p.get("distinguishable")})
    note = (f"\n\nNot distinguishable on these images: {'; '.join(not_distinguished)}."
            if not_distinguished else "")
    return (markdown_table(["Decoder", *[label for _, label in columns]], rows)
            + f"\n\nColorfulness of the ground truth: {_fmt(target)}." + note)


def distribution_section(results: dict) -> str:
    """Li and Wang's accuracy table (with intervals) and the distribution scores, one
    block per network."""
    parts = []
    for key, block in results["distribution"].items():
        rows = block["rows"]
        names = list(rows)
        runs_only = names[1:-1]
        title = "reference classifier" if key == "reference" else "InceptionV3"
        parts += [f"## Semantic interpretability and distribution scores ({title})", "",
                  f"Network: {block['network']}.", ""]
        accuracy = [rows[n]["accuracy"] for n in names]
        pairs = (block.get("paired") or {}).get("accuracy") or []
        best_acc = paired.distinguishable_best(runs_only, pairs)
        if any(a is not None for a in accuracy):
            parts += ["Classification accuracy (Li and Wang's table), with its bootstrap "
                      "interval over the images; bold only where one run is distinguishable "
                      "from every other run:", "",
                      markdown_table(["", *names], [["Accuracy", *[
                          _fmt_ci(rows[n]["accuracy"], rows[n].get("accuracy_ci"),
                                  n in best_acc) for n in names]]]), ""]
            undecided = [f"`{p['a']}` / `{p['b']}`" for p in pairs
                         if p["a"] in runs_only and p["b"] in runs_only
                         and not p.get("distinguishable")]
            if undecided:
                parts += ["Accuracy not distinguishable on these images: "
                          + ", ".join(undecided) + ".", ""]
        table_rows = [[n, _fmt(rows[n]["inception_score"]), _fmt(rows[n]["frechet_distance"])]
                      for n in names]
        parts += [markdown_table(["Images", "Inception-style score",
                                  "Frechet distance to ground truth"], table_rows), "",
                  "The Inception-style score and the Frechet distance are statistics of the "
                  "whole set of images: they carry no per-image interval here, so no value "
                  "is marked best.", ""]
    return "\n".join(parts).rstrip()


def hint_intervals(hinted: dict[str, dict]) -> str:
    """Markdown: each method's PSNR at each number of revealed points with its bootstrap
    interval over the images (``hints.json``'s ``psnr_ci``), under the hints table."""
    counts = next(iter(hinted.values()))["points"]
    rows = [[name, *[_fmt_ci(value, ci) for value, ci in
                     zip(found["psnr"], found.get("psnr_ci") or [None] * len(counts),
                         strict=True)]] for name, found in hinted.items()]
    return ("\nPSNR (dB) with its 95% bootstrap interval over the images:\n\n"
            + markdown_table(["Method", *[f"@{n}" for n in counts]], rows) + "\n")


def _fmt(value, bold: bool = False, signed: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and math.isinf(value):
        text = "inf"
    elif isinstance(value, int):
        text = str(value)
    else:
        sign = "+" if signed else ""
        text = f"{value:{sign}.2f}" if abs(value) >= 10 else f"{value:{sign}.4f}"
    return f"**{text}**" if bold else text


def _fmt_ci(value, ci, bold: bool = False, signed: bool = False) -> str:
    """``mean [low, high]`` (the mean in bold when ``bold``); the mean alone without an
    interval."""
    text = _fmt(value, bold, signed)
    if value is None or not ci or ci[0] is None or ci[1] is None:
        return text
    return f"{text} [{_fmt(ci[0])}, {_fmt(ci[1])}]"


# ------------------------------------------------------------------ figure


def comparison_figure(columns: list[tuple[str, np.ndarray]], path: str,
                      cell_inches: float = 1.3) -> None:
    """Figure 4 layout: one column per (title, images [N,H,W,3] in [0,1]), one row per
    image."""
    n_rows, n_cols = len(columns[0][1]), len(columns)
    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False,
                             figsize=(cell_inches * n_cols, cell_inches * n_rows + 0.4))
    for c, (title, images) in enumerate(columns):
        for r in range(n_rows):
            ax = axes[r][c]
            ax.imshow(np.clip(images[r], 0.0, 1.0), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(title, fontsize=8)
    fig.tight_layout()
    with files.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
