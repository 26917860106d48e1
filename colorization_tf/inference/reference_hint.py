"""A reference photo as a global hint (``--reference=PATH``, the editor's reference field;
Zhang et al. 2017 §3.3): the photo's distribution over the package's ab bins, its mean
saturation and the 'given' flag, the very feature ``data.hints.global_hint`` computes from
training images. One reduction for every caller: the photo's integer codes shrunk by the
compiled antialiased resize (``full_resolution.small_rgb``) to at most
``REFERENCE_PIXELS`` pixels, then ``global_hint``."""

from __future__ import annotations

import numpy as np

from colorization_tf import color
from colorization_tf.data import hints
from colorization_tf.inference import full_resolution
from colorization_tf.inference.user_images import ImageReadError, read_codes, unit_scale

# The histogram is taken on the photo shrunk (antialiased) to at most this many pixels:
# the distribution hardly changes and a 24 MP photo costs no more than a small one.
REFERENCE_PIXELS = 256 * 256


def reference_global_hint(path: str) -> np.ndarray:
    """``hint_global`` float32 ``[Q+2]`` of the photo at ``path`` (read as every user image
    is: EXIF orientation, ICC profile, alpha on white). Raises ``ImageReadError`` naming
    the file when it cannot be read."""
    try:
        codes = read_codes(path)
    except ImageReadError as err:
        raise ImageReadError(f"--reference={path}: {err}") from None
    return global_hint_of_codes(codes)


def global_hint_of_codes(codes: np.ndarray) -> np.ndarray:
    """``hint_global`` of a photo's sRGB codes ``[H,W,3]`` (uint8/uint16) of any size."""
    codes = np.asarray(codes)
    height, width = codes.shape[:2]
    scale = min(1.0, (REFERENCE_PIXELS / max(height * width, 1)) ** 0.5)
    if scale < 1.0:
        size = (max(1, round(height * scale)), max(1, round(width * scale)))
        rgb = full_resolution.small_rgb(codes, size)
    else:
        rgb = unit_scale(codes)
    _, ab = color.rgb_to_model(rgb)
    return hints.global_hint(ab).numpy()


__all__ = ["REFERENCE_PIXELS", "global_hint_of_codes", "reference_global_hint"]
