"""The web's colorize path on integer codes: the same colours as the package's one
recombination (``full_resolution.recombine`` on ``full_resolution.model_input``) for 8- and
16-bit photos; checked against scikit-image's Lab conversion."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from skimage import color as skcolor

from colorization_tf.inference import full_resolution
from colorization_tf.web import runs


class _Predictor:
    """Stands in for a loaded run: ab as a fixed function of L (no trained weights)."""

    image_size = 16

    def __init__(self, ab=None):
        self.ab = ab

    def predict(self, lightness):
        lightness = tf.convert_to_tensor(lightness, tf.float32)
        if self.ab is not None:
            return tf.zeros(tf.concat([tf.shape(lightness)[:3], [2]], 0)) + self.ab
        return tf.concat([0.3 * lightness, -0.2 * tf.ones_like(lightness)], -1)


def _photo(height, width, dtype, seed=0):
    rng = np.random.default_rng(seed)
    top = 255 if dtype == np.uint8 else 65535
    y, x = np.mgrid[0:height, 0:width]
    smooth = np.stack([x / width, y / height, (x + y) / (height + width)], -1) * top
    noisy = smooth + rng.normal(0, top * 0.05, smooth.shape)
    return np.clip(noisy, 0, top).astype(dtype)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_web_colours_are_the_one_recombination(dtype):
    codes = _photo(53, 71, dtype)
    predictor = _Predictor()
    out = runs.colorize_codes(predictor, codes)
    image = full_resolution.to_uint16(tf.constant(codes))
    small = full_resolution.model_input(image, predictor.image_size)
    reference = full_resolution.recombine(image, predictor.predict(small[None])[0])
    assert out.dtype == np.uint8 and out.shape == codes.shape
    assert np.abs(out.astype(int) - reference.numpy().astype(int)).max() <= 1


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_zero_ab_keeps_the_photos_lightness_by_skimage(dtype):
    """With ab = 0 the result is the gray of the photo's own L (scikit-image Lab)."""
    codes = _photo(40, 30, dtype, seed=1)
    out = runs.colorize_codes(_Predictor(ab=0.0), codes)
    scale = 255.0 if dtype == np.uint8 else 65535.0
    lightness = skcolor.rgb2lab(codes / scale)[..., 0]
    # a' = (a + 0.5) / 127.5: scaled 0 is a* = b* = -0.5
    lab = np.stack([lightness, np.full_like(lightness, -0.5), np.full_like(lightness, -0.5)],
                   -1)
    expected = np.round(np.clip(skcolor.lab2rgb(lab), 0, 1) * 255)
    assert np.abs(out.astype(float) - expected).max() <= 1


def test_codes_must_be_integers():
    with pytest.raises(ValueError, match="uint8/uint16"):
        runs.colorize_codes(_Predictor(), np.zeros((4, 4, 3), np.float32))
