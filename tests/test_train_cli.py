"""colorization-train through a subprocess, as a user runs it."""

import json
import os
import subprocess
import sys

from colorization_tf import runs
from colorization_tf.train import default_run_dir


def _train(*flags, cwd):
    return subprocess.run([sys.executable, "-m", "colorization_tf.train", *flags],
                          cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})


def test_train_cli_writes_a_run_directory_and_resumes(tmp_path):
    flags = ["--epochs=1", "--max_examples=16", "--batch_size=8", "--dataset=samples"]
    result = _train(*flags, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    run_dir = tmp_path / default_run_dir("unet_l1", "samples")
    assert "test MAE" in result.stdout
    config = json.loads((run_dir / runs.CONFIG).read_text())
    assert config["preset"] == "unet_l1" and config["epochs"] == 1 and config["batch_size"] == 8
    metrics = json.loads((run_dir / runs.METRICS).read_text())
    assert metrics["test"]["model"]["count"] == 16
    # the same command again finds the finished run and does not train epoch 0 again
    again = _train(*flags, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert len((run_dir / runs.HISTORY).read_text().strip().splitlines()) == 2


def test_train_cli_rejects_a_bad_flag_clearly(tmp_path):
    result = _train("--preset=no_such_preset", cwd=tmp_path)
    assert result.returncode != 0
    assert "preset" in result.stderr and "unet_l1" in result.stderr
