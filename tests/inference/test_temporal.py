"""Temporal smoothing: the moving average, scene-cut resets, and the flicker measure."""

from __future__ import annotations

import numpy as np
import pytest

from colorization_tf.inference import temporal

SIZE = 8


def _ab(value: float) -> np.ndarray:
    return np.full([SIZE, SIZE, 2], value, np.float32)


def _lightness(value: float) -> np.ndarray:
    return np.full([SIZE, SIZE, 1], value, np.float32)


def test_ema_matches_a_hand_computed_sequence():
    smoother = temporal.TemporalSmoother(alpha=0.5)
    outputs = [smoother(_ab(v), _lightness(0.0))[0, 0, 0] for v in [0.0, 1.0, 1.0, 0.0]]
    np.testing.assert_allclose(outputs, [0.0, 0.5, 0.75, 0.375])


def test_alpha_zero_returns_the_raw_prediction():
    smoother = temporal.TemporalSmoother(alpha=0.0)
    for value in [0.3, -0.7, 0.1]:
        np.testing.assert_array_equal(smoother(_ab(value), _lightness(0.0)), _ab(value))


@pytest.mark.parametrize("alpha", [-0.1, 1.0, 1.5])
def test_alpha_outside_zero_one_is_refused(alpha):
    with pytest.raises(ValueError, match="alpha"):
        temporal.TemporalSmoother(alpha=alpha)


def test_a_cut_restarts_the_average_on_the_new_shot():
    """Static shot, then an abrupt change of lightness: the cut frame's output is the raw
    prediction of the new shot, exactly, and the average goes on from there."""
    rng = np.random.default_rng(0)
    lightness = [-0.5] * 5 + [0.5] * 5
    raw = [_ab(0.4) + rng.normal(0, 0.05, [SIZE, SIZE, 2]).astype(np.float32)
           for _ in range(5)]
    raw += [_ab(-0.3) + rng.normal(0, 0.05, [SIZE, SIZE, 2]).astype(np.float32)
            for _ in range(5)]
    smoother = temporal.TemporalSmoother(alpha=0.8)
    smoothed, cuts = [], []
    for ab, value in zip(raw, lightness, strict=True):
        smoothed.append(smoother(ab, _lightness(value)))
        cuts.append(smoother.cut)
    assert cuts == [True, False, False, False, False, True, False, False, False, False]
    np.testing.assert_array_equal(smoothed[5], raw[5])
    np.testing.assert_allclose(smoothed[6], 0.8 * raw[5] + 0.2 * raw[6], rtol=1e-6)


def test_noise_and_small_changes_of_lightness_are_not_cuts():
    rng = np.random.default_rng(1)
    smoother = temporal.TemporalSmoother(alpha=0.8)
    base = rng.uniform(-1, 1, [64, 64, 1]).astype(np.float32)
    for step in range(20):
        noisy = base + rng.normal(0, 0.05, base.shape).astype(np.float32) + 0.002 * step
        smoother(_ab(0.0)[:1, :1], noisy)
        assert smoother.cut == (step == 0)


def test_reset_starts_a_new_shot():
    smoother = temporal.TemporalSmoother(alpha=0.9)
    smoother(_ab(1.0), _lightness(0.0))
    smoother.reset()
    np.testing.assert_array_equal(smoother(_ab(-1.0), _lightness(0.0)), _ab(-1.0))


@pytest.mark.parametrize("shape, grid", [((37, 23), (16, 16)), ((5, 9, 1), (5, 9)),
                                         ((64, 64), (16, 16))])
def test_thumbnail_is_block_means_on_any_size(shape, grid):
    lightness = np.random.default_rng(2).uniform(-1, 1, shape).astype(np.float32)
    small = temporal.thumbnail(lightness, 16)
    assert small.shape == grid
    assert abs(small.mean() - lightness.mean()) < 0.05
    np.testing.assert_allclose(temporal.thumbnail(np.full(shape, 0.25), 16), 0.25)


def test_flicker_is_the_mean_absolute_change_between_frames():
    assert temporal.flicker([_ab(0.0), _ab(1.0), _ab(3.0)]) == pytest.approx(1.5)
    assert temporal.flicker(np.stack([_ab(0.0), _ab(-0.5)])) == pytest.approx(0.5)
    assert temporal.flicker([_ab(0.7)]) == 0.0


def test_flicker_meter_skips_the_change_at_a_cut():
    meter = temporal.FlickerMeter()
    for value, cut in [(0.0, True), (0.1, False), (5.0, True), (5.3, False)]:
        meter.add(_ab(value), cut=cut)
    assert meter.value == pytest.approx(0.2)


@pytest.mark.parametrize("alpha", [0.5, 0.8, 0.9])
def test_smoothing_divides_white_noise_flicker_as_theory_says(alpha):
    """For white noise the EMA is an AR(1) process: flicker drops by (1-a)/sqrt(1+a)."""
    rng = np.random.default_rng(3)
    raw = rng.normal(0, 0.1, [400, SIZE, SIZE, 2]).astype(np.float32)
    smoother = temporal.TemporalSmoother(alpha=alpha)
    smoothed = [smoother(ab, _lightness(0.0)) for ab in raw]
    ratio = temporal.flicker(smoothed[50:]) / temporal.flicker(raw)
    assert ratio == pytest.approx((1 - alpha) / np.sqrt(1 + alpha), rel=0.08)
