"""report.md from hand-made results (no training): every table, bold only where the paired
comparisons distinguish a best row, the figures and the files written."""

from __future__ import annotations

import json
import logging
import os

import matplotlib
import matplotlib.image
import matplotlib.pyplot as plt
import numpy as np
import pytest

from colorization_tf.evaluation import compare, intervals, report, scoring

FAST = intervals.BootstrapConfig(resamples=499)


def _hand_made(rows: dict[str, dict]) -> dict:
    """A results dict built from per-image values (name -> {split: {metric: values}}, the
    last row the no-colour baseline) with the real summaries and paired comparisons."""
    names = [n for n in rows if n != compare.BASELINE_ROW]
    runs = []
    for name in names:
        by_split = {s: scoring.summarize(rows[name][s], FAST) for s in compare.MAE_SPLITS}
        runs.append({"name": name, "run_dir": f"runs/{name}",
                     "mae": {s: by_split[s]["mae"] for s in compare.MAE_SPLITS},
                     "mae_ci": {s: by_split[s]["ci"]["mae"] for s in compare.MAE_SPLITS},
                     "metrics": by_split["test"]})
    return {"dataset": "d", "split": "test", "runs": runs, "bootstrap": FAST.describe(),
            "no_colour": scoring.summarize(rows[compare.BASELINE_ROW]["test"], FAST),
            "paired": compare.paired_results(rows, "test", FAST)}


def _images(rng, mae, ssim, count=40):
    lightness = np.linspace(-1.0, 1.0, count)
    truth = 20.0 + 5.0 * np.sin(np.arange(count))
    return {"lightness": lightness, "mae": mae, "ssim": ssim, "colorfulness": truth * 0.8,
            "colorfulness_true": truth}


def _line(text: str, label: str) -> str:
    """The first table row of ``text`` whose first cell is ``label``."""
    return next(li for li in text.splitlines() if li.startswith(f"| {label} |"))


def _cells(text: str, label: str, section: str) -> list[str]:
    """The cells of that row in the part of ``text`` after ``section``."""
    line = _line(text.split(section)[1], label)
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_only_a_distinguishable_best_value_is_bold():
    rng = np.random.default_rng(0)
    spread = rng.normal(0.0, 0.03, 40)  # how much images differ from one another
    same = {"lightness": np.linspace(-1, 1, 40), "mae": 0.2 + spread}
    rows = {"a": {"test": _images(rng, 0.20 + spread, 0.70 + spread), "train": same, "val": same},
            "b": {"test": _images(rng, 0.15 + spread, 0.70 + spread), "train": same, "val": same},
            compare.BASELINE_ROW: {"test": _images(rng, 0.30 + spread, 0.80 + spread)}}
    results = _hand_made(rows)
    text = report.markdown_report(results)
    b_mae = results["runs"][1]["metrics"]
    low, high = b_mae["ci"]["mae"]
    assert low < b_mae["mae"] < high
    # Table 1: test MAE of b is distinguishably lowest; train and val are the same images
    # with the same values for both runs: nothing bold there
    train = "{:.4f} [{:.4f}, {:.4f}]".format(results["runs"][1]["mae"]["train"],
                                             *results["runs"][1]["mae_ci"]["train"])
    assert _cells(text, "b", "## Table 1") == [
        "b", train, train, f"**{b_mae['mae']:.4f}** [{low:.4f}, {high:.4f}]"]
    every = _cells(text, "b", "## Every metric")
    assert every[1] == "**{:.4f}** [{:.4f}, {:.4f}]".format(b_mae["mae"], low, high)
    assert not every[4].startswith("**")
    # SSIM: the baseline's is distinguishably best, so it is the bold one
    baseline = _cells(text, f"*{report.BASELINE}*", "## Every metric")
    assert baseline[4].startswith("**0.7") and not baseline[1].startswith("**")
    # colorfulness: every row has the same values here, so none is bold
    assert not every[6].startswith("**")
    assert "| `a` | `b` | +0.0500 [0.0500, 0.0500] | `b` better | 40 |" in text
    assert "| `a` | `b` | +0.0000 [0.0000, 0.0000] | not distinguishable on these images |" \
        in text


def test_a_one_run_report_bolds_nothing_the_baseline_matches():
    rng = np.random.default_rng(1)
    spread = rng.normal(0.0, 0.03, 40)
    noise = rng.normal(0.0, 0.03, 40)
    rows = {"only": {"test": _images(rng, 0.20 + spread, 0.70 + spread),
                     "train": {"lightness": np.zeros(5), "mae": np.full(5, 0.1)},
                     "val": {"lightness": np.zeros(5), "mae": np.full(5, 0.1)}},
            compare.BASELINE_ROW: {"test": _images(rng, 0.20 + spread + noise, 0.70 + noise)}}
    results = _hand_made(rows)
    text = report.markdown_report(results)
    table = text.split("## Every metric")[1].split("## Paired")[0]
    assert "**" not in table  # nothing distinguishable: nothing bold, the run included
    assert "**" not in text.split("## Table 1")[1].split("## Every metric")[0]
    assert "not distinguishable on these images" in text


def test_table_1_gains_the_turing_columns():
    results = {"runs": [{"name": "vacgan", "mae": {"train": 0.1, "val": 0.2, "test": 0.3}},
                        {"name": "unet", "mae": {"train": 0.1, "val": 0.2, "test": 0.3}}],
               "turing": {"vacgan": {"shown": 40, "accuracy": 0.4, "fooled_rate": 0.6,
                                     "ci_low": 0.263, "ci_high": 0.554}}}
    lines = report.table_1(results).splitlines()
    assert lines[0] == ("| Model | Train (MAE) | Validation (MAE) | Test (MAE) | Turing test "
                        "(accuracy) | Fooled | 95% CI (accuracy) | n |")
    assert "| 40.0% | 60.0% | 26.3% - 55.4% | 40 |" in lines[2]
    assert lines[3].endswith("| - | - | - | 0 |")
    assert "Turing" not in report.table_1({"runs": results["runs"]})




# ------------------------------------------------------------------ hand-made tables
# Each expected line below is written out by hand from the inputs, not by the code it tests.


def _pair(a: str, b: str, difference: float, low: float, high: float, n: int = 40) -> dict:
    """A paired comparison as ``paired.paired_difference`` stores it, lower better."""
    distinguishable = low > 0.0 or high < 0.0
    return {"a": a, "b": b, "difference": difference, "low": low, "high": high, "n": n,
            "distinguishable": distinguishable,
            "a_better": (difference < 0.0) if distinguishable else None}


def test_numbers_keep_four_decimals_below_ten_two_from_ten_and_ints_as_they_are():
    hinted = {"unet": {"points": [0, 1, 2, 3, 4, 5],
                       "psnr": [9.5, 10.0, -12.5, float("inf"), 3, None],
                       "psnr_ci": [[9.25, 9.75], [9.0, 11.0], None, [None, 1.0], [1, 2],
                                   [1.0, 2.0]]},
              "plain": {"points": [0, 1, 2, 3, 4, 5],
                        "psnr": [-0.5, 99.999, 0.00004, 7, 12.5, 1.0]}}
    text = report.hint_intervals(hinted)
    assert text.startswith("\nPSNR (dB) with its 95% bootstrap interval over the images:\n\n")
    assert text.endswith(" |\n")
    lines = text.strip().splitlines()[2:]
    assert lines == [
        "| Method | @0 | @1 | @2 | @3 | @4 | @5 |",
        "|---|---|---|---|---|---|---|",
        "| unet | 9.5000 [9.2500, 9.7500] | 10.00 [9.0000, 11.00] | -12.50 | inf | 3 [1, 2] "
        "| - |",
        "| plain | -0.5000 | 100.00 | 0.0000 | 7 | 12.50 | 1.0000 |"]


def test_hint_intervals_refuse_an_interval_list_of_another_length():
    hinted = {"unet": {"points": [0, 1], "psnr": [20.0, 21.0], "psnr_ci": [[19.0, 21.0]]}}
    with pytest.raises(ValueError):
        report.hint_intervals(hinted)


def test_table_1_bolds_each_split_on_its_own_pairs_and_prints_intervals_where_stored():
    results = {"runs": [
        {"name": "a", "mae": {"train": 0.1, "val": 0.2, "test": 0.3},
         "mae_ci": {"train": [0.09, 0.11], "val": [0.19, 0.21], "test": None}},
        {"name": "b", "mae": {"train": 0.15, "val": 0.25, "test": 12.0}}],
        "paired": {"train": {"mae": [_pair("a", "b", -0.05, -0.06, -0.04)]},
                   "val": {"mae": [_pair("a", "b", -0.05, -0.1, 0.01)]},
                   "test": {"mae": [_pair("a", "b", -11.7, -12.0, -11.0)]}}}
    lines = report.table_1(results).splitlines()
    assert lines == ["| Model | Train (MAE) | Validation (MAE) | Test (MAE) |",
                     "|---|---|---|---|",
                     "| a | **0.1000** [0.0900, 0.1100] | 0.2000 [0.1900, 0.2100] | **0.3000** |",
                     "| b | 0.1500 | 0.2500 | 12.00 |"]


def test_a_turing_entry_with_nobody_shown_gets_dashes():
    results = {"runs": [{"name": "vacgan", "mae": {}}],
               "turing": {"vacgan": {"shown": 0, "accuracy": 0.5, "fooled_rate": 0.5,
                                     "ci_low": 0.1, "ci_high": 0.9}}}
    assert report.table_1(results).splitlines()[2] == "| vacgan | - | - | - | - | - | - | 0 |"


def _two_run_results(**extra) -> dict:
    rng = np.random.default_rng(3)
    spread = rng.normal(0.0, 0.03, 40)
    same = {"lightness": np.linspace(-1, 1, 40), "mae": 0.2 + spread}
    rows = {"a": {"test": _images(rng, 0.20 + spread, 0.70 + spread), "train": same, "val": same},
            "b": {"test": _images(rng, 0.15 + spread, 0.70 + spread), "train": same, "val": same},
            compare.BASELINE_ROW: {"test": _images(rng, 0.30 + spread, 0.90 + spread)}}
    return {**_hand_made(rows), **extra}


def test_the_baseline_row_is_in_italics_and_bold_where_it_is_best():
    results = _two_run_results()
    table = report.metrics_table(results)
    assert table.splitlines()[:2] == [
        "| Model | MAE | MSE | PSNR (dB) | SSIM | CIEDE2000 | Colorfulness | Acc. eps=2% "
        "| Acc. eps=5% |", "|---|---|---|---|---|---|---|---|---|"]
    baseline = _line(table, f"*{report.BASELINE}*")
    ssim = results["no_colour"]["ssim"]
    low, high = results["no_colour"]["ci"]["ssim"]
    assert f"| **{ssim:.4f}** [{low:.4f}, {high:.4f}] |" in baseline
    mae = results["no_colour"]["mae"]
    low, high = results["no_colour"]["ci"]["mae"]
    assert baseline.startswith(f"| *{report.BASELINE}* | {mae:.4f} [{low:.4f}, {high:.4f}] |")
    target = results["no_colour"]["colorfulness_true"]
    assert table.endswith(f" |\n\nColorfulness of the ground truth: {target:.2f}.")


def test_the_raw_rgb_psnr_is_noted_for_the_runs_that_have_it():
    results = _two_run_results()
    first, second = (entry["metrics"] for entry in results["runs"])
    first["psnr_rgb"], first["ci"]["psnr_rgb"] = 25.0, [24.5, 25.5]
    second["psnr_rgb"] = 9.0
    del second["ci"]  # a run stored without intervals
    table = report.metrics_table(results)
    assert table.endswith("\n\nPSNR of the raw RGB output, its own lightness included (Tran "
                          "and Ly's reconstruction figure): a 25.00 [24.50, 25.50] dB, "
                          "b 9.0000 dB.")


def test_paired_sections_name_their_split_and_the_baseline_in_words():
    results = {"split": "test", "paired": {
        "test": {"ssim": [],
                 "mae": [_pair("a", "b", 0.05, 0.04, 0.06),
                         _pair("a", compare.BASELINE_ROW, 0.01, -0.02, 0.04, n=39)]},
        "train": {"mae": [_pair("a", compare.BASELINE_ROW, 0.05, 0.04, 0.06)],
                  "extra": [_pair("a", "b", 0.05, 0.04, 0.06)]}}}
    text = report.paired_section(results)
    assert text.startswith(
        "## Paired comparisons\n\nDifference first minus second row over the same images "
        "(colorfulness: distance to the ground truth's colorfulness, first minus second), "
        "with its paired-bootstrap interval (the same resampled images for both rows). Where "
        "the interval contains 0 the two rows are *not distinguishable on these images*, "
        "however the point values differ.\n\n### ")
    assert not text.endswith("\n")
    body = text.split("### ")[1:]
    assert [part.splitlines()[0] for part in body] == ["MAE", "MAE, train split",
                                                       "extra, train split"]
    assert body[0].splitlines()[1:] == ["",
        "| First | Second | Difference [95% CI] | Verdict | Images |",
        "|---|---|---|---|---|",
        "| `a` | `b` | +0.0500 [0.0400, 0.0600] | `b` better | 40 |",
        "| `a` | No colour (baseline) | +0.0100 [-0.0200, 0.0400] | not distinguishable on "
        "these images | 39 |", ""]
    assert body[1].splitlines()[4] == ("| `a` | No colour (baseline) | +0.0500 [0.0400, 0.0600] "
                                       "| No colour (baseline) better | 40 |")


def _decoder(name: str, mae: float, ci: bool = True) -> dict:
    row = {"decoder": name, "colorfulness": 20.0, "colorfulness_true": 25.0, "mae": mae,
           "psnr": 22.0}
    if ci:
        row["ci"] = {"colorfulness": [19.0, 21.0], "mae": [mae - 0.01, mae + 0.01],
                     "psnr": [21.0, 23.0]}
    return row


def test_decoder_table_bolds_the_distinguishable_decoder_and_lists_the_ties():
    decoders = [_decoder("mode", 0.10), _decoder("mean", 0.20), _decoder("top-k", 0.30, False)]
    pairs = {"mae": [_pair("mode", "mean", -0.1, -0.12, -0.08),
                     _pair("mode", "top-k", -0.2, -0.22, -0.18),
                     _pair("mean", "top-k", -0.1, -0.12, -0.08)],
             "colorfulness": [_pair("mode", "mean", 0.0, -1.0, 1.0),
                              _pair("top-k", "mean", 0.0, -1.0, 1.0)]}
    text = report.decoder_table(decoders, pairs)
    lines = text.splitlines()
    assert lines[:5] == [
        "| Decoder | Colorfulness | MAE | PSNR (dB) |", "|---|---|---|---|",
        "| mode | 20.00 [19.00, 21.00] | **0.1000** [0.0900, 0.1100] | 22.00 [21.00, 23.00] |",
        "| mean | 20.00 [19.00, 21.00] | 0.2000 [0.1900, 0.2100] | 22.00 [21.00, 23.00] |",
        "| top-k | 20.00 | 0.3000 | 22.00 |"]
    assert lines[5:] == ["", "Colorfulness of the ground truth: 25.00.", "",
                         "Not distinguishable on these images: mode / mean (colorfulness); "
                         "top-k / mean (colorfulness)."]


def test_a_decoder_table_without_rows_or_pairs_bolds_nothing():
    assert report.decoder_table([]) == ("| Decoder | Colorfulness | MAE | PSNR (dB) |\n"
                                        "|---|---|---|---|\n\n"
                                        "Colorfulness of the ground truth: -.")
    text = report.decoder_table([_decoder("mode", 0.1), _decoder("mean", 0.2)])
    assert "**" not in text and "Not distinguishable" not in text
    assert report.decoder_table([_decoder("mode", 0.1)]).endswith(
        "\n\nColorfulness of the ground truth: 25.00.")


def _distribution() -> dict:
    names = ["Grayscale", "a", "b", "Ground truth"]
    accuracy = {"Grayscale": 0.9, "a": 0.5, "b": 0.7, "Ground truth": 0.95}
    rows = {n: {"accuracy": accuracy[n], "accuracy_ci": [accuracy[n] - 0.05, accuracy[n] + 0.05],
                "inception_score": 1.5 + i, "frechet_distance": 123.456 if i else 0.0}
            for i, n in enumerate(names)}
    # b beats a; the grayscale input beats both (it is no run: never bold)
    pairs = [_pair("Grayscale", "a", -0.4, -0.5, -0.3), _pair("Grayscale", "b", -0.2, -0.3, -0.1),
             _pair("b", "a", -0.2, -0.3, -0.1)]
    none = {n: {"accuracy": None, "inception_score": 2.0, "frechet_distance": 1.0} for n in names}
    return {"reference": {"network": "ref-net", "rows": rows, "paired": {"accuracy": pairs}},
            "inception": {"network": "InceptionV3 (ImageNet)", "rows": none}}


def test_distribution_section_bolds_only_a_run_and_names_the_undecided_runs():
    blocks = _distribution()
    text = report.distribution_section({"distribution": blocks})
    scores = ["| Images | Inception-style score | Frechet distance to ground truth |",
              "|---|---|---|"]
    whole_set = ("The Inception-style score and the Frechet distance are statistics of the "
                 "whole set of images: they carry no per-image interval here, so no value is "
                 "marked best.")
    assert text.split("\n") == [
        "## Semantic interpretability and distribution scores (reference classifier)", "",
        "Network: ref-net.", "",
        "Classification accuracy (Li and Wang's table), with its bootstrap interval over the "
        "images; bold only where one run is distinguishable from every other run:", "",
        "|  | Grayscale | a | b | Ground truth |", "|---|---|---|---|---|",
        "| Accuracy | 0.9000 [0.8500, 0.9500] | 0.5000 [0.4500, 0.5500] "
        "| **0.7000** [0.6500, 0.7500] | 0.9500 [0.9000, 1.0000] |", "",
        *scores, "| Grayscale | 1.5000 | 0.0000 |", "| a | 2.5000 | 123.46 |",
        "| b | 3.5000 | 123.46 |", "| Ground truth | 4.5000 | 123.46 |", "", whole_set, "",
        "## Semantic interpretability and distribution scores (InceptionV3)", "",
        "Network: InceptionV3 (ImageNet).", "",
        *scores, *[f"| {n} | 2.0000 | 1.0000 |" for n in ("Grayscale", "a", "b", "Ground truth")],
        "", whole_set]
    # a and b undecided: no bold, and the pair is named
    blocks["reference"]["paired"]["accuracy"][2] = _pair("b", "a", -0.2, -0.3, 0.1)
    text = report.distribution_section({"distribution": blocks})
    assert "**" not in text
    assert ("| 0.7000 [0.6500, 0.7500] | 0.9500 [0.9000, 1.0000] |\n\nAccuracy not "
            "distinguishable on these images: `b` / `a`.\n\n| Images |") in text


def _seed_summary() -> dict:
    row = {"label": "Test MAE", "mean": 0.1, "std": 0.01, "min": 0.09, "max": 0.11,
           "per_seed": [{"run": "a-seed0", "value": 0.1, "ci": [0.09, 0.11]}]}
    return {"groups": {"a": {"runs": ["a-seed0"], "rows": [row]}}}


def _full_results() -> dict:
    results = _two_run_results(max_examples=40, seeds=_seed_summary(), paper="galvao",
                               distribution=_distribution())
    results["runs"][0].update(decoders=[_decoder("mode", 0.1), _decoder("mean", 0.2)],
                              decoder_pairs={"mae": [_pair("mode", "mean", -0.1, -0.2, -0.05)]})
    for entry in results["runs"]:
        entry.update(preset=entry["name"], method="supervised", conditions={})
    return results


def test_the_report_puts_every_section_in_its_place():
    results = _full_results()
    text = report.markdown_report(results, {"a": "loss-a.png", "b": "no history.csv in runs/b"})
    lines = text.splitlines()
    assert lines[:4] == ["# Colorization evaluation: d, test split", "",
                         "2 run(s), in the order given: `a` (runs/a), `b` (runs/b).",
                         "Images per split: at most 40."]
    assert lines[5] == report.interval_note(results)
    headings = [li for li in lines if li.startswith("## ")]
    assert headings == [
        "## Against the paper: " + headings[0].split(": ", 1)[1],
        "## Spread over training seeds", "## Table 1: MAE on the paper's ab scale",
        "## Every metric on the test split", "## Paired comparisons",
        "## Semantic interpretability and distribution scores (reference classifier)",
        "## Semantic interpretability and distribution scores (InceptionV3)",
        "## Decoders of `a` (classification)", "## Figures"]
    for block in (report.paper_report.markdown(results, "galvao"),
                  report.seeds.markdown(results["seeds"]), report.table_1(results),
                  report.metrics_table(results), report.METRIC_NOTES,
                  report.paired_section(results), report.distribution_section(results),
                  report.decoder_table(results["runs"][0]["decoders"],
                                       results["runs"][0]["decoder_pairs"])):
        assert f"\n\n{block}\n\n" in text
    assert "| mode | 20.00 [19.00, 21.00] | **0.1000** [0.0900, 0.1100] |" in text
    assert "\n\n![decoders](decoders-a.png)\n\n## Figures\n" in text
    assert text.split("## Figures\n")[1] == (
        "\n![comparison](comparison.png)\n\nColumns: grayscale input, original, then one per "
        "run (Figure 4 layout).\n\n![loss curves of a](loss-a.png)\nLoss curves of `b`: "
        "not drawn (no history.csv in runs/b).\n")


def test_a_plain_report_leaves_out_what_the_results_lack():
    results = _two_run_results()
    del results["paired"]
    text = report.markdown_report(results)
    assert text.splitlines()[3] == ""  # no image limit line
    headings = [li for li in text.splitlines() if li.startswith("## ")]
    assert headings == ["## Table 1: MAE on the paper's ab scale",
                        "## Every metric on the test split", "## Figures"]
    assert text.endswith("then one per run (Figure 4 layout).\n")


def test_the_interval_note_states_the_level_resamples_seed_and_method():
    note = report.interval_note({"bootstrap": {"confidence": 0.9, "resamples": 123, "seed": 7,
                                               "method": "percentile"}})
    assert note == ("Each figure is a mean over the evaluated images followed by its 90% "
                    "bootstrap confidence interval over those images, `mean [low, high]` (123 "
                    "resamples, seed 7, percentile). The interval says how much the figure "
                    "depends on which images were drawn, not on the training seed (see the "
                    "seeds section where there is one).")
    for empty in ({}, {"bootstrap": None}, {"bootstrap": {}}):
        assert report.interval_note(empty).startswith(
            "Each figure is a mean over the evaluated images followed by its 95% bootstrap "
            "confidence interval over those images, `mean [low, high]` (? resamples, seed ?, "
            "bootstrap). ")


def _evaluation(tmp_path, count=3, size=4) -> compare.Evaluation:
    """Constant-colour images per column so each column's colour can be found in the png."""
    def column(rgb):
        return np.broadcast_to(np.array(rgb, np.float32), (count, size, size, 3)).copy()

    runs = []
    for name in ("a", "b"):
        folder = tmp_path / "runs" / name
        folder.mkdir(parents=True)
        runs.append(str(folder))
    (tmp_path / "runs" / "a" / "history.csv").write_text("epoch,loss,mae\n0,0.5,0.3\n1,0.4,0.2\n")
    results = _full_results()
    del results["paper"]  # write_outputs' argument adds it
    for entry, folder in zip(results["runs"], runs, strict=True):
        entry["run_dir"] = folder
    images = {"gray": column([0.5, 0.5, 0.5]), "original": column([0.0, 0.0, 1.0]),
              "runs": {"a": column([1.0, 0.0, 0.0]), "b": column([0.0, 1.5, 0.0])},
              "decoders": {"a": {"mode": column([1.0, 1.0, 0.0]), "mean": column([0, 1.0, 1.0])}}}
    return compare.Evaluation(results, images, runs)


def test_write_outputs_writes_every_file_it_names(tmp_path):
    found = _evaluation(tmp_path)
    out = tmp_path / "out" / "nested"
    written = report.write_outputs(found, str(out), paper="galvao")
    assert written == {"comparison": str(out / "comparison.png"),
                       "decoders-a": str(out / "decoders-a.png"),
                       "loss-a": str(out / "loss-a.png"),
                       "report": str(out / "report.md"), "metrics": str(out / "metrics.json")}
    assert sorted(p.name for p in out.iterdir()) == sorted(os.path.basename(p)
                                                           for p in written.values())
    stored = json.loads((out / "metrics.json").read_text())
    assert stored["paper"] == "galvao"
    assert stored["paper_comparison"] == json.loads(json.dumps(
        report.paper_report.compare(found.results, "galvao")))
    assert "paper" not in found.results  # the caller's results are left as they were
    assert stored["runs"][0]["name"] == "a" and stored["dataset"] == "d"
    text = (out / "report.md").read_text()
    assert text == report.markdown_report(
        {**found.results, **{k: stored[k] for k in ("paper", "paper_comparison")}},
        {"a": "loss-a.png", "b": f"no history.csv in {found.run_dirs[1]}"})
    # Figure 4: gray, original, a, b; one 130 px cell per image at 100 dpi, + 40 px of titles
    picture = matplotlib.image.imread(written["comparison"])[..., :3]
    assert picture.shape[:2] == (130 * 3 + 40, 130 * 4)
    middle = picture[40 + 130 * 3 // 2]  # a row through the middle image
    colours = [tuple(np.round(middle[130 * c + 65], 2)) for c in range(4)]
    assert colours == [(0.5, 0.5, 0.5), (0.0, 0.0, 1.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0)]
    decoders = matplotlib.image.imread(written["decoders-a"])[..., :3]
    assert decoders.shape[:2] == (130 * 3 + 40, 130 * 4)
    assert tuple(np.round(decoders[40 + 195, 130 * 2 + 65], 2)) == (1.0, 1.0, 0.0)


def test_a_report_without_paper_or_history_says_so(tmp_path):
    found = _evaluation(tmp_path)
    (tmp_path / "runs" / "a" / "history.csv").unlink()
    written = report.write_outputs(found, str(tmp_path / "out"))
    assert "loss-a" not in written
    stored = json.loads(open(written["metrics"]).read())
    assert "paper" not in stored and "paper_comparison" not in stored
    assert f"Loss curves of `a`: not drawn (no history.csv in {found.run_dirs[0]})." \
        in open(written["report"]).read()


def test_the_comparison_figure_has_one_titled_column_per_run(tmp_path, monkeypatch):
    kept = []
    monkeypatch.setattr(report.plt, "close", kept.append)
    images = np.linspace(-0.5, 1.5, 2 * 3 * 3 * 3).reshape(2, 3, 3, 3)
    report.comparison_figure([("Gray", images), ("Run", images * 0.5)],
                             str(tmp_path / "c.png"), cell_inches=2.0)
    figure = kept[0]
    try:
        assert tuple(figure.get_size_inches()) == (4.0, 4.4)
        axes = np.array(figure.axes).reshape(2, 2)
        assert [[ax.get_title() for ax in row] for row in axes] == [["Gray", "Run"], ["", ""]]
        assert axes[0][0].title.get_fontsize() == 8
        for r in range(2):
            for c, scale in enumerate((1.0, 0.5)):
                shown = axes[r][c].get_images()[0]
                assert shown.get_interpolation() == "nearest"
                np.testing.assert_array_equal(shown.get_array(),
                                              np.clip(images[r] * scale, 0.0, 1.0))
                assert list(axes[r][c].get_xticks()) == [] == list(axes[r][c].get_yticks())
    finally:
        plt.close(figure)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.png"]


def test_the_figures_title_each_column_and_a_second_write_replaces_the_first(tmp_path,
                                                                             monkeypatch):
    found = _evaluation(tmp_path)
    titles, draw = {}, report.comparison_figure

    def spy(columns, path, **options):
        titles[os.path.basename(path)] = [title for title, _ in columns]
        draw(columns, path, **options)

    monkeypatch.setattr(report, "comparison_figure", spy)
    out = tmp_path / "out"
    out.mkdir()  # an existing folder: a second evaluation writes into it again
    first = report.write_outputs(found, str(out))
    assert report.write_outputs(found, str(out)) == first
    assert titles == {"comparison.png": ["(a) Grayscale", "(b) Original", "(c) a", "(d) b"],
                      "decoders-a.png": ["Grayscale", "Original", "mode", "mean"]}


def test_a_one_cell_figure_out_of_range_values_and_the_users_dpi(tmp_path, caplog):
    images = np.linspace(-0.5, 1.5, 2 * 2 * 3).reshape(1, 2, 2, 3)
    with caplog.at_level(logging.WARNING), matplotlib.rc_context({"figure.dpi": 50,
                                                                 "savefig.dpi": 50}):
        report.comparison_figure([("Only", images)], str(tmp_path / "one.png"))
    # clipped before drawing: matplotlib has nothing to clip, so it logs nothing
    assert [r.getMessage() for r in caplog.records] == []
    # 1.3 inches a cell at 100 dpi whatever the user's matplotlibrc says
    assert matplotlib.image.imread(str(tmp_path / "one.png")).shape[:2] == (130 + 40, 130)


def test_every_undecided_pair_of_runs_is_named():
    names = ["Grayscale", "a", "b", "c", "Ground truth"]
    rows = {n: {"accuracy": 0.5, "inception_score": 1.0, "frechet_distance": 1.0} for n in names}
    pairs = [_pair("a", "b", 0.0, -0.1, 0.1), _pair("a", "c", 0.0, -0.1, 0.1),
             _pair("b", "c", -0.2, -0.3, -0.1), _pair("Grayscale", "a", 0.0, -0.1, 0.1)]
    text = report.distribution_section({"distribution": {"reference": {
        "network": "n", "rows": rows, "paired": {"accuracy": pairs}}}})
    assert "\nAccuracy not distinguishable on these images: `a` / `b`, `a` / `c`.\n" in text


def test_run_directories_must_match_the_runs_one_to_one(tmp_path):
    found = _evaluation(tmp_path)
    found.run_dirs.pop()
    with pytest.raises(ValueError):
        report.write_outputs(found, str(tmp_path / "out"))
