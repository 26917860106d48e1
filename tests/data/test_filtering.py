"""Per-image colour statistics and the near-gray filter (data/filtering.py), against
scikit-image (Lab chroma, HSV hue) on random and real photos, with the 32 px thumbnail
antialiased and the gray threshold strict."""

from __future__ import annotations

import numpy as np
import skimage.color
import skimage.data
import tensorflow as tf

from colorization_tf.data import filtering


def _batch() -> np.ndarray:
    """Two 24 x 24 photos and a random image in [0, 255], plus values above 255."""
    rng = np.random.default_rng(0)
    photos = [skimage.data.astronaut()[::21, ::21][:24, :24],
              skimage.data.coffee()[::17, ::17][:24, :24],
              rng.uniform(0, 255, (24, 24, 3))]
    batch = np.stack(photos).astype(np.float32)
    batch[2, :4] = [400.0, 20.0, -30.0]  # clipped to pure red before any statistic
    return batch


def test_batch_stats_match_scikit_image():
    batch = _batch()
    chroma, hue = filtering.batch_stats(tf.constant(batch))
    rgb = np.clip(batch / 255.0, 0.0, 1.0).astype(np.float64)
    lab = skimage.color.rgb2lab(rgb)
    want_chroma = np.hypot(lab[..., 1], lab[..., 2]).mean(axis=(1, 2))
    want_hue = skimage.color.rgb2hsv(rgb)[..., 0].mean(axis=(1, 2))
    np.testing.assert_allclose(chroma.numpy(), want_chroma, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(hue.numpy(), want_hue, atol=1e-5)
    assert chroma.shape == hue.shape == (3,)


def test_gray_images_have_zero_chroma_and_are_filtered():
    gray = np.repeat(np.linspace(0, 255, 24 * 24).reshape(1, 24, 24, 1), 3, -1)
    chroma, _ = filtering.batch_stats(tf.constant(gray, tf.float32))
    assert chroma.numpy()[0] < 0.01
    assert filtering.is_gray(chroma.numpy()).tolist() == [True]


def test_is_gray_is_strictly_below_the_threshold():
    chroma = np.array([0.0, 2.999, 3.0, 3.001, 10.0])
    assert filtering.DEFAULT_GRAY_THRESHOLD == 3.0
    assert filtering.is_gray(chroma).tolist() == [True, True, False, False, False]
    assert filtering.is_gray(chroma, threshold=10.0).tolist() == [True] * 4 + [False]
    assert filtering.is_gray([5.0]).tolist() == [False]  # a list works too


def test_thumbnail_is_32_px_and_antialiased():
    stripes = np.zeros((1, 96, 96, 1), np.float32)
    stripes[:, :, ::3] = 255.0  # one column in three: a third of the light everywhere
    small = filtering.thumbnail(tf.constant(stripes)).numpy()
    assert small.shape == (1, filtering.STATS_SIZE, filtering.STATS_SIZE, 1)
    assert filtering.STATS_SIZE == 32
    # area-averaging keeps the third; point sampling (no antialias) would miss the stripes
    np.testing.assert_allclose(small.mean(), 85.0, atol=2.0)
    assert small[0, 4:-4, 4:-4].std() < 10.0
