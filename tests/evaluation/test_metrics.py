"""Metrics against independent references: hand computation, scikit-image, analytic values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf
from skimage import color as skcolor
from skimage.metrics import structural_similarity

from colorization_tf.evaluation import metrics


def _random_rgb(seed: int, shape=(2, 32, 32, 3)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def test_psnr_of_identical_images_is_infinite():
    rgb = _random_rgb(0)
    assert np.all(np.isinf(metrics.psnr(rgb, rgb).numpy()))


def test_psnr_and_mse_of_known_perturbation_match_hand_computation():
    rgb = np.full((1, 16, 16, 3), 100, np.uint8)
    perturbed = rgb.copy()
    perturbed[0, :8] += 10  # half the pixels off by 10 levels: MSE = 50
    expected = 10 * math.log10(255 ** 2 / 50.0)
    assert metrics.psnr(rgb, perturbed).numpy()[0] == pytest.approx(expected, abs=1e-3)
    ab = np.zeros((1, 4, 4, 2), np.float32)
    ab_pred = ab.copy()
    ab_pred[0, 0, :, 0] = 0.5  # 4 of 32 values off by 0.5
    assert metrics.mse(ab, ab_pred).numpy()[0] == pytest.approx(4 * 0.25 / 32)
    assert metrics.mae(ab, ab_pred).numpy()[0] == pytest.approx(4 * 0.5 / 32)


def test_ssim_matches_skimage_with_gaussian_window_settings():
    truth = _random_rgb(1, (2, 40, 40, 3))
    noisy = np.clip(truth.astype(int) + np.random.default_rng(2).integers(-40, 40, truth.shape),
                    0, 255).astype(np.uint8)
    ours = metrics.ssim(truth, noisy).numpy()
    for i in range(len(truth)):
        reference = structural_similarity(truth[i], noisy[i], gaussian_weights=True, sigma=1.5,
                                          use_sample_covariance=False, data_range=255,
                                          channel_axis=-1)
        assert ours[i] == pytest.approx(reference, abs=1e-4)


def test_ciede2000_matches_skimage():
    rng = np.random.default_rng(3)
    lab1 = np.stack([rng.uniform(0, 100, 500), rng.uniform(-100, 100, 500),
                     rng.uniform(-100, 100, 500)], -1)
    lab2 = lab1 + rng.normal(0, 15, lab1.shape)
    lab2[:50, 1:] = 0.0  # achromatic pixels take the special branches
    lab2[50:60] = lab1[50:60]
    ours = metrics.ciede2000(lab1, lab2).numpy()
    np.testing.assert_allclose(ours, skcolor.deltaE_ciede2000(lab1, lab2), atol=1e-4)
    np.testing.assert_allclose(ours[50:60], 0.0, atol=1e-6)


def test_mean_ciede2000_of_images_matches_skimage():
    truth, pred = _random_rgb(4, (1, 8, 8, 3)), _random_rgb(5, (1, 8, 8, 3))
    expected = skcolor.deltaE_ciede2000(skcolor.rgb2lab(truth[0]), skcolor.rgb2lab(pred[0]))
    assert metrics.mean_ciede2000(truth, pred).numpy()[0] == pytest.approx(expected.mean(),
                                                                          rel=1e-3)


def test_colorfulness_is_zero_for_gray_and_grows_with_saturation():
    gray = np.repeat(_random_rgb(6, (1, 16, 16, 1)), 3, axis=-1)
    assert metrics.colorfulness(gray).numpy()[0] == pytest.approx(0.0, abs=1e-3)
    hsv = np.random.default_rng(7).uniform(0, 1, (16, 16, 3))
    values = []
    for saturation in (0.0, 0.3, 0.6, 0.9):
        hsv[..., 1] = saturation
        rgb = np.round(skcolor.hsv2rgb(hsv) * 255).astype(np.uint8)[None]
        values.append(metrics.colorfulness(rgb).numpy()[0])
    assert values[0] == pytest.approx(0.0, abs=1e-3)
    assert all(np.diff(values) > 1.0)


def test_colorfulness_matches_hand_computation():
    rgb = np.zeros((1, 1, 2, 3), np.float32)
    rgb[0, 0, 0] = [255, 0, 0]  # rg = 255, yb = 127.5
    rgb[0, 0, 1] = [0, 0, 255]  # rg = 0, yb = -255
    rg, yb = np.array([255.0, 0.0]), np.array([127.5, -255.0])
    expected = math.sqrt(rg.var() + yb.var()) + 0.3 * math.hypot(rg.mean(), yb.mean())
    assert metrics.colorfulness(rgb).numpy()[0] == pytest.approx(expected, rel=1e-5)


def test_pixel_accuracy_is_one_for_identical_and_counts_pixels_within_epsilon():
    lab = np.stack(np.meshgrid(np.linspace(0, 100, 4), np.linspace(-50, 50, 4)), -1)
    lab = np.concatenate([lab, np.zeros((4, 4, 1))], -1)[None].astype(np.float32)
    assert metrics.pixel_accuracy(lab, lab, 0.02).numpy()[0] == 1.0
    shifted = lab.copy()
    shifted[0, :2, :, 1] += 8.0  # a* off by 8: beyond 2% (4.4) but within 5% (11) of 220
    assert metrics.pixel_accuracy(lab, shifted, 0.02).numpy()[0] == pytest.approx(0.5)
    assert metrics.pixel_accuracy(lab, shifted, 0.05).numpy()[0] == pytest.approx(1.0)


def test_metrics_run_inside_a_compiled_function():
    rgb = tf.constant(_random_rgb(8, (2, 16, 16, 3)))
    value = tf.function(lambda a, b: metrics.mean_ciede2000(a, b))(rgb, rgb[::-1])
    assert value.shape == (2,)
