"""Colorizers: ``keras.Model`` subclasses whose ``train_step`` is one method.

Each method module has ``build(method, num_classes, seed) -> Colorizer`` (networks built
from the ``MethodConfig``, not compiled: training attaches the optimizers its ``OPTIMIZERS``
names). Modules are imported on first use. To add a method: write a module with a
``Colorizer`` subclass and ``build``, register it in ``METHODS`` and add a preset.
"""

from __future__ import annotations

import importlib

from colorization_tf.colorizers.base import Colorizer
from colorization_tf.colorizers.config import MethodConfig

METHODS = {
    "supervised": "colorization_tf.colorizers.supervised",
    "cgan": "colorization_tf.colorizers.cgan",
    "vacgan": "colorization_tf.colorizers.vacgan",
    "wgan_gp": "colorization_tf.colorizers.wgan_gp",
    "classification": "colorization_tf.colorizers.classification",
    "rgb": "colorization_tf.colorizers.rgb",
    "multipath": "colorization_tf.colorizers.multipath",
    "hints": "colorization_tf.colorizers.hints",
}


def build(method: MethodConfig, num_classes: int = 0, seed: int | None = None) -> Colorizer:
    """The colorizer ``method`` describes (call inside a strategy scope); ``num_classes``
    is the data's class count (for class-aware methods), ``seed`` seeds its own RNGs."""
    if method.name not in METHODS:
        raise ValueError(f"method {method.name!r}: expected one of {sorted(METHODS)}")
    return importlib.import_module(METHODS[method.name]).build(method, num_classes, seed)


__all__ = ["METHODS", "Colorizer", "MethodConfig", "build"]
