"""colorization-evaluate: every run in order with every metric, decoders of classification
runs, clear errors for unusable run directories, and the CLI through a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import matplotlib.image
import pytest
from support import tiny_config

from colorization_tf import training
from colorization_tf.evaluation import compare, intervals, report, scoring
from colorization_tf.training import RunDir, RunDirError

TINY_ZHANG = {"type": "zhang", "widths": [8, 8, 16, 16, 16, 16, 16, 8],
              "convs": [1, 1, 1, 1, 1, 1, 1, 1]}
SMALL = {"max_examples": 16, "batch_size": 8, "num_images": 3, "verbose": 0}


@pytest.fixture(scope="module")
def trained_runs(tmp_path_factory):
    """A tiny U-Net run and a tiny classification run, trained once for the module."""
    root = tmp_path_factory.mktemp("runs")
    unet, zhang = str(root / "unet"), str(root / "zhang")
    training.train(tiny_config(), unet, verbose=0)
    training.train(tiny_config("classification", generator=TINY_ZHANG), zhang, verbose=0)
    return unet, zhang


@pytest.fixture(scope="module")
def evaluated(trained_runs, tmp_path_factory):
    unet, zhang = trained_runs
    found = compare.evaluate_runs([zhang, unet], "samples", "test", **SMALL)
    out = str(tmp_path_factory.mktemp("report"))
    return found, report.write_outputs(found, out)


@pytest.mark.slow
def test_report_lists_every_run_in_order_with_every_metric(evaluated):
    found, written = evaluated
    text = open(written["report"]).read()
    table_1, every = text.split("## Every metric")[0], text.split("## Every metric")[1]
    for section in (table_1, every):
        assert 0 < section.index("| zhang |") < section.index("| unet |")
    for metric in scoring.METRICS:
        assert metric.label in every
    assert "Train (MAE) | Validation (MAE) | Test (MAE)" in table_1
    stored = json.load(open(written["metrics"]))
    assert [r["name"] for r in stored["runs"]] == ["zhang", "unet"]
    for entry in stored["runs"]:
        assert set(entry["mae"]) == {"train", "val", "test"}
        assert {m.key for m in scoring.METRICS} <= set(entry["metrics"])
        assert entry["metrics"]["count"] == SMALL["max_examples"]
    # comparison.png: Figure 4 layout, one 130-px column per run plus gray and original,
    # one row per image (report.comparison_figure: 1.3 inches at 100 dpi)
    height, width = matplotlib.image.imread(written["comparison"]).shape[:2]
    assert (width, height) == (130 * (2 + 2), 130 * SMALL["num_images"] + 40)
    for entry in stored["runs"]:
        low, high = entry["metrics"]["ci"]["mae"]
        assert low <= entry["metrics"]["mae"] <= high
        assert entry["mae_ci"]["test"] == [low, high]
        cells = []
        for split in ("train", "val", "test"):
            mean = f"{entry['mae'][split]:.4f}"
            if entry["name"] in _bold(stored, split):
                mean = f"**{mean}**"
            cells.append("{} [{:.4f}, {:.4f}]".format(mean, *entry["mae_ci"][split]))
        assert f"| {entry['name']} | " + " | ".join(cells) + " |" in table_1
    assert stored["bootstrap"]["resamples"] == intervals.DEFAULT_RESAMPLES
    pairs = stored["paired"]["test"]["mae"]
    assert [(p["a"], p["b"]) for p in pairs] == [("zhang", "unet"), ("zhang", "no_colour"),
                                                 ("unet", "no_colour")]
    assert all(p["n"] == SMALL["max_examples"] for p in pairs)


def _bold(stored: dict, split: str) -> set[str]:
    from colorization_tf.evaluation import paired

    return paired.distinguishable_best([e["name"] for e in stored["runs"]],
                                       stored["paired"][split]["mae"])


@pytest.mark.slow
def test_classification_runs_get_the_decoder_comparison(evaluated):
    found, written = evaluated
    zhang, unet = found.results["runs"]
    labels = [row["decoder"] for row in zhang["decoders"]]
    assert labels == ["mode", "mean", "annealed T=0.38", "annealed T=0.89", "top-k"]
    assert "decoders" not in unet
    mode, mean = zhang["decoders"][0], zhang["decoders"][1]
    assert mode["colorfulness"] != mean["colorfulness"]
    height, width = matplotlib.image.imread(written["decoders-zhang"]).shape[:2]
    assert (width, height) == (130 * (2 + len(labels)), 130 * SMALL["num_images"] + 40)
    text = open(written["report"]).read()
    section = text.split("## Decoders of `zhang`")[1].split("\n## ")[0]
    for row in zhang["decoders"]:
        low, high = row["ci"]["mae"]
        assert low <= row["mae"] <= high
        line = next(li for li in section.splitlines() if li.startswith(f"| {row['decoder']} |"))
        assert f"{row['mae']:.4f}** [{low:.4f}, {high:.4f}]" in line or \
            f"| {row['mae']:.4f} [{low:.4f}, {high:.4f}] |" in line
    assert set(zhang["decoder_pairs"]) == {"colorfulness", "mae", "psnr"}
    assert len(zhang["decoder_pairs"]["mae"]) == len(labels) * (len(labels) - 1) // 2


@pytest.mark.slow
def test_mae_of_table_1_matches_scores_of_the_split(evaluated):
    found, _ = evaluated
    for entry in found.results["runs"]:
        assert entry["mae"]["test"] == entry["metrics"]["mae"]
    assert found.results["no_colour"]["colorfulness"] == pytest.approx(0.0, abs=0.5)


def test_decoder_settings_match_names_loosely():
    settings = compare.decoder_settings(["annealed_mean", "mode", "top_k", "extra"])
    assert settings == [("mode", "mode", None), ("annealed T=0.38", "annealed_mean", 0.38),
                        ("annealed T=0.89", "annealed_mean", 0.89), ("top-k", "top_k", None),
                        ("extra", "extra", None)]


@pytest.mark.slow
def test_run_without_checkpoint_gets_an_error_naming_it(trained_runs, tmp_path):
    empty = tmp_path / "no_weights"
    empty.mkdir()
    shutil.copy(RunDir(trained_runs[0]).config, RunDir(str(empty)).config)
    with pytest.raises(RunDirError, match="no_weights"):
        compare.evaluate_runs([trained_runs[0], str(empty)], "samples", **SMALL)


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.run([sys.executable, "-m", "colorization_tf.evaluate", *args],
                          capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.slow
def test_cli_writes_report_with_reference_scores(trained_runs, tmp_path):
    out = tmp_path / "out"
    result = _cli(f"--run_dirs={trained_runs[0]}", "--dataset=samples", "--split=test",
                  f"--out={out}", "--max_examples=16", "--batch_size=8", "--num_images=2",
                  f"--train_reference={tmp_path / 'reference'}", "--reference_epochs=1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "unet: MAE" in result.stdout
    for name in ("report.md", "metrics.json", "comparison.png"):
        assert (out / name).is_file()
    text = (out / "report.md").read_text()
    assert "| Accuracy |" in text and "Grayscale" in text and "Ground truth" in text
    assert "Network: reference classifier" in text
    rows = json.loads((out / "metrics.json").read_text())["distribution"]["reference"]["rows"]
    assert list(rows) == ["Grayscale", "unet", "Ground truth"]
    assert rows["Ground truth"]["frechet_distance"] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.slow
def test_cli_with_hints_reports_what_hints_json_holds(trained_runs, tmp_path):
    """An automatic run reads no hints: its PSNR is the same at every number of points and
    equals the PSNR of the evaluation itself (same images, same predictions); the report's
    hints tables print hints.json's values and intervals."""
    out = tmp_path / "out"
    result = _cli(f"--run_dirs={trained_runs[0]}", "--dataset=samples", f"--out={out}",
                  "--max_examples=16", "--batch_size=8", "--num_images=2", "--hints=0,3",
                  "--bootstrap_resamples=500")
    assert result.returncode == 0, result.stderr[-3000:]
    hinted = json.loads((out / "hints.json").read_text())["methods"]
    stored = json.loads((out / "metrics.json").read_text())
    unet = hinted["unet"]
    assert unet["points"] == [0, 3] and unet["psnr"][0] == unet["psnr"][1]
    assert unet["psnr"][0] == pytest.approx(stored["runs"][0]["metrics"]["psnr"], rel=1e-6)
    assert stored["bootstrap"]["resamples"] == 500
    text = (out / "report.md").read_text()
    for name, found in hinted.items():
        cells = ([f"{v:.2f}" for v in found["psnr"]] + [f"{v:.4f}" for v in found["mae"]])
        assert "| " + " | ".join([name] + cells) + " |" in text
        with_ci = [f"{v:.2f} [{lo:.2f}, {hi:.2f}]" for v, (lo, hi) in
                   zip(found["psnr"], found["psnr_ci"], strict=True)]
        assert "| " + " | ".join([name] + with_ci) + " |" in text
    assert hinted["optimization"]["psnr"][1] > hinted["optimization"]["psnr"][0]


@pytest.mark.slow
def test_cli_names_a_run_directory_without_checkpoints(tmp_path):
    broken = tmp_path / "broken_run"
    broken.mkdir()
    RunDir(str(broken)).write_config(tiny_config())
    result = _cli(f"--run_dirs={broken}", f"--out={tmp_path / 'out'}")
    assert result.returncode != 0
    assert "broken_run" in result.stderr and "no trained weights" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_cli_paper_puts_the_published_table_beside_the_runs(trained_runs, tmp_path):
    out = tmp_path / "out"
    result = _cli(f"--run_dirs={trained_runs[0]}", "--dataset=samples", f"--out={out}",
                  "--max_examples=16", "--batch_size=8", "--num_images=2", "--paper=galvao")
    assert result.returncode == 0, result.stderr[-3000:]
    text = (out / "report.md").read_text()
    unet = next(line for line in text.splitlines() if line.startswith("| UNET |"))
    cells = [cell.strip() for cell in unet.strip("|").split("|")]
    stored = json.loads((out / "metrics.json").read_text())
    measured = stored["runs"][0]["mae"]["test"]
    low, high = stored["runs"][0]["mae_ci"]["test"]
    assert cells[1] == "`unet`" and cells[12:17] == [
        f"{measured:.4f}", f"[{low:.4f}, {high:.4f}]", "0.0677", f"{measured - 0.0677:+.4f}",
        "yes" if low <= 0.0677 <= high else "no"]
    assert "Dataset: the paper used cifar10; these runs were trained on samples" in text
    assert stored["paper"] == "galvao"
    row = stored["paper_comparison"]["tables"][0]["rows"][0]
    assert row["values"]["mae_test"]["difference"] == pytest.approx(measured - 0.0677)
    assert row["values"]["mae_test"]["interval"] == [low, high]
