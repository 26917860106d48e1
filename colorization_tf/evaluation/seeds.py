"""The spread over training seeds: a method trained N times with different seeds (one run
directory each, ``colorization-reproduce --seeds=N``) and evaluated on the same images;
for each figure the mean over the seeds, their standard deviation (ddof 1), the range,
and beside it every seed's own value with its per-image bootstrap interval.

The per-image intervals say how much a figure depends on the images drawn; the seed
spread says how much it depends on training. Works on the JSON-ready ``results`` of
``compare.evaluate_runs`` alone.
"""

from __future__ import annotations

import math

import numpy as np

from colorization_tf.evaluation.scoring import METRICS
from colorization_tf.evaluation.tables import markdown_table

TABLE_1 = (("mae", "train", "Train (MAE)"), ("mae", "val", "Validation (MAE)"),
           ("mae", "test", "Test (MAE)"))


def spread(values: list[float]) -> dict:
    """``{"mean", "std", "min", "max", "n"}`` of the finite ``values`` (std with ddof 1,
    None for fewer than 2 values; every field None without values)."""
    kept = np.asarray([v for v in values if v is not None and math.isfinite(v)], np.float64)
    if not kept.size:
        return {"mean": None, "std": None, "min": None, "max": None, "n": 0}
    return {"mean": float(kept.mean()),
            "std": float(np.std(kept, ddof=1)) if kept.size > 1 else None,
            "min": float(kept.min()), "max": float(kept.max()), "n": int(kept.size)}


def _figures(entry: dict, split: str) -> list[tuple[str, float | None, list | None]]:
    """(label, value, interval) of every figure of one run that a seed summary covers."""
    out = [(label, entry.get("mae", {}).get(s), (entry.get("mae_ci") or {}).get(s))
           for _, s, label in TABLE_1]
    found = entry.get("metrics") or {}
    for metric in METRICS:
        if metric.key != "mae" and metric.key in found:
            out.append((f"{metric.label} ({split})", found[metric.key],
                        (found.get("ci") or {}).get(metric.key)))
    if found.get("psnr_rgb") is not None:
        out.append((f"PSNR of the RGB output ({split})", found["psnr_rgb"],
                    (found.get("ci") or {}).get("psnr_rgb")))
    for network, scores in (entry.get("distribution") or {}).items():
        if isinstance(scores, dict) and scores.get("accuracy") is not None:
            out.append((f"Accuracy ({network} classifier)", scores["accuracy"],
                        scores.get("accuracy_ci")))
    return out


def seed_summary(results: dict, groups: dict[str, list[str]]) -> dict:
    """``{"groups": {method: {"runs": [...], "rows": [{label, mean, std, min, max, n,
    per_seed: [{run, value, ci}]}]}}}`` for each method of ``groups`` (method -> the names
    of its runs in ``results``, one per seed): a row per figure any of its runs has, in the
    order the runs list them, with the seeds that have it."""
    by_name = {entry["name"]: entry for entry in results["runs"]}
    out = {}
    for method, names in groups.items():
        entries = [by_name[name] for name in names if name in by_name]
        if not entries:
            continue
        # matched by label: a run without one figure keeps its others in their rows
        per_run = [{label: (value, ci) for label, value, ci in _figures(entry, results["split"])}
                   for entry in entries]
        rows = []
        for label in dict.fromkeys(label for figures in per_run for label in figures):
            seeds = [{"run": entry["name"], "value": figures[label][0], "ci": figures[label][1]}
                     for entry, figures in zip(entries, per_run, strict=True)
                     if label in figures]
            rows.append({"label": label, **spread([s["value"] for s in seeds]),
                         "per_seed": seeds})
        out[method] = {"runs": [entry["name"] for entry in entries], "rows": rows}
    return {"groups": out}


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    if math.isinf(value):
        return "inf"
    return f"{value:.2f}" if abs(value) >= 10 else f"{value:.4f}"


def markdown(summary: dict) -> str:
    """One table per method: each figure's mean over the seeds, standard deviation and
    range, then every seed's value with its per-image interval."""
    parts = ["## Spread over training seeds", "",
             "Each method trained once per seed on the same data; mean and standard "
             "deviation (ddof 1) over the seeds and their range [min, max], then each "
             "seed's own value with its bootstrap interval over the images.", ""]
    for method, group in summary["groups"].items():
        runs = group["runs"]
        header = ["Figure", "Mean over seeds", "Std over seeds", "Range",
                  *[f"`{run}`" for run in runs]]
        rows = []
        for row in group["rows"]:
            cells = [row["label"], _num(row["mean"]), _num(row["std"]),
                     f"[{_num(row['min'])}, {_num(row['max'])}]"]
            by_run = {s["run"]: s for s in row["per_seed"]}
            for run in runs:
                found = by_run.get(run)
                if not found:
                    cells.append("-")
                    continue
                ci = found["ci"]
                cells.append(_num(found["value"]) + (f" [{_num(ci[0])}, {_num(ci[1])}]"
                                                     if ci and ci[0] is not None else ""))
            rows.append(cells)
        parts += [f"### `{method}`: {len(runs)} seed(s)", "", markdown_table(header, rows), ""]
    return "\n".join(parts).rstrip()
