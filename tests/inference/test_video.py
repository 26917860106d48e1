"""Video in and out: probing, streaming frames, the atomic H.264 writer with audio, and
colorize_video with a fake predictor (no model): frame count, size, rate and audio kept,
smoothing lowers flicker without crossing a cut, broken files give VideoReadError."""

from __future__ import annotations

import os
import subprocess
from fractions import Fraction

import imageio_ffmpeg
import numpy as np
import pytest

from colorization_tf.inference import video

MODEL_SIZE = 16


def ffmpeg(*args: str) -> None:
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel",
                    "error", "-y", *args], check=True)


def lavfi_clip(path, size="96x64", rate="12", seconds="1", audio=False, options=()) -> str:
    """A test-pattern clip from ffmpeg's lavfi (with a sine tone when ``audio``)."""
    inputs = ["-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}"]
    if audio:
        inputs += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050"]
    pixels = "yuv420p" if all(int(n) % 2 == 0 for n in size.split("x")) else "yuv444p"
    ffmpeg(*inputs, "-t", seconds, "-c:v", "libx264", "-pix_fmt", pixels, *options, str(path))
    return str(path)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    return {
        "plain": lavfi_clip(folder / "plain.mp4"),
        "audio": lavfi_clip(folder / "audio.mp4", audio=True),
        "odd": lavfi_clip(folder / "odd.mkv", size="95x63", rate="30000/1001", seconds="0.5"),
    }


class FakePredictor:
    """``predict_ab``: a constant colour per shot (dark frames one colour, bright frames
    another) plus Gaussian noise, at MODEL_SIZE; ``recombine`` keeps the frame and records
    the ab it was given. Both keep what they saw, in order."""

    def __init__(self, noise: float = 0.05, seed: int = 0):
        self.noise = noise
        self.rng = np.random.default_rng(seed)
        self.raw: list[np.ndarray] = []
        self.used: list[np.ndarray] = []

    def predict_ab(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        step_y, step_x = frames.shape[1] // MODEL_SIZE, frames.shape[2] // MODEL_SIZE
        small = frames[:, ::step_y, ::step_x][:, :MODEL_SIZE, :MODEL_SIZE]
        lightness = small.mean(axis=-1, keepdims=True).astype(np.float32) / 127.5 - 1.0
        dark = lightness.mean(axis=(1, 2, 3)) < 0
        colour = np.where(dark[:, None], [0.3, -0.2], [-0.25, 0.35]).astype(np.float32)
        ab = colour[:, None, None, :] + self.rng.normal(
            0, self.noise, lightness.shape[:3] + (2,)).astype(np.float32)
        self.raw.extend(ab)
        return ab, lightness

    def recombine(self, frame: np.ndarray, ab: np.ndarray) -> np.ndarray:
        self.used.append(np.array(ab))
        return frame.copy()


def colorize(in_path, out_path, fake=None, **options) -> video.VideoSummary:
    fake = fake or FakePredictor()
    return video.colorize_video(str(in_path), str(out_path), fake.predict_ab, fake.recombine,
                                progress=options.pop("progress", False), **options)


def write_clip(path, frames, fps=12) -> str:
    with video.VideoWriter(str(path), fps) as writer:
        for frame in frames:
            writer.write(frame)
    return str(path)


def gradient(width=64, height=48, low=20, high=80) -> np.ndarray:
    row = np.linspace(low, high, width).astype(np.uint8)
    return np.repeat(np.tile(row, (height, 1))[..., None], 3, axis=-1)


def checkerboard(width=64, height=48, low=150, high=230) -> np.ndarray:
    cells = (np.arange(height)[:, None] // 8 + np.arange(width)[None, :] // 8) % 2
    return np.repeat(np.where(cells, high, low).astype(np.uint8)[..., None], 3, axis=-1)


def leftovers(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder) if ".tmp-" in name)


# ------------------------------------------------------------------------------ probing


def test_probe_reports_size_rate_frames_and_audio(clips):
    info = video.probe(clips["audio"])
    assert (info.width, info.height, info.fps, info.frames) == (96, 64, 12.0, 12)
    assert info.has_audio and info.duration == pytest.approx(1.0, abs=0.1)
    assert not video.probe(clips["plain"]).has_audio
    odd = video.probe(clips["odd"])
    assert (odd.width, odd.height, odd.rate) == (95, 63, Fraction(30000, 1001))


@pytest.mark.parametrize("fps, rate", [(29.97, Fraction(30000, 1001)),
                                       (23.98, Fraction(24000, 1001)),
                                       (59.94, Fraction(60000, 1001)), (12.0, Fraction(12)),
                                       (12.5, Fraction(25, 2)), (25.0, Fraction(25))])
def test_exact_rate_recovers_ntsc_fractions(fps, rate):
    assert video.exact_rate(fps) == rate


def test_read_frames_streams_uint8_rgb(clips):
    frames = video.read_frames(clips["plain"])
    first = next(frames)
    assert first.dtype == np.uint8 and first.shape == (64, 96, 3)
    assert 1 + sum(1 for _ in frames) == 12


# ------------------------------------------------------------------------------ writing


@pytest.mark.parametrize("width, height", [(64, 48), (65, 49)])
def test_writer_keeps_size_count_and_colour(tmp_path, width, height):
    colour = np.array([200, 80, 40], np.uint8)
    frame = np.broadcast_to(colour, (height, width, 3))
    path = write_clip(tmp_path / "flat.mp4", [frame] * 5)
    frames = list(video.read_frames(path))
    assert len(frames) == 5 and frames[0].shape == (height, width, 3)
    assert np.abs(frames[2].astype(int) - colour).mean() < 3  # BT.709 in, BT.709 out
    assert leftovers(tmp_path) == []


def test_writer_failure_leaves_nothing(tmp_path):
    with pytest.raises(ValueError, match="frame of 32x32"):
        write_clip(tmp_path / "bad.mp4", [gradient(), np.zeros([32, 32, 3], np.uint8)])
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------------------- colorizing


@pytest.mark.parametrize("clip", ["plain", "audio", "odd"])
def test_colorize_video_keeps_frames_size_rate_and_audio(clips, tmp_path, clip):
    out = tmp_path / ("out" + os.path.splitext(clips[clip])[1])
    summary = colorize(clips[clip], out, batch_size=5)
    source, result = video.probe(clips[clip]), video.probe(str(out))
    assert (result.width, result.height) == (source.width, source.height)
    assert result.rate == source.rate and result.frames == source.frames == summary.frames
    assert result.has_audio == source.has_audio == (clip == "audio")
    assert leftovers(tmp_path) == []


def test_smoothing_lowers_flicker_on_a_static_clip(tmp_path):
    static = write_clip(tmp_path / "static.mp4", [gradient()] * 24)
    flicker = {alpha: colorize(static, tmp_path / f"out{alpha}.mp4", smoothing=alpha).flicker
               for alpha in (0.0, 0.8)}
    assert flicker[0.8] < 0.3 * flicker[0.0]


def test_smoothing_does_not_cross_a_cut(tmp_path):
    spliced = write_clip(tmp_path / "cut.mp4", [gradient()] * 12 + [checkerboard()] * 12)
    fake = FakePredictor()
    summary = colorize(spliced, tmp_path / "out.mp4", fake, smoothing=0.9, batch_size=5)
    assert summary.cuts == [12]
    # recombine runs in RECOMBINE_THREADS threads, so ``used`` is in completion order: look
    # each frame's ab up by content (the noise makes every raw ab unique)
    def was_used(ab) -> bool:
        return any(np.array_equal(used, ab) for used in fake.used)

    assert len(fake.used) == 24
    assert was_used(fake.raw[12])  # the first frame after the cut is not smoothed
    assert not was_used(fake.raw[11])  # smoothing was on before it


def test_progress_bar_counts_frames(clips, tmp_path, capsys):
    colorize(clips["plain"], tmp_path / "out.mp4", progress=True)
    assert "12/12" in capsys.readouterr().out


def test_video_callables_join_full_resolution_lightness(clips, tmp_path):
    """A stand-in for load_run's Predictor that predicts grey: the output is grey with
    the input's own lightness, at the input's size."""

    class GreyPredictor:
        image_size = MODEL_SIZE

        def predict(self, lightness):
            return np.full(tuple(lightness.shape[:3]) + (2,), 0.5 / 127.5, np.float32)

    from colorization_tf.inference import photos  # the factory the CLI uses (TensorFlow)

    predict_ab, recombine = photos.video_callables(GreyPredictor())
    frame = next(video.read_frames(clips["plain"]))
    ab, lightness = predict_ab(frame[None])
    assert ab.shape == (1, MODEL_SIZE, MODEL_SIZE, 2)
    assert lightness.shape == (1, MODEL_SIZE, MODEL_SIZE, 1)
    grey = recombine(frame, ab[0]).astype(int)
    assert grey.shape == frame.shape and np.abs(grey[..., 0] - grey[..., 2]).max() <= 2


# ------------------------------------------------------------------------------- errors


def test_a_failing_predictor_leaves_no_output(clips, tmp_path):
    fake = FakePredictor()

    def predict_ab(frames):
        if fake.raw:
            raise RuntimeError("model failed")
        return fake.predict_ab(frames)

    with pytest.raises(RuntimeError, match="model failed"):
        video.colorize_video(clips["audio"], str(tmp_path / "out.mp4"), predict_ab,
                             fake.recombine, batch_size=4, progress=False)
    assert os.listdir(tmp_path) == []



def test_output_that_is_the_input_is_refused(clips, tmp_path):
    link = tmp_path / "link.mp4"
    link.symlink_to(clips["plain"])
    before = open(clips["plain"], "rb").read()
    for out in (clips["plain"], link):
        with pytest.raises(video.VideoWriteError, match="overwrite the input"):
            colorize(clips["plain"], out)
    assert open(clips["plain"], "rb").read() == before


def _assert_read_error(path, tmp_path, reading=True):
    calls = [video.probe, lambda p: colorize(p, tmp_path / "out.mp4")]
    if reading:
        calls.append(lambda p: next(video.read_frames(p)))
    for call in calls:
        with pytest.raises(video.VideoReadError) as caught:
            call(str(path))
        message = str(caught.value)
        assert isinstance(caught.value, ValueError)
        assert message.startswith(str(path)) and "\n" not in message
    assert not (tmp_path / "out.mp4").exists() and leftovers(tmp_path) == []


def test_a_text_file_is_not_a_video(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("this is not a video\n")
    _assert_read_error(path, tmp_path)


def test_a_missing_file_is_named(tmp_path):
    _assert_read_error(tmp_path / "missing.mp4", tmp_path)


@pytest.mark.parametrize("options", [(), ("-g", "12", "-movflags", "+faststart")],
                         ids=["index-at-end", "index-at-start"])
def test_a_truncated_clip_is_refused(tmp_path, options):
    """Index at the end: half the file has no index, nothing opens it. Index at the start:
    the first frames decode and the rest is missing; probe and colorize_video refuse the
    clip (never half-coloured), read_frames streams the frames that decode."""
    whole = lavfi_clip(tmp_path / "whole.mp4", seconds="4", options=options)
    data = open(whole, "rb").read()
    half = tmp_path / "half.mp4"
    half.write_bytes(data[: len(data) // 2])
    _assert_read_error(half, tmp_path, reading=not options)
    if options:
        assert 0 < sum(1 for _ in video.read_frames(str(half))) < 48
