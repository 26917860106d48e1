"""A run directory: everything later commands need (config.json, weights, artifacts)."""

from __future__ import annotations

import os

import tensorflow as tf

from colorization_tf import colorizers, files
from colorization_tf.callbacks import GENERATOR_WEIGHTS
from colorization_tf.data import DataConfig

CONFIG = "config.json"
METRICS = "metrics.json"
HISTORY = "history.csv"
SAMPLES = "samples.png"
BACKUP = "backup"
CHECKPOINTS = "checkpoints"
TENSORBOARD = "tensorboard"


class RunDirError(ValueError):
    """A run directory is missing or lacks what a command needs."""


def read_config(run_dir: str) -> dict:
    path = os.path.join(run_dir, CONFIG)
    if not os.path.isfile(path):
        raise RunDirError(f"run directory {run_dir!r} has no {CONFIG} (is it a training run?)")
    return files.read_json(path)


def write_config(run_dir: str, config: dict) -> None:
    files.write_json(os.path.join(run_dir, CONFIG), config)


def data_config(config: dict, **overrides) -> DataConfig:
    """The DataConfig a run was trained with, with ``overrides`` applied (e.g. dataset)."""
    values = {**config["data"], **{k: v for k, v in overrides.items() if v is not None}}
    return DataConfig.from_dict(values)


def load_colorizer(run_dir: str) -> tuple[colorizers.Colorizer, dict]:
    """Rebuilds the run's colorizer for inference and loads its generator's weights and
    artifacts. Raises ``RunDirError`` naming the directory when something is missing."""
    config = read_config(run_dir)
    weights = os.path.join(run_dir, GENERATOR_WEIGHTS)
    if not os.path.isfile(weights):
        raise RunDirError(f"run directory {run_dir!r} has no checkpoint ({GENERATOR_WEIGHTS}); "
                          "train it for at least one epoch first")
    colorizer = colorizers.build(config)
    size = config["data"]["image_size"]
    colorizer.build_networks(tf.zeros([1, size, size, 1]))
    colorizer.generator.load_weights(weights)
    colorizer.load_artifacts(run_dir)
    return colorizer, config
