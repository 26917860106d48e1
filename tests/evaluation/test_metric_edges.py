"""Edges of the metrics' inputs (evaluation/metrics.py) that the figures depend on: the
8-bit sRGB that PSNR / SSIM / CIEDE2000 are reported on is scikit-image's lab2rgb rounded
(not truncated), and pixel accuracy counts a channel exactly at its tolerance as right
(Nazeri et al.: within epsilon of the range)."""

from __future__ import annotations

import warnings

import numpy as np
import skimage.color
import tensorflow as tf

from colorization_tf.evaluation import metrics


def test_to_uint8_rgb_is_skimage_lab2rgb_rounded():
    rng = np.random.default_rng(4)
    lightness = rng.uniform(-1, 1, (2, 6, 6, 1)).astype(np.float32)
    ab = rng.uniform(-0.5, 0.5, (2, 6, 6, 2)).astype(np.float32)
    lab = np.concatenate([lightness * 50.0 + 50.0, ab * 127.5 - 0.5], -1).astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        unit = skimage.color.lab2rgb(lab)
    got = metrics.to_uint8_rgb(tf.constant(lightness), tf.constant(ab))
    assert got.dtype == tf.uint8 and got.shape == (2, 6, 6, 3)
    # float32 vs float64: a value within 1e-3 of a half level may round either way
    near_half = np.abs((unit * 255.0) % 1.0 - 0.5) < 1e-3
    want = np.round(unit * 255.0)
    assert np.all((got.numpy() == want) | near_half)
    assert np.mean(np.abs(got.numpy() - np.floor(unit * 255.0)) > 0) > 0.3  # rounds, not floors


def test_pixel_accuracy_counts_a_channel_exactly_at_the_tolerance():
    truth = tf.zeros([1, 1, 4, 3])
    # epsilon 0.5: tolerances 50 (L), 110 (a, b): exactly at, at, over, over
    pred = tf.constant([[[[50.0, 0.0, 0.0], [0.0, -110.0, 110.0], [50.5, 0.0, 0.0],
                          [0.0, 0.0, -111.0]]]])
    np.testing.assert_allclose(metrics.pixel_accuracy(truth, pred, 0.5).numpy(), [0.5])
    assert metrics.LAB_RANGES == (100.0, 220.0, 220.0)


def test_ciede2000_at_unit_chroma_product_matches_skimage():
    """Opposite hues with c1 * c2 == 1 exactly (a* = 0, b* = +-1): a chromatic pair whose
    hue difference counts, as scikit-image has it."""
    lab_true = np.array([[50.0, 0.0, 1.0], [60.0, 0.0, 1.0], [50.0, 0.0, 0.0]])
    lab_pred = np.array([[50.0, 0.0, -1.0], [60.0, 0.0, 1.0], [50.0, 0.0, 1.0]])
    got = metrics.ciede2000(tf.constant(lab_true), tf.constant(lab_pred)).numpy()
    want = skimage.color.deltaE_ciede2000(lab_true, lab_pred)
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert got[0] > 1.0 and got[1] == 0.0


def test_ssim_of_images_smaller_than_the_window_uses_their_own_size():
    """8 x 16 images: the window shrinks to 8 (the smaller side), as the docstring says."""
    rng = np.random.default_rng(5)
    truth = rng.integers(0, 256, (2, 8, 16, 3)).astype(np.uint8)
    noisy = np.clip(truth + rng.normal(0, 20, truth.shape), 0, 255).astype(np.uint8)
    got = metrics.ssim(tf.constant(truth), tf.constant(noisy)).numpy()
    want = tf.image.ssim(tf.constant(truth, tf.float32), tf.constant(noisy, tf.float32), 255.0,
                         filter_size=8).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6)
    tall = np.transpose(truth, (0, 2, 1, 3))  # 16 x 8: the window is 8 again
    np.testing.assert_allclose(metrics.ssim(tf.constant(tall), tf.constant(tall)).numpy(), 1.0,
                               rtol=1e-6)
    assert np.all(got < 1.0)


def test_mae_and_mse_against_numpy_with_a_coloured_truth():
    rng = np.random.default_rng(6)
    truth = rng.uniform(-1, 1, (3, 4, 5, 2)).astype(np.float32)
    pred = rng.uniform(-1, 1, (3, 4, 5, 2)).astype(np.float32)
    np.testing.assert_allclose(metrics.mae(truth, pred).numpy(),
                               np.abs(pred - truth).mean(axis=(1, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(metrics.mse(truth, pred).numpy(),
                               ((pred - truth) ** 2).mean(axis=(1, 2, 3)), rtol=1e-5)


def test_colorfulness_is_per_image_and_ciede2000_of_an_image_with_itself_is_zero():
    rng = np.random.default_rng(7)
    batch = np.stack([rng.integers(0, 256, (12, 16, 3)), np.full((12, 16, 3), 90) +
                      rng.integers(0, 30, (12, 16, 3))]).astype(np.uint8)
    rgb = batch.astype(np.float64)
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    want = (np.sqrt(rg.var(axis=(1, 2)) + yb.var(axis=(1, 2)))
            + 0.3 * np.sqrt(rg.mean(axis=(1, 2)) ** 2 + yb.mean(axis=(1, 2)) ** 2))
    np.testing.assert_allclose(metrics.colorfulness(tf.constant(batch)).numpy(), want,
                               rtol=1e-4)
    np.testing.assert_allclose(metrics.mean_ciede2000(batch, batch).numpy(), 0.0, atol=1e-3)
    # 12 x 16: the full 11-pixel window
    noisy = np.clip(batch + rng.normal(0, 15, batch.shape), 0, 255).astype(np.uint8)
    want_ssim = tf.image.ssim(tf.constant(batch, tf.float32), tf.constant(noisy, tf.float32),
                              255.0, filter_size=11).numpy()
    np.testing.assert_allclose(metrics.ssim(tf.constant(batch), tf.constant(noisy)).numpy(),
                               want_ssim, rtol=1e-6)


# Pairs where the hue's wrap-around decides the result (Sharma et al. 2005, section 3):
# hues exactly 0 and pi apart on the a axis (h' = 0 must stay 0, not 2 pi), two grays (no
# hue at all), one gray, and pairs on either side of h' = 0 whose mean hue wraps to near 0
# (or 360) degrees, where the rotation term's exp() is smallest but not zero.
HUE_EDGES = np.array([
    [[50.0, 30.0, 0.0], [50.0, -10.0, 0.0]],
    [[50.0, 0.0, 0.0], [50.0, 0.0, 20.0]],
    [[30.0, 0.0, 0.0], [60.0, 0.0, 0.0]],
    [[50.0, 0.0, 0.0], [50.0, 25.0, 0.0]],
    [[50.0, 42.0, 42.0], [50.0, 14.0, -14.0]],
    [[50.0, 60.0, 10.0], [50.0, 20.0, -3.5]],
    [[50.0, 5.0, 40.0], [50.0, 6.0, -60.0]],
    [[50.0, -40.0, -5.0], [50.0, -12.0, 6.0]],
])


def test_ciede2000_where_hues_wrap_matches_skimage_to_float32():
    lab_true, lab_pred = HUE_EDGES[:, 0], HUE_EDGES[:, 1]
    got = metrics.ciede2000(tf.constant(lab_true), tf.constant(lab_pred)).numpy()
    want = skimage.color.deltaE_ciede2000(lab_true, lab_pred)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, want, rtol=2e-7)
