"""Optimizers from the run's ``OptimConfig``: Adam on the papers' staircase exponential
decay, loss-scaled under ``mixed_float16``; ``compile_colorizer`` attaches one per role
that the colorizer's ``OPTIMIZERS`` names."""

from __future__ import annotations

import keras

from colorization_tf.training.config import OptimConfig


def schedule(optim: OptimConfig, scale: float = 1.0, total_steps: int | None = None):
    """``learning_rate * scale``, multiplied by ``decay_rate`` every ``decay_steps`` updates
    (staircase), annealed to 0 by a half cosine over ``total_steps`` updates when
    ``optim.cosine_to_zero``, or constant when no decay is given."""
    rate = optim.learning_rate * scale
    if optim.cosine_to_zero:
        if not total_steps:
            raise ValueError("cosine_to_zero needs the run's total number of updates")
        return keras.optimizers.schedules.CosineDecay(rate, decay_steps=total_steps)
    if not optim.decay_steps:
        return rate
    return keras.optimizers.schedules.ExponentialDecay(
        rate, decay_steps=optim.decay_steps, decay_rate=optim.decay_rate, staircase=True)


def adam(optim: OptimConfig, scale: float = 1.0,
         total_steps: int | None = None) -> keras.optimizers.Optimizer:
    """Adam on ``schedule(optim, scale, total_steps)``; loss-scaled under float16 mixed
    precision."""
    optimizer = keras.optimizers.Adam(schedule(optim, scale, total_steps), beta_1=optim.beta_1,
                                      beta_2=optim.beta_2, weight_decay=optim.weight_decay)
    if keras.mixed_precision.global_policy().name == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def compile_colorizer(colorizer, optim: OptimConfig, jit_compile: bool = False,
                      total_steps: int | None = None) -> None:
    """``colorizer.compile`` with an Adam per role of ``colorizer.OPTIMIZERS`` (the G,
    D, C optimisers), each at its role's learning-rate scale; ``total_steps``: the run's
    updates, which a cosine schedule spans."""
    optimizers = {keyword: adam(optim, optim.scale(role), total_steps)
                  for keyword, role in colorizer.OPTIMIZERS.items()}
    colorizer.compile(jit_compile=jit_compile, **optimizers)
