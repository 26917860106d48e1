"""Colorizers: ``keras.Model`` subclasses whose ``train_step`` is one method.

Each method module has ``build(method, num_classes, seed) -> Colorizer`` (networks built
from the ``MethodConfig``, not compiled: training attaches the optimizers its ``OPTIMIZERS``
names). Modules are imported on first use. To add a method: write a module with a
``Colorizer`` subclass and ``build``, register it in ``config.METHODS`` (the one registry,
re-exported here) and add a preset.
"""

from __future__ import annotations

import importlib

from colorization_tf.colorizers.base import Colorizer
from colorization_tf.colorizers.config import METHODS, MethodConfig


def build(method: MethodConfig, num_classes: int = 0, seed: int | None = None) -> Colorizer:
    """The colorizer ``method`` describes (call inside a strategy scope); ``num_classes``
    is the data's class count (for class-aware methods), ``seed`` seeds its own RNGs."""
    if method.name not in METHODS:
        raise ValueError(f"method {method.name!r}: expected one of {sorted(METHODS)}")
    return importlib.import_module(METHODS[method.name]).build(method, num_classes, seed)


__all__ = ["METHODS", "Colorizer", "MethodConfig", "build"]
