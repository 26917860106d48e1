"""The edges of temporal smoothing's promises, each found by mutation testing
(``python tools/mutation.py inference/temporal.py``): the defaults and ranges, the cut
threshold met exactly, the thumbnail size and flow settings a caller gives, frames whose
size changes, integer input, the fallback without OpenCV keeping the caller's settings,
and the state held between frames."""

from __future__ import annotations

import numpy as np
import pytest
import support

from colorization_tf.inference import optical_flow, temporal


def _full(value: float, channels: int, size: int = 16) -> np.ndarray:
    return np.full([size, size, channels], value, np.float32)


def test_a_smoother_made_with_no_arguments_is_off():
    smoother = temporal.TemporalSmoother()
    for value in (0.5, -0.25):
        np.testing.assert_array_equal(smoother(_full(value, 2), _full(0.0, 1)), _full(value, 2))


def test_the_cut_threshold_must_be_positive():
    with pytest.raises(ValueError) as raised:
        temporal.TemporalSmoother(0.5, cut_threshold=0.0)
    assert str(raised.value) == "cut_threshold must be positive, got 0.0"


@pytest.mark.parametrize("change, cut", [(0.25, False), (0.25 + 2 ** -20, True)])
def test_a_change_of_exactly_the_threshold_is_not_a_cut(change, cut):
    smoother = temporal.TemporalSmoother(0.5, cut_threshold=0.25)
    smoother(_full(0.0, 2), _full(0.0, 1))
    smoother(_full(1.0, 2), _full(change, 1))
    assert smoother.cut is cut


def test_the_cut_is_judged_on_thumbnails_of_the_size_asked():
    """Lightness that rises and falls by 0.5 in a checkerboard of 8-pixel squares: on a
    4x4 thumbnail (one block per square) every block changes by 0.5, a cut; on a 2x2
    thumbnail the squares cancel within each block, no cut."""
    rows, cols = np.indices((32, 32))
    checker = np.where((rows // 8 + cols // 8) % 2 == 0, 0.5, -0.5)[..., None]
    for size, cut in [(4, True), (2, False)]:
        smoother = temporal.TemporalSmoother(0.5, thumbnail_size=size)
        smoother(_full(0.0, 2, 32), _full(0.0, 1, 32))
        smoother(_full(1.0, 2, 32), checker.astype(np.float32))
        assert smoother.cut is cut, size


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_ema_step_is_the_formula_at_any_alpha(alpha):
    previous, ab = _full(0.8, 2), _full(-0.4, 2)
    np.testing.assert_allclose(temporal.ema_step(previous, ab, alpha),
                               alpha * 0.8 + (1 - alpha) * -0.4, rtol=1e-6)


def test_every_output_is_float32_whatever_the_input():
    ab = np.full([16, 16, 2], 0.3, np.float64)
    assert temporal.ema_step(None, ab, 0.5).dtype == np.float32
    assert temporal.ema_step(ab, ab, 0.5).dtype == np.float32
    for mode in temporal.MODES:
        smoother = temporal.TemporalSmoother(0.5, mode=mode)
        assert smoother(ab, _full(0.0, 1)).dtype == np.float32, mode
        assert smoother(ab, _full(0.0, 1)).dtype == np.float32, mode


def test_confidence_is_none_in_ema_mode():
    smoother = temporal.TemporalSmoother(0.5, mode="ema")
    smoother(_full(0.0, 2), _full(0.0, 1))
    smoother(_full(1.0, 2), _full(0.01, 1))
    assert smoother.confidence is None and not smoother.cut


def test_integer_lightness_and_ab_are_not_wrapped():
    """uint8 input is read as numbers: its thumbnail is that of its float values (no
    overflow in the block sums) and its flicker that of its float values (no wrap in the
    differences)."""
    lightness = np.full([32, 32], 200, np.uint8)
    np.testing.assert_allclose(temporal.thumbnail(lightness, 4), 200.0)
    frames = [np.full([4, 4, 2], value, np.uint8) for value in (10, 5, 10)]
    assert temporal.flicker(frames) == pytest.approx(5.0)


def test_the_flow_settings_given_are_the_ones_used():
    """Two flat frames 0.04 apart in lightness (no motion, no cut): the warp's weight is
    ``exp(-(dL / tolerance)^2)`` with the caller's tolerance, dL the difference of the
    lightness levels DIS is given, and the output is the blend it weights."""
    config = optical_flow.FlowConfig(lightness_tolerance=0.05)
    smoother = temporal.TemporalSmoother(0.5, mode="flow", flow_config=config)
    before, after = _full(0.0, 1), _full(0.04, 1)
    smoother(_full(0.0, 2), before)
    out = smoother(_full(1.0, 2), after)
    levels = [int(optical_flow.lightness_u8(x)[0, 0]) for x in (before, after)]
    weight = np.exp(-np.square((levels[1] - levels[0]) / 127.5 / 0.05))
    assert not smoother.cut and 0.2 < weight < 0.8
    np.testing.assert_allclose(smoother.confidence, weight, rtol=1e-5)
    np.testing.assert_allclose(out, 1.0 - 0.5 * weight, rtol=1e-5)


def test_lightness_levels_read_back_to_the_model_units_they_came_from():
    values = np.linspace(-1.0, 1.0, 1001, dtype=np.float32)
    back = temporal._model_units(optical_flow.lightness_u8(values[:, None]))
    np.testing.assert_allclose(back[:, 0], values, atol=1 / 255 + 1e-6)


def test_a_frame_of_another_size_starts_afresh_in_flow_mode():
    """The same flat picture at 32 px after 16 px (thumbnails alike, so no cut is seen):
    the new frame's raw prediction, not a warp of the old size's average."""
    smoother = temporal.TemporalSmoother(0.8, mode="flow")
    smoother(_full(0.5, 2, 16), _full(0.0, 1, 16))
    out = smoother(_full(-0.5, 2, 32), _full(0.0, 1, 32))
    np.testing.assert_array_equal(out, _full(-0.5, 2, 32))
    assert smoother.confidence is None


@pytest.mark.parametrize("mode", temporal.MODES)
def test_the_state_is_a_frames_worth_and_nothing_after_reset(mode):
    smoother = temporal.TemporalSmoother(0.5, mode=mode)
    assert smoother.state_bytes() == 0
    ab = _full(0.1, 2)
    smoother(ab, _full(0.0, 1))
    assert ab.nbytes < smoother.state_bytes() < 4 * ab.nbytes
    smoother.reset()
    assert smoother.state_bytes() == 0


def test_create_passes_its_settings_through_and_on_the_fallback(monkeypatch):
    """Without OpenCV, the ema smoother ``create`` falls back to keeps the caller's alpha
    and cut threshold, and the note is one line saying what happens instead."""
    assert temporal.create(0.6, "ema", cut_threshold=0.4).cut_threshold == 0.4
    assert temporal.create(0.6, "flow", cut_threshold=0.4).cut_threshold == 0.4
    with support.without_opencv(monkeypatch):
        notes = []
        smoother = temporal.create(0.6, "flow", cut_threshold=0.4, note=notes.append)
        assert (smoother.mode, smoother.alpha, smoother.cut_threshold) == ("ema", 0.6, 0.4)
        assert notes[0].startswith("--temporal_mode=flow: ")
        assert notes[0].endswith("; smoothing without motion compensation (ema) instead")
