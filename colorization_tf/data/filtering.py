"""Per-image colour statistics, and the near-gray filter of Galvão et al. §3.2."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from colorization_tf import color

# Mean Lab chroma (sqrt(a*^2 + b*^2)) below which an image counts as gray. A gray image
# stored as RGB has chroma 0; JPEG noise adds about 1; faint sepia tints sit near 4-6.
DEFAULT_GRAY_THRESHOLD = 3.0
STATS_SIZE = 32


def thumbnail(image: tf.Tensor) -> tf.Tensor:
    """The 32x32 float thumbnail the statistics are taken on."""
    return tf.image.resize(image, [STATS_SIZE, STATS_SIZE], antialias=True)


def batch_stats(batch: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Mean Lab chroma and mean HSV hue of each image of a float batch in [0, 255]."""
    rgb = tf.clip_by_value(batch / 255.0, 0.0, 1.0)
    _, ab = tf.split(color.rgb_to_lab(rgb), [1, 2], axis=-1)
    chroma = tf.reduce_mean(tf.norm(ab, axis=-1), axis=[1, 2])
    hue = tf.reduce_mean(tf.image.rgb_to_hsv(rgb)[..., 0], axis=[1, 2])
    return chroma, hue


def is_gray(chroma: np.ndarray, threshold: float = DEFAULT_GRAY_THRESHOLD) -> np.ndarray:
    """Boolean mask of images whose mean chroma is under ``threshold``."""
    return np.asarray(chroma) < threshold
