"""colorization-reproduce: a paper's whole experiment at smoke scale on mock CIFAR-10 and on
samples writes the report, resumes after a kill without training anything twice, and
skips finished runs; plans and configs; one-line CLI errors."""

from __future__ import annotations

import csv
import json
import os
import statistics
import subprocess
import sys

import keras
import pytest
import tensorflow_datasets as tfds

from colorization_tf.data import sources
from colorization_tf.reproduction import plans, reproduce
from colorization_tf.reproduction.run import is_finished, method_config, seed_name
from colorization_tf.training import RunDir


class Killed(Exception):
    """Stands for the process being killed (after the epoch's backup was written)."""


class KillAtEpochEnd(keras.callbacks.Callback):
    """Raises ``Killed`` at the end of the ``at``-th epoch counted over every fit."""

    def __init__(self, at: int):
        super().__init__()
        self.at, self.seen = at, 0

    def on_epoch_end(self, epoch, logs=None):
        self.seen += 1
        if self.seen == self.at:
            raise Killed(f"killed after epoch {epoch}")


def _epochs_logged(run_dir: str) -> list[int]:
    with open(RunDir(run_dir).history) as handle:
        return [int(row["epoch"]) for row in csv.DictReader(handle)]


def _mtimes(paths) -> dict[str, int]:
    return {path: os.stat(path).st_mtime_ns for path in paths}


def _row(text: str, label: str) -> list[str]:
    line = next(li for li in text.splitlines() if li.startswith(f"| {label} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_smoke_configs_shrink_the_networks_and_keep_the_paper_settings():
    tran = plans.get("tran")
    full = method_config(tran.methods[3], "stl10", plans.scale("full"))
    assert full.data.image_size == 96 and full.runtime.epochs == 100  # the paper's / preset's
    smoke = method_config(tran.methods[3], "samples", plans.scale("smoke"))
    assert smoke.runtime.epochs == 1 and smoke.data.image_size == 32
    assert smoke.method.generator["encoder_filters"] == [8, 16, 32]
    assert smoke.method.discriminator["filters"] == [8, 16] and smoke.method.n_critic == 2
    vgg = method_config(plans.get("li_wang").methods[2], "cifar10", plans.scale("smoke"))
    assert vgg.method.generator["backbone_weights"] == "none"
    assert vgg.method.generator["image_size"] == 32
    galvao = method_config(plans.get("galvao").methods[2], "cifar10", plans.scale("full"),
                           {"mixed_precision": True, "backbone_weights": "none"})
    assert galvao.runtime.epochs == 200 and galvao.runtime.batch_size == 128
    assert galvao.runtime.mixed_precision and galvao.data.dataset == "cifar10"
    with pytest.raises(ValueError, match="--scale=huge"):
        plans.scale("huge")
    with pytest.raises(ValueError, match="--paper=nope"):
        plans.get("nope")


@pytest.mark.slow
def test_galvao_on_mock_cifar10_resumes_after_a_kill_without_retraining(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setattr(sources, "network_reachable", lambda builder, timeout=3.0: True)
    out = str(tmp_path / "galvao")
    two_epochs = {"epochs": 2}
    with tfds.testing.mock_data(num_examples=40):
        # killed after the first epoch of the second method (unet_l1 ran epochs 1 and 2)
        with pytest.raises(Killed):
            reproduce("galvao", out, dataset="cifar10", scale="smoke", settings=two_epochs,
                      callbacks=[KillAtEpochEnd(3)], verbose=0)
        runs = {name: os.path.join(out, "runs", name)
                for name in ("unet_l1", "unet_l2", "cgan", "vacgan")}
        assert RunDir(runs["unet_l2"]).resume_epoch() == 1
        assert not os.path.exists(os.path.join(out, "report.md"))
        first = _mtimes([RunDir(runs["unet_l1"]).generator_weights,
                         RunDir(runs["unet_l1"]).metrics])

        done = reproduce("galvao", out, dataset="cifar10", scale="smoke", settings=two_epochs,
                         verbose=0)
        assert done.skipped == ["unet_l1"] and done.trained == ["unet_l2", "cgan", "vacgan"]
        assert _mtimes(first) == first  # the finished run was not trained again
        assert _epochs_logged(runs["unet_l1"]) == [0, 1]
        assert _epochs_logged(runs["unet_l2"]) == [0, 1]  # resumed at epoch 2, not restarted
        text = open(done.report).read()
        assert "evaluation: cifar10, test split" in text
        stored = json.load(open(done.written["metrics"]))
        by_name = {entry["name"]: entry for entry in stored["runs"]}
        for label, name in (("UNET", "unet_l1"), ("GAN", "cgan"), ("VAC + GAN", "vacgan")):
            cells = _row(text, label)
            low, high = by_name[name]["mae_ci"]["test"]
            measured = by_name[name]["mae"]["test"]
            paper = {"UNET": 0.0677, "GAN": 0.0675, "VAC + GAN": 0.0668}[label]
            # run, then test MAE: measured, interval, paper, difference, inside
            assert cells[1] == f"`{name}`"
            assert cells[12:17] == [f"{measured:.4f}", f"[{low:.4f}, {high:.4f}]",
                                    f"{paper:.4f}", f"{measured - paper:+.4f}",
                                    "yes" if low <= paper <= high else "no"]
        assert "Epochs: GAN (cgan) trained 2 epoch(s), the paper 200." in text
        assert "Dataset:" not in text.split("Conditions differ")[1].split("## Table 1")[0]
        assert os.path.isfile(done.written["comparison"])

        weights = _mtimes(RunDir(path).generator_weights for path in runs.values())
        again = reproduce("galvao", out, dataset="cifar10", scale="smoke",
                          settings=two_epochs, verbose=0)
        assert again.trained == [] and again.skipped == list(runs)
        assert _mtimes(weights) == weights
        assert all(is_finished(RunDir(path), method_config(
            plan, "cifar10", plans.scale("smoke"), two_epochs))
            for plan, path in zip(plans.get("galvao").methods, runs.values(), strict=True))


@pytest.mark.slow
def test_li_wang_on_samples_scores_gray_colorized_and_ground_truth(tmp_path):
    out = str(tmp_path / "li_wang")
    done = reproduce("li_wang", out, dataset="samples", scale="smoke", verbose=0)
    assert done.trained == ["regression", "classification", "transfer_vgg16", "reference"]
    text = open(done.report).read()
    rows = json.load(open(done.written["metrics"]))["distribution"]["reference"]["rows"]
    printed = {"Regression": 0.46, "Classification": 0.57, "Annealed": 0.65,
               "Transfer Learning": 0.63, "Grayscale": 0.22, "Ground Truth": 0.80}
    for label, run in (("Regression", "regression"), ("Classification", "classification"),
                       ("Annealed", "classification_annealed"),
                       ("Transfer Learning", "transfer_vgg16"), ("Grayscale", "Grayscale"),
                       ("Ground Truth", "Ground truth")):
        cells = _row(text, label)
        accuracy, (low, high) = rows[run]["accuracy"], rows[run]["accuracy_ci"]
        paper = printed[label]
        assert cells[1:] == [f"`{run}`", f"{100 * accuracy:.2f}%",
                             f"[{100 * low:.2f}%, {100 * high:.2f}%]", f"{100 * paper:.2f}%",
                             f"{100 * (accuracy - paper):+.2f} pp",
                             "yes" if low <= paper <= high else "no"]
    again = reproduce("li_wang", out, dataset="samples", scale="smoke", verbose=0)
    assert again.trained == [] and "reference" in again.skipped


@pytest.mark.slow
def test_seeds_give_one_run_each_resume_and_report_the_spread(tmp_path):
    """One seed first, then --seeds=2 trains only the second seed of each method, then
    nothing; the report gives each figure's mean, std and range over the two seeds beside
    each seed's interval."""
    out = str(tmp_path / "galvao")
    first = reproduce("galvao", out, dataset="samples", scale="smoke", verbose=0)
    methods = [m.name for m in plans.get("galvao").methods]
    assert first.trained == methods
    kept = _mtimes(RunDir(path).generator_weights for path in first.run_dirs.values())
    done = reproduce("galvao", out, dataset="samples", scale="smoke", seeds=2, verbose=0)
    assert done.skipped == methods and done.trained == [f"{m}-seed1" for m in methods]
    assert _mtimes(kept) == kept
    for method in methods:
        assert RunDir(done.run_dirs[method]).read_config().runtime.seed == 0
        assert RunDir(done.run_dirs[f"{method}-seed1"]).read_config().runtime.seed == 1
    stored = json.load(open(done.written["metrics"]))
    by_name = {entry["name"]: entry for entry in stored["runs"]}
    assert list(by_name) == [seed_name(m, k) for m in methods for k in range(2)]
    values = [by_name[name]["mae"]["test"] for name in ("unet_l1", "unet_l1-seed1")]
    assert values[0] != values[1]  # the seeds really trained different networks
    group = stored["seeds"]["groups"]["unet_l1"]
    row = next(r for r in group["rows"] if r["label"] == "Test (MAE)")
    assert row["mean"] == pytest.approx(statistics.fmean(values))
    assert row["std"] == pytest.approx(statistics.stdev(values))
    assert (row["min"], row["max"]) == (min(values), max(values))
    text = open(done.report).read()
    section = text.split("## Spread over training seeds")[1].split("\n## ")[0]
    assert "### `unet_l1`: 2 seed(s)" in section
    cis = [by_name[name]["mae_ci"]["test"] for name in ("unet_l1", "unet_l1-seed1")]
    line = next(li for li in section.split("### `unet_l1`")[1].splitlines()
                if li.startswith("| Test (MAE) |"))
    assert line == ("| Test (MAE) | " + " | ".join([
        f"{statistics.fmean(values):.4f}", f"{statistics.stdev(values):.4f}",
        f"[{min(values):.4f}, {max(values):.4f}]",
        *[f"{v:.4f} [{lo:.4f}, {hi:.4f}]" for v, (lo, hi) in zip(values, cis, strict=True)]])
        + " |")
    again = reproduce("galvao", out, dataset="samples", scale="smoke", seeds=2, verbose=0)
    assert again.trained == [] and len(again.skipped) == 2 * len(methods)
    with pytest.raises(ValueError, match="--seeds=0"):
        reproduce("galvao", out, dataset="samples", scale="smoke", seeds=0, verbose=0)


@pytest.mark.slow
def test_tran_on_samples_reports_its_measured_values_beside_the_papers(tmp_path):
    """Every figure of the tran table in report.md is the one metrics.json holds for the
    run (or decoder) it names, with its interval, the paper's value and the difference."""
    done = reproduce("tran", str(tmp_path / "tran"), dataset="samples", scale="smoke",
                     verbose=0)
    text = open(done.report).read()
    stored = json.load(open(done.written["metrics"]))
    by_name = {entry["name"]: entry for entry in stored["runs"]}
    q361 = by_name["classification_q361_centroid"]
    decoders = {row["decode"]: row for row in q361["decoders"]}
    expected = {  # paper row -> (run named, PSNR measured, its interval, paper PSNR)
        "Reconstruction": ("reconstruction_lab", by_name["reconstruction_lab"]["metrics"][
            "psnr"], by_name["reconstruction_lab"]["metrics"]["ci"]["psnr"], 30.44),
        "Classification (centroid)": ("classification_q361_centroid", q361["metrics"]["psnr"],
                                      q361["metrics"]["ci"]["psnr"], 25.2813),
        "Classification (softmax - assigned)": (
            "classification_q361_softmax", by_name["classification_q361_softmax"]["metrics"][
                "psnr"], by_name["classification_q361_softmax"]["metrics"]["ci"]["psnr"],
            25.4372),
        "GAN": ("wgan_gp", by_name["wgan_gp"]["metrics"]["psnr"],
                by_name["wgan_gp"]["metrics"]["ci"]["psnr"], 23.2057)}
    assert decoders["mode"]["psnr"] == pytest.approx(q361["metrics"]["psnr"])
    for label, (run, psnr, (low, high), paper) in expected.items():
        cells = _row(text, label)
        assert cells[1:7] == [f"`{run}`", f"{psnr:.2f}", f"[{low:.2f}, {high:.2f}]",
                              f"{paper:.2f}", f"{psnr - paper:+.2f}",
                              "yes" if low <= paper <= high else "no"]
    rgb = by_name["reconstruction_rgb"]["metrics"]
    assert rgb["psnr_rgb"] is not None and rgb["ci"]["psnr_rgb"][0] <= rgb["psnr_rgb"]
    assert f"reconstruction_rgb {rgb['psnr_rgb']:.2f} [" in text


@pytest.mark.slow
def test_cli_errors_are_one_line(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    for command, message in (
            (["colorization_tf.reproduce", "--paper=nope", f"--out={tmp_path}"],
             "colorization-reproduce: --paper=nope: expected one of galvao, li_wang, tran"),
            (["colorization_tf.reproduce", f"--out={tmp_path}"],
             "colorization-reproduce: --paper: name the paper to reproduce (galvao, li_wang or "
             "tran)"),
            (["colorization_tf.evaluate", "--run_dirs=x", "--paper=nope"],
             "colorization-evaluate: --paper=nope: expected one of galvao, li_wang, tran"),
            (["colorization_tf.reproduce", "--paper=galvao", "--seeds=0", f"--out={tmp_path}"],
             "colorization-reproduce: --seeds=0: expected a positive integer"),
            (["colorization_tf.evaluate", "--run_dirs=x", "--bootstrap_resamples=0"],
             "colorization-evaluate: --bootstrap_resamples=0: expected a positive integer")):
        found = subprocess.run([sys.executable, "-m", *command], capture_output=True,
                               text=True, env=env, timeout=300)
        assert found.returncode == 2, found.stderr
        assert found.stderr.strip() == message
