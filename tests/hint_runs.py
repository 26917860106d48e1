"""A learned-hints run that has learned to follow hints, for the tests that check hints
move the colour *toward* the hint (not merely change it): a tiny ``unet_hints`` trained for
120 steps on dense simulated hints (``hint_p`` 0.02: about 49 patches of 3x3 to 9x9 per
image) at a high learning rate. At a hinted patch it brings the colour's distance to the
hint's colour under ``TOWARD`` times the automatic one, for three colours; an untrained
network does not (both asserted in ``tests/colorizers/test_hints.py``)."""

from __future__ import annotations

import numpy as np

HINT_TRAINING = {"epochs": 20, "steps_per_epoch": 6, "decay_steps": None,
                 "learning_rate": 0.01, "hint_p": 0.02, "hint_patch_sizes": (3, 9)}
# a hinted region's mean distance to the hint colour, over the automatic output's: a run
# that follows its hints brings it under this
TOWARD = 0.8


def trained_hint_run(run_dir: str, preset: str = "unet_hints") -> str:
    """Trains the tiny ``preset`` (compiled, as ``train`` does) into ``run_dir``."""
    import tensorflow as tf
    from support import tiny_config

    from colorization_tf import training

    eager = tf.config.functions_run_eagerly()
    tf.config.run_functions_eagerly(False)
    try:
        training.train(tiny_config(preset, **HINT_TRAINING), run_dir, verbose=0)
    finally:
        tf.config.run_functions_eagerly(eager)
    return run_dir


def toward(plain: np.ndarray, hinted: np.ndarray, colour) -> float:
    """Mean distance of ``hinted`` ab ``[..., 2]`` to ``colour`` over that of ``plain``
    (any ab units, the same for all three): below 1 when the hint pulled the colour
    toward itself."""
    colour = np.asarray(colour, np.float64)
    return float(np.linalg.norm(hinted - colour, axis=-1).mean()
                 / np.linalg.norm(plain - colour, axis=-1).mean())
