"""The edges of the optical-flow module's promises, each found by mutation testing
(``python tools/mutation.py inference/optical_flow.py``): the consistency and confidence
formulas against hand-computed cases, the frame's edges, the lightness bytes, warping
(bilinear, borders repeated, integer images, a channel kept), the settings' ranges, and
how a large frame is shrunk (area average) and its flow scaled back, seen through a
stand-in for DIS."""

from __future__ import annotations

import numpy as np
import pytest
import support

from colorization_tf.inference import optical_flow

cv2 = support.require_module("cv2", "OpenCV is not installed (extra [video])")


def _constant(x: float, y: float, height: int = 12, width: int = 16) -> np.ndarray:
    flow = np.empty([height, width, 2], np.float32)
    flow[..., 0], flow[..., 1] = x, y
    return flow


def test_opencv_is_available_here():
    assert optical_flow.available() is True


# (b + f) = (0.5, -1): miss 1.25; |b|^2 + |f|^2 = 13 + 7.25 = 20.25
@pytest.mark.parametrize("relative, absolute, expected", [
    (0.01, 0.5, False),  # 1.25 > 0.2025 + 0.5
    (0.05, 0.5, True),  # 1.25 <= 1.0125 + 0.5
    (0.0, 1.25, True),  # exactly on the threshold
    (0.0, 1.2499, False)])
def test_forward_backward_consistency_is_sundarams_test(relative, absolute, expected):
    """Constant flows b = (3, -2) and f = (-2.5, 1): a pixel is consistent when
    ``|b + f|^2 <= relative * (|b|^2 + |f|^2) + absolute``, worked out by hand."""
    config = optical_flow.FlowConfig(consistency_relative=relative,
                                     consistency_absolute=absolute)
    result = optical_flow.consistent(_constant(3, -2), _constant(-2.5, 1), config)
    assert result.shape == (12, 16) and result.dtype == bool
    assert np.all(result == expected)


@pytest.mark.parametrize("shape", [(12, 16), (12, 16, 1)])
def test_confidence_is_the_gaussian_of_the_lightness_difference(shape):
    """Flat frames 0.06 apart, no motion: float32 ``exp(-(0.06 / tolerance)^2)``
    everywhere, for ``[H,W]`` and ``[H,W,1]`` lightness, with the caller's tolerance and
    consistency settings: flows of half a pixel each way miss by 1 px^2 on the round
    trip, untrusted (0) under a threshold of 0.5, trusted under 2 (but for the column
    they fetch from outside the frame)."""
    zero = _constant(0, 0)
    current, previous = np.full(shape, 0.26, np.float32), np.full(shape, 0.2, np.float32)
    config = optical_flow.FlowConfig(lightness_tolerance=0.1)
    got = optical_flow.confidence(current, previous, zero, zero, config)
    assert got.shape == (12, 16) and got.dtype == np.float32
    np.testing.assert_allclose(got, np.exp(-np.square(0.06 / 0.1)), rtol=1e-5)
    strict = optical_flow.FlowConfig(consistency_relative=0.0, consistency_absolute=0.5)
    moved = _constant(0.5, 0)
    assert np.all(optical_flow.confidence(current, previous, moved, moved, strict) == 0)
    lenient = optical_flow.FlowConfig(consistency_relative=0.0, consistency_absolute=2.0)
    assert np.all(optical_flow.confidence(current, previous, moved, moved, lenient)[:, :-1] > 0)


@pytest.mark.parametrize("x, y, outside", [(0, 0, None), (0, 1, np.s_[-1, :]),
                                           (0, -1, np.s_[0, :]), (1, 0, np.s_[:, -1]),
                                           (-1, 0, np.s_[:, 0])])
def test_inside_includes_the_frames_edges_and_nothing_beyond(x, y, outside):
    expected = np.ones([12, 16], bool)
    if outside is not None:
        expected[outside] = False
    np.testing.assert_array_equal(optical_flow.inside(_constant(x, y)), expected)


def test_lightness_bytes_are_rounded_and_clipped_at_both_ends():
    values = np.array([[-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5]], np.float32)
    # round((x + 1) * 255 / 2): 63.75 -> 64, 127.5 -> 128 (to even), 191.25 -> 191
    np.testing.assert_array_equal(optical_flow.lightness_u8(values),
                                  [[0, 0, 64, 128, 191, 255, 255]])


def test_warp_is_bilinear_repeats_the_border_and_keeps_the_shape():
    """A horizontal ramp 0, 10, 20, ... moved half a pixel reads the midpoints; moved
    past the right edge it reads the last column (repeated, not zero); integer images are
    sampled without rounding, and a ``[H,W,1]`` image comes back ``[H,W,1]``."""
    ramp = np.tile(np.arange(16, dtype=np.float32) * 10, (12, 1))
    half = optical_flow.warp(ramp, _constant(0.5, 0))
    np.testing.assert_allclose(half[:, :-1], ramp[:, :-1] + 5, atol=1e-4)
    far = optical_flow.warp(ramp, _constant(40, 0))
    np.testing.assert_allclose(far, 150.0)
    as_bytes = optical_flow.warp((ramp / 2).astype(np.uint8), _constant(0.5, 0))
    np.testing.assert_allclose(as_bytes[:, :-1], ramp[:, :-1] / 2 + 2.5, atol=1e-4)
    assert optical_flow.warp(ramp[..., None], _constant(0.5, 0)).shape == (12, 16, 1)


@pytest.mark.parametrize("settings", [{"consistency_relative": 0.0}, {"max_size": 16},
                                      {"finest_scale": 0}])
def test_flow_settings_include_the_ends_of_their_ranges(settings):
    optical_flow.FlowConfig(**settings)


@pytest.mark.parametrize("settings, message", [
    ({"preset": "slow"}, "flow preset must be one of ultrafast, fast, medium, got 'slow'"),
    ({"consistency_relative": -0.1}, "consistency thresholds must be >= 0 (relative) and > 0 "
                                     "(absolute), got -0.1, 0.5")])
def test_bad_flow_settings_are_named_in_full(settings, message):
    with pytest.raises(ValueError) as raised:
        optical_flow.FlowConfig(**settings)
    assert str(raised.value) == message


@pytest.mark.parametrize("preset", optical_flow.PRESETS)
def test_every_preset_and_finest_scale_reaches_dis(preset):
    default = optical_flow.FlowEstimator(optical_flow.FlowConfig(preset=preset))
    assert default._dis.getFinestScale() == {"ultrafast": 2, "fast": 2, "medium": 1}[preset]
    for scale in (0, 3):
        config = optical_flow.FlowConfig(preset=preset, finest_scale=scale)
        assert optical_flow.FlowEstimator(config)._dis.getFinestScale() == scale


class _StandInDis:
    """Records the images DIS is given; answers a flow made by ``answer(height, width)``."""

    def __init__(self, answer):
        self.answer, self.given = answer, []

    def calc(self, source, target, flow):
        self.given.append((source, target))
        return self.answer(*source.shape)


def _estimator(max_size, answer):
    estimator = optical_flow.FlowEstimator(optical_flow.FlowConfig(max_size=max_size))
    estimator._dis = _StandInDis(answer)
    return estimator, estimator._dis


def test_a_frame_within_the_working_size_goes_to_dis_as_it_is():
    estimator, dis = _estimator(64, lambda h, w: _constant(1.5, -0.5, h, w))
    image = np.random.default_rng(0).integers(0, 256, (64, 40), np.uint8)
    flow = estimator(image, image)
    assert dis.given[0][0] is image and dis.given[0][1] is image
    np.testing.assert_array_equal(flow, _constant(1.5, -0.5, 64, 40))


def test_a_larger_frame_is_shrunk_by_area_average_and_its_flow_scaled_back():
    """1024x512 noise with ``max_size=256``: DIS gets the 4x4 block means (256x128, to
    within the byte rounding), and a small flow of (1, 1) pixel comes back as (4, 4) over
    the full frame."""
    estimator, dis = _estimator(256, lambda h, w: _constant(1, 1, h, w))
    rng = np.random.default_rng(0)
    source, target = (rng.integers(0, 256, (512, 1024), np.uint8) for _ in range(2))
    flow = estimator(source, target)
    for given, image in zip(dis.given[0], (source, target), strict=True):
        means = image.reshape(128, 4, 256, 4).mean(axis=(1, 3))
        assert given.shape == (128, 256)
        assert np.abs(given - means).max() <= 0.5 + 1e-9
    assert flow.shape == (512, 1024, 2)
    np.testing.assert_allclose(flow, _constant(4, 4, 512, 1024), rtol=1e-6)


def test_the_small_flow_is_upscaled_bilinearly():
    """A small flow that is a ramp along x (its value: the column) comes back a straight
    ramp in the interior (bilinear), not a staircase (nearest)."""
    def ramp(height, width):
        flow = np.zeros([height, width, 2], np.float32)
        flow[..., 0] = np.arange(width, dtype=np.float32)
        return flow

    estimator, _ = _estimator(32, ramp)
    image = np.zeros((64, 128), np.uint8)
    flow = estimator(image, image)[..., 0]
    steps = np.diff(flow[:, 8:-8], axis=1)
    np.testing.assert_allclose(steps, steps[0, 0], rtol=1e-4)


@pytest.mark.parametrize("shape, small", [((3, 1000), (1, 256)), ((1000, 3), (256, 1)),
                                          ((9, 1000), (2, 256))])
def test_a_thin_frame_keeps_its_aspect_ratio_down_to_one_pixel(shape, small):
    """The long side shrinks to ``max_size`` and the short one by the same factor,
    rounded, but never below one pixel."""
    estimator, dis = _estimator(256, lambda h, w: _constant(0, 0, h, w))
    image = np.zeros(shape, np.uint8)
    assert estimator(image, image).shape == shape + (2,)
    assert dis.given[0][0].shape == small
