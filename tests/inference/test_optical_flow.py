"""Optical flow for video smoothing: DIS flow against known motion, warping against scipy,
and the confidence that must drop where a warp cannot be trusted (borders, disocclusions)."""

from __future__ import annotations

import numpy as np
import pytest
import support
from scipy import ndimage

from colorization_tf.inference import optical_flow

support.require_module("cv2", "OpenCV is not installed (extra [video])")
SIZE = 96


@pytest.fixture(scope="module")
def textures():
    """Two textured grey images in the model's [-1, 1] lightness: the astronaut (the
    background) at 96x96 and coffee at 41x41 (a disc's texture)."""
    skimage_data = support.require_module("skimage.data")
    from skimage import color, transform

    def gray(image, size):
        return (transform.resize(color.rgb2gray(image), (size, size), anti_aliasing=True)
                * 2 - 1).astype(np.float32)

    return gray(skimage_data.astronaut(), SIZE), gray(skimage_data.coffee(), 41)


def _disc_frame(background, texture, left):
    """The background with a disc of radius 20 (texture) whose box starts at column
    ``left``; returns the frame and the disc's mask."""
    rows, cols = np.mgrid[0:SIZE, 0:SIZE]
    disc = (rows - 48) ** 2 + (cols - left - 20) ** 2 <= 20 ** 2
    frame = background.copy()
    frame[disc] = texture[rows[disc] - 28, cols[disc] - left]
    return frame, disc


def test_warp_along_an_integer_flow_is_a_shift():
    """warp(B, flow) fetches B at p + flow: a constant (3, -2) flow is scipy's shift by
    (-(-2), -3) rows/cols, away from the repeated border."""
    image = np.random.default_rng(0).uniform(-1, 1, [40, 50, 2]).astype(np.float32)
    flow = np.broadcast_to(np.array([3.0, -2.0], np.float32), (40, 50, 2))
    warped = optical_flow.warp(image, np.ascontiguousarray(flow))
    expected = ndimage.shift(image, (2, -3, 0), order=1)
    np.testing.assert_allclose(warped[2:, :-3], expected[2:, :-3], atol=1e-6)
    inside = optical_flow.inside(np.ascontiguousarray(flow))
    assert not inside[:2].any() and not inside[:, -3:].any() and inside[2:, :-3].all()


def test_dis_flow_recovers_a_subpixel_translation(textures):
    """The second image is the first moved by (x 2.5, y -1.25) px (cubic spline shift):
    the flow from the second to the first points back by that much, to 0.15 px."""
    first = textures[0]
    second = ndimage.shift(first, (-1.25, 2.5), order=3, mode="nearest")
    estimator = optical_flow.FlowEstimator()
    flow = estimator(optical_flow.lightness_u8(second), optical_flow.lightness_u8(first))
    interior = flow[12:-12, 12:-12].reshape(-1, 2)
    np.testing.assert_allclose(np.median(interior, axis=0), [-2.5, 1.25], atol=0.15)


def test_confidence_drops_on_disoccluded_background_only(textures):
    """A textured disc moves 6 px right over a still textured background: the flow
    inside the disc is (-6, 0) back to the previous frame; the background it uncovers
    has low confidence (forward-backward check, lightness), the rest of the background
    full confidence."""
    background, texture = textures
    previous, previous_disc = _disc_frame(background, texture, 20)
    current, current_disc = _disc_frame(background, texture, 26)
    estimator = optical_flow.FlowEstimator()
    a, b = optical_flow.lightness_u8(current), optical_flow.lightness_u8(previous)
    backward, forward = estimator(a, b), estimator(b, a)
    confidence = optical_flow.confidence(current, previous, backward, forward)
    rows, cols = np.mgrid[0:SIZE, 0:SIZE]
    core = (rows - 48) ** 2 + (cols - 46) ** 2 <= 14 ** 2
    uncovered = previous_disc & ~current_disc
    far = (rows - 48) ** 2 + (cols - 46) ** 2 > 32 ** 2
    assert np.abs(backward[core] - [-6.0, 0.0]).mean() < 0.3
    assert confidence[core].mean() > 0.9
    assert confidence[far].mean() > 0.9
    assert confidence[uncovered].mean() < 0.3
    assert optical_flow.consistent(backward, forward)[uncovered].mean() < 0.5
    assert confidence.min() >= 0.0 and confidence.max() <= 1.0


def test_lightness_u8_maps_the_model_range_onto_bytes():
    values = np.array([[-1.0, 0.0, 1.0, 1.5]], np.float32)
    np.testing.assert_array_equal(optical_flow.lightness_u8(values), [[0, 128, 255, 255]])
    assert optical_flow.lightness_u8(values[..., None]).shape == (1, 4)


@pytest.mark.parametrize("field, value, message", [
    ("preset", "slow", "flow preset must be one of"),
    ("finest_scale", -1, "finest_scale"),
    ("max_size", 8, "max_size must be at least 16"),
    ("consistency_absolute", 0.0, "consistency thresholds"),
    ("lightness_tolerance", 0.0, "lightness_tolerance")])
def test_bad_flow_settings_are_refused(field, value, message):
    with pytest.raises(ValueError, match=message):
        optical_flow.FlowConfig(**{field: value})


def test_images_of_different_sizes_are_refused():
    estimator = optical_flow.FlowEstimator()
    with pytest.raises(ValueError, match="two \\[H,W\\] images of one size"):
        estimator(np.zeros([8, 8], np.uint8), np.zeros([8, 9], np.uint8))


def test_missing_opencv_is_one_line_naming_the_extra(monkeypatch):
    with support.without_opencv(monkeypatch):
        with pytest.raises(optical_flow.OpenCVMissing) as caught:
            optical_flow.FlowEstimator()
        message = str(caught.value)
        assert "\n" not in message and 'pip install "colorization_tf[video]"' in message
        assert not optical_flow.available()


def test_flow_above_the_working_size_is_estimated_small_and_scaled_back():
    """A 320x320 photo moved by (x 5, y -3) px: with ``max_size=128`` the flow comes from
    a 128 px estimate, scaled back to full-size pixels, within 0.3 px; a wider 320x200
    image keeps its shape."""
    skimage_data = support.require_module("skimage.data")
    from skimage import color, transform

    first = (transform.resize(color.rgb2gray(skimage_data.astronaut()), (320, 320),
                              anti_aliasing=True) * 2 - 1).astype(np.float32)
    second = ndimage.shift(first, (3.0, -5.0), order=3, mode="nearest")
    estimator = optical_flow.FlowEstimator(optical_flow.FlowConfig(max_size=128))
    flow = estimator(optical_flow.lightness_u8(second), optical_flow.lightness_u8(first))
    assert flow.shape == (320, 320, 2)
    interior = flow[40:-40, 40:-40].reshape(-1, 2)
    np.testing.assert_allclose(np.median(interior, axis=0), [5.0, -3.0], atol=0.3)
    wide = optical_flow.lightness_u8(first[:200])
    assert estimator(wide, wide).shape == (200, 320, 2)
