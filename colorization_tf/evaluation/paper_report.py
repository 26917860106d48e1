"""A paper's published tables beside what an evaluation measured (``colorization-evaluate
--paper=NAME``): for each paper row, the matching run's figure with its 95% interval, the paper's value,
the difference (measured - paper) and whether the paper's value lies inside the interval, '-' where the evaluation did not measure it; under each
table the paper's conditions, and a plain statement of where this evaluation's conditions
(dataset, resolution, epochs, images) differ from them.

Works on the JSON-ready ``results`` of ``compare.evaluate_runs`` alone, so a hand-made
evaluation tests it.
"""

from __future__ import annotations

import math

from colorization_tf.evaluation import papers
from colorization_tf.evaluation.tables import markdown_table

SPLIT_OF = {"mae_train": "train", "mae_val": "val", "mae_test": "test"}
DISTRIBUTION_OF = {"reference_accuracy": ("reference", "accuracy"),
                   "inception_score": ("inception", "inception_score")}
IMAGE_ROWS = {"gray": "Grayscale", "ground_truth": "Ground truth"}
DECIMALS = {"ab": 4, "dB": 2, "score": 2}


# ------------------------------------------------------------------ finding the figures


def _same(a: float | None, b: float | None) -> bool:
    return a is None or b is None or math.isclose(a, b, rel_tol=1e-6)


def _entry_decoding(entry: dict) -> tuple[str | None, float | None]:
    return entry.get("decode"), entry.get("temperature")


def matching_entry(results: dict, match: papers.Match) -> dict | None:
    """The first run of ``results`` that a paper row compares with: same preset and, when
    the row names a decoder, evaluated with that decoder (and temperature)."""
    for entry in results.get("runs", []):
        if entry.get("preset") != match.preset:
            continue
        decode, temperature = _entry_decoding(entry)
        if match.decode is None or (decode == match.decode and
                                    (match.decode != "annealed" or
                                     _same(match.temperature, temperature))):
            return entry
    return None


def _decoder_row(results: dict, match: papers.Match) -> tuple[dict, str] | None:
    """The decoder-comparison row (and its run's name) of a classification run for a paper
    row naming a decoder the run was not itself evaluated with, or None."""
    for entry in results.get("runs", []):
        if entry.get("preset") != match.preset:
            continue
        for row in entry.get("decoders") or []:
            if row.get("decode") == match.decode and (
                    match.decode != "annealed" or _same(match.temperature, row.get("temperature"))):
                return row, entry["name"]
    return None


def _decoder_psnr(results: dict, match: papers.Match) -> tuple[float | None, str | None]:
    """PSNR of ``_decoder_row`` and its run's name, or (None, None)."""
    found = _decoder_row(results, match)
    return (found[0].get("psnr"), found[1]) if found else (None, None)


def _from_entry(results: dict, entry: dict, key: str) -> float | None:
    if key in SPLIT_OF:
        return entry.get("mae", {}).get(SPLIT_OF[key])
    if key == "turing_accuracy":
        found = (results.get("turing") or {}).get(entry["name"]) or {}
        return found.get("accuracy") if found.get("shown") else None
    if key in DISTRIBUTION_OF:
        network, name = DISTRIBUTION_OF[key]
        return ((entry.get("distribution") or {}).get(network) or {}).get(name)
    if key == "psnr":  # an RGB-predicting run's own output, as the paper measured it
        found = entry.get("metrics", {})
        return found.get("psnr_rgb") if found.get("psnr_rgb") is not None else found.get("psnr")
    return None


def _from_images(results: dict, images: str, key: str) -> float | None:
    if key not in DISTRIBUTION_OF:
        return None
    network, name = DISTRIBUTION_OF[key]
    rows = ((results.get("distribution") or {}).get(network) or {}).get("rows") or {}
    return (rows.get(IMAGE_ROWS[images]) or {}).get(name)


def measured(results: dict, row: papers.Row, key: str) -> tuple[float | None, str | None]:
    """(the evaluation's figure for ``key`` in the paper's ``row``, the run it came
    from); (None, None) where nothing measured it."""
    if row.match.images:
        value = _from_images(results, row.match.images, key)
        return _finite(value), (IMAGE_ROWS[row.match.images] if value is not None else None)
    entry = matching_entry(results, row.match)
    value = _from_entry(results, entry, key) if entry else None
    if value is None and key == "psnr" and row.match.decode:
        value, name = _decoder_psnr(results, row.match)
        return _finite(value), name
    return _finite(value), (entry["name"] if entry else None)


def measured_interval(results: dict, row: papers.Row, key: str) -> list[float] | None:
    """The 95% interval of the figure ``measured`` returns for ``key`` in ``row``: the
    bootstrap interval over the images (MAE, PSNR, reference accuracy) or the Wilson
    interval of a Turing-test share; None where the figure has none (Inception score)."""
    if row.match.images:
        if key != "reference_accuracy":
            return None
        rows = ((results.get("distribution") or {}).get("reference") or {}).get("rows") or {}
        return _bounds((rows.get(IMAGE_ROWS[row.match.images]) or {}).get("accuracy_ci"))
    entry = matching_entry(results, row.match)
    if entry is None:
        return _decoder_interval(results, row.match) if key == "psnr" and row.match.decode \
            else None
    if key in SPLIT_OF:
        return _bounds((entry.get("mae_ci") or {}).get(SPLIT_OF[key]))
    if key == "turing_accuracy":
        found = (results.get("turing") or {}).get(entry["name"]) or {}
        return _bounds([found.get("ci_low"), found.get("ci_high")]) if found.get("shown") \
            else None
    if key == "reference_accuracy":
        return _bounds(((entry.get("distribution") or {}).get("reference") or {})
                       .get("accuracy_ci"))
    if key == "psnr":
        found = entry.get("metrics", {})
        ci = found.get("ci") or {}
        return _bounds(ci.get("psnr_rgb") if found.get("psnr_rgb") is not None
                       else ci.get("psnr"))
    return None


def _decoder_interval(results: dict, match: papers.Match) -> list[float] | None:
    """The PSNR interval of ``_decoder_row``, or None."""
    found = _decoder_row(results, match)
    return _bounds((found[0].get("ci") or {}).get("psnr")) if found else None


def _bounds(ci) -> list[float] | None:
    if not ci or len(ci) != 2 or any(_finite(v) is None for v in ci):
        return None
    return [float(ci[0]), float(ci[1])]


def _finite(value) -> float | None:
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


# ------------------------------------------------------------------ comparing


def compare_table(results: dict, table: papers.PaperTable) -> dict:
    """JSON-ready rows {label, run, values: {key: {measured, paper, difference}}} and the
    differences in conditions."""
    rows = []
    for row in table.rows:
        values, run = {}, None
        for column in table.columns:
            value, source = measured(results, row, column.key)
            run = run or source
            paper = row.values.get(column.key)
            interval = measured_interval(results, row, column.key) if value is not None \
                else None
            values[column.key] = {
                "measured": value, "paper": paper,
                "difference": None if value is None or paper is None else value - paper,
                "interval": interval,
                "paper_inside": (None if interval is None or paper is None
                                 else interval[0] <= paper <= interval[1])}
        rows.append({"label": row.label, "run": run, "values": values})
    return {"id": table.id, "title": table.title, "where": table.where, "rows": rows,
            "differences": condition_differences(results, table)}


def compare(results: dict, paper_name: str) -> dict:
    """Every table of the paper against ``results`` (stored in metrics.json)."""
    paper = papers.get(paper_name)
    return {"paper": paper.name, "citation": paper.citation.text(),
            "tables": [compare_table(results, table) for table in paper.tables]}


def condition_differences(results: dict, table: papers.PaperTable) -> list[str]:
    """Plain sentences, one per condition in which this evaluation differs from the
    paper's (dataset, resolution, epochs, number of images); empty when none does."""
    cond = table.conditions
    out = []
    matched = [(row, matching_entry(results, row.match)) for row in table.rows
               if row.match.preset]
    matched = [(row, entry) for row, entry in matched if entry]
    trained_on = sorted({(e.get("conditions") or {}).get("train_dataset") or results["dataset"]
                         for _, e in matched})
    if results.get("dataset") != cond.dataset or any(d != cond.dataset for d in trained_on):
        out.append(f"Dataset: the paper used {cond.dataset}; these runs were trained on "
                   f"{', '.join(trained_on) or '-'} and evaluated on {results.get('dataset')}.")
    for row, entry in matched:
        mine = entry.get("conditions") or {}
        want = table.row_image_size(row)
        if want and mine.get("image_size") and mine["image_size"] != want:
            out.append(f"Resolution: {row.label} ({entry['name']}) ran at "
                       f"{mine['image_size']} px, the paper at {want} px.")
        epochs, done = table.row_epochs(row), mine.get("epochs_trained")
        if done is not None and epochs is None:
            out.append(f"Epochs: {row.label} ({entry['name']}) trained {done} epoch(s); the "
                       "paper does not state its epochs.")
        elif done is not None and done != epochs:
            out.append(f"Epochs: {row.label} ({entry['name']}) trained {done} epoch(s), the "
                       f"paper {epochs}.")
    trained = sorted({m for m in [(e.get("conditions") or {}).get("max_examples")
                                  for _, e in matched] if m})
    scored = results.get("max_examples")
    if trained or scored:
        said = ([f"trained on at most {', '.join(map(str, trained))}"] if trained else []) + \
               ([f"scored on at most {scored}"] if scored else [])
        out.append(f"Images: {' and '.join(said)} images per split here, where the paper "
                   "used whole splits.")
    return out


# ------------------------------------------------------------------ Markdown


def fmt(value: float | None, unit: str, signed: bool = False) -> str:
    """A cell: '-' when not measured, percentages in % (a difference in points)."""
    if value is None:
        return "-"
    sign = "+" if signed else ""
    if unit == "percent":
        return f"{100 * value:{sign}.2f}" + (" pp" if signed else "%")
    return f"{value:{sign}.{DECIMALS.get(unit, 4)}f}"


def inside_text(inside: bool | None) -> str:
    """The 'paper in our CI' cell."""
    return "-" if inside is None else "yes" if inside else "no"


def markdown(results: dict, paper_name: str) -> str:
    """The paper's tables beside the measured figures, its conditions and the differences."""
    paper = papers.get(paper_name)
    compared = compare(results, paper_name)
    parts = [f"## Against the paper: {paper.citation.short}", "",
             f"{paper.citation.text()}", "",
             "Each measured figure stands beside its 95% interval (bootstrap over the "
             "images; Turing test: Wilson), the paper's value, the difference (measured - "
             "paper; pp = percentage points) and whether the paper's value lies inside our "
             "interval ('yes': this evaluation cannot tell the two apart); '-' where this "
             "evaluation did not measure it or has no interval for it.", ""]
    for table, found in zip(paper.tables, compared["tables"], strict=True):
        header = ["Paper row", "Run"]
        for column in table.columns:
            header += [column.label, "95% CI", "paper", "difference", "paper in our CI"]
        rows = []
        for row in found["rows"]:
            cells = [row["label"], f"`{row['run']}`" if row["run"] else "-"]
            for column in table.columns:
                value = row["values"][column.key]
                interval = value.get("interval")
                cells += [fmt(value["measured"], column.unit),
                          (f"[{fmt(interval[0], column.unit)}, {fmt(interval[1], column.unit)}]"
                           if interval else "-"),
                          fmt(value["paper"], column.unit),
                          fmt(value["difference"], column.unit, signed=True),
                          inside_text(value.get("paper_inside"))]
            rows.append(cells)
        cond = table.conditions
        epochs = str(cond.epochs) if cond.epochs else "not stated"
        per_row = [f"{r.label}: {r.epochs}" for r in table.rows if r.epochs]
        sizes = [f"{r.label}: {r.image_size} px" for r in table.rows if r.image_size]
        parts += [f"### {paper.citation.short}, {table.title}", "",
                  markdown_table(header, rows), "",
                  f"The paper's conditions ({table.where}):", "",
                  f"- Dataset: {cond.dataset_label}",
                  f"- Resolution: {cond.image_size} px" + (f" ({'; '.join(sizes)})"
                                                           if sizes else ""),
                  f"- Epochs: {epochs}" + (f" ({'; '.join(per_row)})" if per_row else ""),
                  *([f"- Evaluated on: {cond.evaluated_on}"] if cond.evaluated_on else []),
                  *[f"- {note}" for note in cond.notes], ""]
        differences = found["differences"]
        if differences:
            parts += ["**Conditions differ from the paper's**, so the differences above are "
                      "not a like-for-like comparison:", "",
                      *[f"- {line}" for line in differences], ""]
        else:
            parts += ["This evaluation's conditions match the paper's (dataset, resolution, "
                      "epochs, images).", ""]
        reported = {row["run"] for row in found["rows"]}
        others = [e["name"] for e in results.get("runs", []) if e["name"] not in reported]
        if others:
            parts += ["Runs this table does not report: "
                      + ", ".join(f"`{name}`" for name in others) + ".", ""]
    return "\n".join(parts).rstrip()
