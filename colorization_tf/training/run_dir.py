"""``RunDir``: a training run's directory and every file name inside it. Nothing else
builds paths into a run directory; later commands need nothing but this directory."""

from __future__ import annotations

import json
import os
import re

import numpy as np

from colorization_tf import files
from colorization_tf.training.config import ConfigError, RunConfig


def default_run_dir(preset: str, dataset: str) -> str:
    """``runs/PRESET-DATASET`` with the dataset name made file-system safe."""
    return f"runs/{preset}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', dataset).strip('_')}"


class RunDirError(ValueError):
    """A run directory is missing, of another experiment, or lacks what a command needs."""


class RunDir:
    """The files of one run: config.json, weights, checkpoints, backup (resume), logs,
    metrics and figures."""

    CONFIG = "config.json"

    def __init__(self, path: str):
        self.path = path
        self.name = os.path.basename(os.path.normpath(path)) or path

    def __repr__(self) -> str:
        return f"RunDir({self.path!r})"

    def _file(self, name: str) -> str:
        return os.path.join(self.path, name)

    # -- every file name in a run directory ---------------------------------------------
    @property
    def config(self) -> str:
        return self._file(self.CONFIG)

    @property
    def generator_weights(self) -> str:
        return self._file("generator.weights.h5")

    @property
    def last_checkpoint(self) -> str:
        return self._file(os.path.join("checkpoints", "last.weights.h5"))

    @property
    def backup(self) -> str:
        return self._file("backup")

    @property
    def history(self) -> str:
        return self._file("history.csv")

    @property
    def tensorboard(self) -> str:
        return self._file("tensorboard")

    @property
    def metrics(self) -> str:
        return self._file("metrics.json")

    @property
    def samples(self) -> str:
        return self._file("samples.png")

    @property
    def classifier_weights(self) -> str:
        """The reference classifier's weights (evaluation's own kind of run)."""
        return self._file("classifier.weights.h5")

    @property
    def artifacts(self) -> str:
        return self._file("artifacts.npz")

    # -- reading and writing -------------------------------------------------------------
    def create(self) -> None:
        """Makes the directory (and its checkpoint folder); refuses a file in its place."""
        if os.path.exists(self.path) and not os.path.isdir(self.path):
            raise RunDirError(f"--run_dir={self.path} is a file, not a directory")
        os.makedirs(os.path.dirname(self.last_checkpoint), exist_ok=True)

    def require(self) -> None:
        """Raises RunDirError unless this is an existing run directory with a config."""
        if not os.path.isdir(self.path):
            kind = "is a file, not a directory" if os.path.exists(self.path) else \
                "does not exist"
            raise RunDirError(f"--run_dir={self.path} {kind} (expected a training run "
                              "directory)")
        if not os.path.isfile(self.config):
            raise RunDirError(f"--run_dir={self.path} has no {self.CONFIG} (is it a "
                              "training run?)")

    def stored_config(self) -> RunConfig | None:
        """The configuration a run started here recorded, or None for a new run."""
        return self.read_config() if os.path.isfile(self.config) else None

    def read_config(self) -> RunConfig:
        """The run's configuration, typed."""
        self.require()
        try:
            return RunConfig.from_dict(files.read_json(self.config))
        except (ConfigError, json.JSONDecodeError) as err:
            raise RunDirError(f"--run_dir={self.path}: {self.CONFIG} is unreadable: "
                              f"{err}") from None

    def write_config(self, config: RunConfig) -> None:
        files.write_text(self.config, config.to_json())

    def check_same_run(self, config: RunConfig) -> None:
        """Refuses to resume a run directory that holds a different experiment."""
        if not os.path.isfile(self.config):
            return
        old = self.read_config()
        changed = [name for name, a, b in (
            ("preset", old.preset, config.preset), ("method", old.method, config.method),
            ("data", old.data, config.data),
            ("batch_size", old.runtime.batch_size, config.runtime.batch_size)) if a != b]
        if changed:
            raise RunDirError(
                f"--run_dir={self.path} already holds a different run ({old.preset} on "
                f"{old.data.dataset}; differs in {', '.join(changed)}); choose a new --run_dir")

    def resume_epoch(self) -> int:
        """The epoch a ``BackupAndRestore`` backup here resumes at (0 if none)."""
        path = os.path.join(self.backup, "training_metadata.json")
        if not os.path.isfile(path):
            return 0
        return int(files.read_json(path).get("epoch", 0))

    def write_artifacts(self, arrays: dict[str, np.ndarray]) -> None:
        """Stores a colorizer's decoding state (e.g. bin centres), if it has any."""
        if arrays:
            with files.atomic_path(self.artifacts) as tmp:
                np.savez(tmp, **arrays)

    def read_artifacts(self) -> dict[str, np.ndarray] | None:
        """What ``write_artifacts`` stored, or None."""
        if not os.path.isfile(self.artifacts):
            return None
        with np.load(self.artifacts) as stored:
            return {key: stored[key] for key in stored.files}

    def require_weights(self) -> None:
        if not os.path.isfile(self.generator_weights):
            raise RunDirError(f"--run_dir={self.path} has no trained weights yet "
                              f"({os.path.basename(self.generator_weights)}); train it for at "
                              "least one epoch first")

    def write_metrics(self, results: dict) -> None:
        files.write_json(self.metrics, results)

    def read_metrics(self) -> dict | None:
        return files.read_json(self.metrics) if os.path.isfile(self.metrics) else None
