"""colorization-train through a subprocess, as a user runs it."""

import json
import os
import subprocess
import sys

import pytest

from colorization_tf.training import RunDir
from colorization_tf.training.run_dir import default_run_dir


def _train(*flags, cwd):
    return subprocess.run([sys.executable, "-m", "colorization_tf.train", *flags],
                          cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"})


@pytest.mark.slow
def test_train_cli_writes_a_run_directory_and_resumes(tmp_path):
    flags = ["--epochs=1", "--max_examples=16", "--batch_size=8", "--dataset=samples"]
    result = _train(*flags, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    run = RunDir(str(tmp_path / default_run_dir("unet_l1", "samples")))
    assert "test MAE" in result.stdout
    config = run.read_config()
    assert config.preset == "unet_l1" and config.runtime.epochs == 1
    assert config.runtime.batch_size == 8
    metrics = json.loads(open(run.metrics).read())
    assert metrics["test"]["model"]["count"] == 16
    # the same command again finds the finished run and does not train epoch 0 again
    again = _train(*flags, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert len(open(run.history).read().strip().splitlines()) == 2


@pytest.mark.slow
def test_train_cli_rejects_a_bad_flag_clearly(tmp_path):
    result = _train("--preset=no_such_preset", cwd=tmp_path)
    assert result.returncode != 0
    assert "preset" in result.stderr and "unet_l1" in result.stderr


@pytest.mark.slow
def test_the_main_job_output_is_quiet(tmp_path):
    """No TensorFlow C++ start-up lines and no Python warnings reach the user."""
    result = _train("--epochs=1", "--max_examples=16", "--batch_size=8",
                    f"--run_dir={tmp_path / 'run'}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    for noise in ("oneDNN", "cuda", "cpu_feature_guard", "Warning", "WARNING", "I0000"):
        assert noise not in result.stderr + result.stdout, noise
    assert result.stdout.splitlines()[0].startswith("training unet_l1 on samples")


@pytest.mark.slow
def test_user_errors_are_one_line_without_traceback(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "a_file").write_text("x")
    cases = {
        "--dataset=folder:/no/such/folder": "--dataset=folder:/no/such/folder: no such",
        f"--dataset=folder:{tmp_path / 'empty'}": "no images found",
        "--dataset=no_such_dataset_name": "no TFDS dataset of that name",
        f"--run_dir={tmp_path / 'a_file'}": "is a file, not a directory",
        "--image_size=30": "--image_size=30: preset unet_l1 needs a multiple of 16",
        f"--dataset=tfrecords:{tmp_path / 'empty'}": "no manifest.json",
        "--batch_size=5000": "--batch_size=5000 is larger than the training split",
    }
    for flag, message in cases.items():
        result = _train(flag, "--epochs=1", cwd=tmp_path)
        assert result.returncode == 2, (flag, result.stderr[-1000:])
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (flag, result.stderr[-1000:])
        assert lines[0].startswith("colorization-train: ")
    verbose = _train("--image_size=30", "--verbose", cwd=tmp_path)
    assert verbose.returncode != 0 and "Traceback" in verbose.stderr
