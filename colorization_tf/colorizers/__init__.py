"""Colorizers: ``keras.Model`` subclasses whose ``train_step`` is one method.

Each method module has ``build(config) -> Colorizer`` (compiled, optimizers attached);
modules are imported on first use.
"""

from __future__ import annotations

import importlib

from colorization_tf.colorizers.base import Colorizer

METHODS = {
    "supervised": "colorization_tf.colorizers.supervised",
    "cgan": "colorization_tf.colorizers.cgan",
    "vacgan": "colorization_tf.colorizers.vacgan",
    "wgan_gp": "colorization_tf.colorizers.wgan_gp",
    "classification": "colorization_tf.colorizers.classification",
}


def build(config: dict) -> Colorizer:
    """The compiled colorizer for a preset/run ``config`` (call inside a strategy scope)."""
    method = config["method"]
    if method not in METHODS:
        raise ValueError(f"method {method!r}: expected one of {sorted(METHODS)}")
    return importlib.import_module(METHODS[method]).build(config)


__all__ = ["METHODS", "Colorizer", "build"]
