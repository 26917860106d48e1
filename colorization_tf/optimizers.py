"""Optimizers from a preset: Adam with the seeds' staircase exponential decay, wrapped in
a ``LossScaleOptimizer`` when the global policy is ``mixed_float16``."""

from __future__ import annotations

import keras


def schedule(config: dict, scale: float = 1.0):
    """``learning_rate * scale``, multiplied by ``decay_rate`` every ``decay_steps`` updates
    (staircase), or constant when the preset gives no decay."""
    rate = config["learning_rate"] * scale
    if not config.get("decay_steps"):
        return rate
    return keras.optimizers.schedules.ExponentialDecay(
        rate, decay_steps=config["decay_steps"], decay_rate=config["decay_rate"], staircase=True)


def adam(config: dict, scale: float = 1.0, **kwargs) -> keras.optimizers.Optimizer:
    """Adam on ``schedule(config, scale)``; loss-scaled under float16 mixed precision.
    ``kwargs`` (e.g. ``beta_1``) go to Adam; the preset's ``adam`` dict supplies defaults."""
    options = {**config.get("adam", {}), **kwargs}
    optimizer = keras.optimizers.Adam(schedule(config, scale), **options)
    if keras.mixed_precision.global_policy().name == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer
