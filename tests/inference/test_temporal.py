"""Temporal smoothing: the moving average, scene-cut resets, and the flicker measure."""

from __future__ import annotations

import numpy as np
import pytest
import support

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


# ------------------------------------------------------------ motion-compensated (flow) mode

AB_NOISE = (0.04, 0.02)  # per-frame global and per-pixel noise of the stand-in (scaled ab)


@pytest.fixture(scope="module")
def photo_lab():
    """A textured colour photo (scikit-image's astronaut, shipped offline) at 160x160 in
    the model's scaling: lightness [H,W,1] and ab [H,W,2]. Flow mode's tests need OpenCV
    (the test extra has it) and are skipped without it."""
    support.require_module("cv2", "OpenCV is not installed (extra [video])")
    skimage_data = support.require_module("skimage.data")
    from skimage import color, transform

    lab = color.rgb2lab(transform.resize(skimage_data.astronaut(), (160, 160),
                                         anti_aliasing=True))
    return (((lab[..., :1] - 50) / 50).astype(np.float32),
            ((lab[..., 1:] + 0.5) / 127.5).astype(np.float32))


def _noisy(ab: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What a frame-by-frame colorizer shows: the truth plus a global and a pixel noise."""
    noise = rng.normal(0, AB_NOISE[0], (1, 1, 2)) + rng.normal(0, AB_NOISE[1], ab.shape)
    return (ab + noise).astype(np.float32)


def test_flow_mode_follows_a_pan_where_ema_leaves_a_trail(photo_lab):
    """Pure translation (1, 2 px per frame, exact integer crops of the photo): near moving
    edges (true ab changed by > 0.05 over 3 frames), away from the border where new content
    enters, the compensated average stays within 0.02 scaled ab (2.5 Lab units) of the
    truth, below the raw prediction's error, while EMA at the same alpha trails behind at
    more than 0.04 (worse than no smoothing) and at least 3x the compensated error."""
    lightness, ab = photo_lab
    size, (dy, dx), alpha = 96, (1, 2), 0.8
    rng = np.random.default_rng(0)
    smoothers = {mode: temporal.TemporalSmoother(alpha, mode=mode) for mode in ("ema", "flow")}
    errors, history = {"ema": [], "flow": [], "raw": []}, []
    interior = np.zeros([size, size], bool)
    interior[:-12 * dy, :-12 * dx] = True  # content visible for at least 12 frames
    for t in range(24):
        crop = np.s_[t * dy:t * dy + size, t * dx:t * dx + size]
        truth, raw = ab[crop], _noisy(ab[crop], rng)
        outputs = {mode: smoother(raw, lightness[crop]) for mode, smoother in smoothers.items()}
        outputs["raw"] = raw
        history.append(truth)
        if t >= 12:
            edges = interior & (np.abs(truth - history[-4]).max(-1) > 0.05)
            assert edges.mean() > 0.1  # the photo is textured: the measure covers much of it
            for mode, output in outputs.items():
                errors[mode].append(np.abs(output - truth).mean(-1)[edges].mean())
    ema, flow, raw = (float(np.mean(errors[m])) for m in ("ema", "flow", "raw"))
    assert flow < 0.02
    assert flow < raw
    assert ema > 0.04
    assert ema > 3 * flow


def test_flow_mode_restarts_at_a_cut(photo_lab):
    lightness, ab = photo_lab
    shots = [(lightness[:64, :64], ab[:64, :64]), (lightness[96:, 96:], ab[96:, 96:])]
    rng = np.random.default_rng(4)
    smoother = temporal.TemporalSmoother(alpha=0.9, mode="flow")
    cuts = []
    for index in range(10):
        shot_lightness, shot_ab = shots[index // 5]
        raw = _noisy(shot_ab, rng)
        output = smoother(raw, shot_lightness)
        cuts.append(smoother.cut)
        if index == 5:
            np.testing.assert_array_equal(output, raw)
            assert smoother.confidence is None
    assert cuts == [True, False, False, False, False, True, False, False, False, False]


@pytest.mark.parametrize("alpha", [0.5, 0.8])
def test_flow_mode_on_a_still_clip_removes_flicker_as_ema_does(photo_lab, alpha):
    """A still textured shot with white-noise ab: the flow is zero and every warp is
    trusted, so flow mode's flicker reduction is EMA's within 3% (and both follow the
    AR(1) theory (1-a)/sqrt(1+a) within 8%)."""
    lightness = photo_lab[0][:64, :64]
    raw = np.random.default_rng(5).normal(0, 0.1, [300, 64, 64, 2]).astype(np.float32)
    ratios = {}
    for mode in ("ema", "flow"):
        smoother = temporal.TemporalSmoother(alpha, mode=mode)
        smoothed = [smoother(frame, lightness) for frame in raw]
        ratios[mode] = temporal.flicker(smoothed[30:]) / temporal.flicker(raw)
    assert ratios["flow"] == pytest.approx(ratios["ema"], rel=0.03)
    assert ratios["flow"] == pytest.approx((1 - alpha) / np.sqrt(1 + alpha), rel=0.08)


def test_flow_mode_memory_is_flat_in_the_clip_length(photo_lab):
    """A panning clip streamed frame by frame: the smoother holds one frame's state
    whatever the length, and the peak of Python-allocated memory over 300 frames is that
    over 30 (within 64 KiB)."""
    import tracemalloc

    lightness, ab = photo_lab
    rng = np.random.default_rng(6)

    def run(frames: int) -> tuple[int, set[int]]:
        smoother = temporal.TemporalSmoother(0.8, mode="flow")
        sizes = set()
        tracemalloc.start()
        for t in range(frames):
            offset = t % 64
            crop = np.s_[offset:offset + 64, offset:offset + 64]
            smoother(_noisy(ab[crop], rng), lightness[crop])
            if t:
                sizes.add(smoother.state_bytes())
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak, sizes

    short_peak, short_sizes = run(30)
    long_peak, long_sizes = run(300)
    assert long_sizes == short_sizes and len(long_sizes) == 1
    assert long_peak <= short_peak + 64 * 1024


def test_flow_mode_with_alpha_zero_is_the_raw_prediction():
    smoother = temporal.TemporalSmoother(alpha=0.0, mode="flow")
    for value in [0.3, -0.7]:
        np.testing.assert_array_equal(smoother(_ab(value), _lightness(0.0)), _ab(value))


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="temporal mode must be one of flow, ema"):
        temporal.TemporalSmoother(0.5, mode="optical")


def test_create_falls_back_to_ema_without_opencv(monkeypatch):
    """No OpenCV: flow mode becomes EMA and says so in one line naming the extra."""
    with support.without_opencv(monkeypatch):
        notes = []
        smoother = temporal.create(0.8, "flow", note=notes.append)
        assert smoother.mode == "ema"
        assert len(notes) == 1 and "\n" not in notes[0]
        assert 'pip install "colorization_tf[video]"' in notes[0]
        assert temporal.create(0.0, "flow", note=notes.append).mode == "flow"  # no flow used
        assert len(notes) == 1


def test_colorize_video_in_flow_mode_follows_a_pan_and_restarts_at_the_cut(photo_lab, tmp_path):
    """End to end through ``video.colorize_video``: an H.264 clip pans across the photo
    (1, 2 px a frame) for 16 frames, then cuts to another part of it for 8. The stand-in
    predicts the true ab (of the decoded frame) plus noise; the ab handed to recombine in
    flow mode stays within 0.02 of the truth over the pan's last 8 frames (away from the
    border content enters by), less than half EMA's error; both modes restart at 16."""
    from skimage import color

    from colorization_tf.inference import video

    lightness, ab = photo_lab
    lab = np.concatenate([lightness * 50 + 50, ab * 127.5 - 0.5], -1)
    rgb = (np.clip(color.lab2rgb(lab), 0, 1) * 255).round().astype(np.uint8)
    frames = [rgb[t:t + 96, 2 * t:2 * t + 96] for t in range(16)]
    frames += [rgb[56 + t:152 + t, 60:156][::-1] for t in range(8)]
    clip = str(tmp_path / "pan.mp4")
    with video.VideoWriter(clip, 12) as writer:
        for frame in frames:
            writer.write(np.ascontiguousarray(frame))
    errors = {}
    for mode in ("ema", "flow"):
        rng, handed, truths = np.random.default_rng(7), [], []

        def predict_ab(batch, rng=rng, truths=truths):
            small = color.rgb2lab(batch.astype(np.float32) / 255.0)
            truth = ((small[..., 1:] + 0.5) / 127.5).astype(np.float32)
            truths.extend(truth)
            noisy = np.stack([_noisy(one, rng) for one in truth])
            return noisy, ((small[..., :1] - 50) / 50).astype(np.float32)

        def recombine(frame, smoothed, handed=handed):
            handed.append(smoothed.copy())
            return frame

        summary = video.colorize_video(clip, str(tmp_path / f"out-{mode}.mp4"), predict_ab,
                                       recombine, batch_size=4, smoothing=0.8, mode=mode,
                                       progress=False)
        assert summary.frames == 24 and summary.cuts == [16]
        errors[mode] = np.mean([np.abs(handed[t] - truths[t])[:-8, :-16].mean()
                                for t in range(8, 16)])
    assert errors["flow"] < 0.02
    assert errors["ema"] > 2 * errors["flow"]
