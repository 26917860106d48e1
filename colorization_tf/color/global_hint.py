"""The ab bins the global hint of the learned-hints methods is a distribution over (Zhang
et al. 2017 §3.3), and the hint's length: the one place both the data pipeline
(``data/hints.py``, which computes the hint) and the colorizers (``colorizers/hints.py``,
whose generator reads it) take them from, so the two can never disagree."""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from colorization_tf.color import quantize

# The bins of the classification methods (MethodConfig's default): 229 in-gamut centres.
GLOBAL_BINS = {"kind": "gamut", "grid": quantize.GAMUT_GRID}


@functools.lru_cache(maxsize=1)
def bin_array() -> np.ndarray:
    """The bin centres ``[Q, 2]`` (Lab units) as numpy: computed eagerly once (also when
    first asked for inside a tf.function or tf.data map), so no graph owns the cache."""
    with tf.init_scope():
        return np.asarray(quantize.make_bins(GLOBAL_BINS).numpy(), np.float32)


def global_hint_size() -> int:
    """Q + 2: the length of ``hint_global`` (the distribution, saturation, 'given' flag)."""
    return int(bin_array().shape[0]) + 2


__all__ = ["GLOBAL_BINS", "bin_array", "global_hint_size"]
