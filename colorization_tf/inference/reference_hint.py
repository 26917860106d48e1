"""A reference photo as a global hint (``--reference=PATH``; Zhang et al. 2017 §3.3): the
photo's distribution over the package's ab bins, its mean saturation and the 'given'
flag, the very feature ``data.hints.global_hint`` computes from training images."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from colorization_tf import color
from colorization_tf.data import hints
from colorization_tf.inference.user_images import ImageReadError, read_rgb

# The histogram is taken on the photo shrunk (antialiased) to at most this many pixels:
# the distribution hardly changes and a 24 MP photo costs no more than a small one.
REFERENCE_PIXELS = 256 * 256


def reference_global_hint(path: str) -> np.ndarray:
    """``hint_global`` float32 ``[Q+2]`` of the photo at ``path`` (read as every user image
    is: EXIF orientation, ICC profile, alpha on white). Raises ``ImageReadError`` naming
    the file when it cannot be read."""
    try:
        rgb = read_rgb(path)
    except ImageReadError as err:
        raise ImageReadError(f"--reference={path}: {err}") from None
    return global_hint_of_rgb(rgb)


def global_hint_of_rgb(rgb: np.ndarray) -> np.ndarray:
    """``hint_global`` of a float sRGB image ``[H,W,3]`` in [0, 1] of any size."""
    rgb = tf.convert_to_tensor(rgb, tf.float32)
    height, width = int(rgb.shape[0]), int(rgb.shape[1])
    scale = min(1.0, (REFERENCE_PIXELS / max(height * width, 1)) ** 0.5)
    if scale < 1.0:
        size = [max(1, round(height * scale)), max(1, round(width * scale))]
        rgb = tf.clip_by_value(tf.image.resize(rgb, size, antialias=True), 0.0, 1.0)
    _, ab = color.rgb_to_model(rgb)
    return hints.global_hint(ab).numpy()


__all__ = ["global_hint_of_rgb", "reference_global_hint"]
