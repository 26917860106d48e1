"""colorization-reproduce: a paper's whole experiment at smoke scale on mock CIFAR-10 and on
samples writes the report, resumes after a kill without training anything twice, and
skips finished runs; plans and configs; one-line CLI errors."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import keras
import pytest
import tensorflow_datasets as tfds

from colorization_tf.data import sources
from colorization_tf.reproduction import plans, reproduce
from colorization_tf.reproduction.run import is_finished, method_config
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
        assert "| UNET | `unet_l1` |" in text and "| VAC + GAN | `vacgan` |" in text
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
    for label, run in (("Regression", "regression"), ("Classification", "classification"),
                       ("Annealed", "classification_annealed"),
                       ("Transfer Learning", "transfer_vgg16"), ("Grayscale", "Grayscale"),
                       ("Ground Truth", "Ground truth")):
        line = next(li for li in text.splitlines() if li.startswith(f"| {label} |"))
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[1] == f"`{run}`" and cells[2].endswith("%") and cells[4].endswith("pp")
    again = reproduce("li_wang", out, dataset="samples", scale="smoke", verbose=0)
    assert again.trained == [] and "reference" in again.skipped


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
             "colorization-evaluate: --paper=nope: expected one of galvao, li_wang, tran")):
        found = subprocess.run([sys.executable, "-m", *command], capture_output=True,
                               text=True, env=env, timeout=300)
        assert found.returncode == 2, found.stderr
        assert found.stderr.strip() == message
