"""Writes what ``colorization-evaluate`` found: report.md (Galvão et al.'s Table 1
layout, then every metric, Li and Wang's accuracy table and the distribution scores, best
value in bold), metrics.json, comparison.png (Figure 4 layout), loss curves and, for
classification runs, the decoder comparison."""

from __future__ import annotations

import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from colorization_tf import files  # noqa: E402
from colorization_tf.evaluation import paper_report  # noqa: E402
from colorization_tf.evaluation.compare import MAE_SPLITS, Evaluation  # noqa: E402
from colorization_tf.evaluation.loss_curves import plot_loss_curves  # noqa: E402
from colorization_tf.evaluation.scoring import METRICS  # noqa: E402
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
             *([paper_report.markdown(results, results["paper"]), ""]
               if results.get("paper") else []),
             "## Table 1: MAE on the paper's ab scale", "", table_1(results), "",
             f"## Every metric on the {split} split", "", metrics_table(results), "",
             METRIC_NOTES, ""]
    if results.get("distribution"):
        parts += [distribution_section(results), ""]
    for entry in entries:
        if entry.get("decoders"):
            parts += [f"## Decoders of `{entry['name']}` (classification)", "",
                      decoder_table(entry["decoders"]), "",
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
    "images reproduced exactly (infinite PSNR) out of the mean. Best run value in bold.")


def table_1(results: dict) -> str:
    """Rows: models; columns: train / validation / test MAE, then, with a Turing-test
    study (``results["turing"]``), the share of correct judgements (the paper's column,
    lower is better), the fooled rate, its Wilson 95% interval and the number judged."""
    entries = results["runs"]
    best = {s: _best([e["mae"].get(s) for e in entries], "lower") for s in MAE_SPLITS}
    rows = [[e["name"], *[_fmt(e["mae"].get(s), j in best[s]) for s in MAE_SPLITS]]
            for j, e in enumerate(entries)]
    header = ["Model", *[SPLIT_LABELS[s] for s in MAE_SPLITS]]
    turing = results.get("turing")
    if turing is not None:
        header += ["Turing test (accuracy)", "Fooled", "95% CI (accuracy)", "n"]
        for row, entry in zip(rows, entries, strict=True):
            found = turing.get(entry["name"])
            row += _turing_cells(found) if found else ["-", "-", "-", "0"]
    return _table(header, rows)


def _turing_cells(found: dict) -> list[str]:
    if not found.get("shown"):
        return ["-", "-", "-", "0"]
    return [f"{found['accuracy']:.1%}", f"{found['fooled_rate']:.1%}",
            f"{found['ci_low']:.1%} - {found['ci_high']:.1%}", str(found["shown"])]


def metrics_table(results: dict) -> str:
    """Rows: models then the no-colour baseline; columns: every metric of ``METRICS``."""
    entries = results["runs"]
    target = results["no_colour"].get("colorfulness_true")
    header = ["Model", *[m.label for m in METRICS]]
    best = {m.key: _best([e["metrics"].get(m.key) for e in entries], m.better, target)
            for m in METRICS}
    rows = [[e["name"], *[_fmt(e["metrics"].get(m.key), i in best[m.key])
                          for m in METRICS]] for i, e in enumerate(entries)]
    rows.append([f"*{BASELINE}*", *[_fmt(results["no_colour"].get(m.key)) for m in METRICS]])
    raw = [f"{e['name']} {_fmt(e['metrics']['psnr_rgb'])} dB" for e in entries
           if e["metrics"].get("psnr_rgb") is not None]
    note = (f"\n\nPSNR of the raw RGB output, its own lightness included (Tran and Ly's "
            f"reconstruction figure): {', '.join(raw)}." if raw else "")
    return (_table(header, rows)
            + f"\n\nColorfulness of the ground truth: {_fmt(target)}." + note)


def decoder_table(decoders: list[dict]) -> str:
    """Rows: decoder settings; columns: colorfulness, MAE, PSNR."""
    target = decoders[0]["colorfulness_true"] if decoders else None
    columns = (("colorfulness", "Colorfulness", "closer"), ("mae", "MAE", "lower"),
               ("psnr", "PSNR (dB)", "higher"))
    best = {k: _best([d[k] for d in decoders], b, target) for k, _, b in columns}
    rows = [[d["decoder"], *[_fmt(d[k], i in best[k]) for k, _, _ in columns]]
            for i, d in enumerate(decoders)]
    return (_table(["Decoder", *[label for _, label, _ in columns]], rows)
            + f"\n\nColorfulness of the ground truth: {_fmt(target)}.")


def distribution_section(results: dict) -> str:
    """Li and Wang's accuracy table and the distribution scores, one block per network."""
    parts = []
    for key, block in results["distribution"].items():
        rows = block["rows"]
        names = list(rows)
        runs_only = names[1:-1]
        title = "reference classifier" if key == "reference" else "InceptionV3"
        parts += [f"## Semantic interpretability and distribution scores ({title})", "",
                  f"Network: {block['network']}.", ""]
        accuracy = [rows[n]["accuracy"] for n in names]
        best_acc = _best([rows[n]["accuracy"] for n in runs_only], "higher")
        if any(a is not None for a in accuracy):
            parts += ["Classification accuracy (Li and Wang's table):", "",
                      _table(["", *names], [["Accuracy", *[
                          _fmt(a, (i - 1) in best_acc and 0 < i < len(names) - 1)
                          for i, a in enumerate(accuracy)]]]), ""]
        best_is = _best([rows[n]["inception_score"] for n in runs_only], "higher")
        best_fd = _best([rows[n]["frechet_distance"] for n in runs_only], "lower")
        table_rows = []
        for i, n in enumerate(names):
            in_runs = 0 < i < len(names) - 1
            table_rows.append([n, _fmt(rows[n]["inception_score"],
                                       in_runs and (i - 1) in best_is),
                               _fmt(rows[n]["frechet_distance"],
                                    in_runs and (i - 1) in best_fd)])
        parts += [_table(["Images", "Inception-style score", "Frechet distance to ground truth"],
                         table_rows), ""]
    return "\n".join(parts).rstrip()


def _best(values: list, better: str, target: float | None = None) -> set[int]:
    """Indices of the best finite value(s)."""
    scored = [(i, v) for i, v in enumerate(values)
              if isinstance(v, (int, float)) and math.isfinite(v)]
    if not scored:
        return set()
    if better == "closer" and target is not None:
        key = [abs(v - target) for _, v in scored]
        pick = min(key)
    else:
        key = [v for _, v in scored]
        pick = max(key) if better == "higher" else min(key)
    return {i for (i, _), k in zip(scored, key, strict=True) if k == pick}


def _fmt(value, bold: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and math.isinf(value):
        text = "inf"
    elif isinstance(value, int):
        text = str(value)
    else:
        text = f"{value:.2f}" if abs(value) >= 10 else f"{value:.4f}"
    return f"**{text}**" if bold else text


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


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
