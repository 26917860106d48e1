"""Colorizing videos: read any clip ffmpeg reads, colour it frame by frame with temporal
smoothing, and write an H.264 file of the same frame size, frame rate and frame count with
the input's audio copied over.

    info = probe("film.mkv")
    summary = colorize_video("film.mkv", "film-colour.mp4", predict_ab, recombine,
                             smoothing=0.8)

The model is reached through two plain callables, so this module needs no TensorFlow:

* ``predict_ab(frames)``: uint8 RGB ``[B,H,W,3]`` -> ``(ab [B,s,s,2], L [B,s,s,1])``, the
  predicted ab and the lightness the model saw, at model resolution (scaled to [-1, 1]);
* ``recombine(frame, ab)``: one uint8 RGB frame ``[H,W,3]`` and an ab map ``[s,s,2]`` ->
  the coloured uint8 RGB frame ``[H,W,3]`` (full-resolution L, upsampled ab).

Smoothing (:mod:`temporal`) acts between the two, on the small ab, so the upsampling and
the gamut clipping of ``recombine`` see colour that no longer flickers.
:func:`colorization_tf.inference.photos.video_callables` builds the pair from a loaded run.

Frames stream from one ffmpeg process into another (``imageio_ffmpeg``'s bundled binary):
memory holds one batch, whatever the clip's length. Output encoding: libx264, CRF 18,
``yuv420p`` when both sides are even; an odd width or height cannot be stored in 4:2:0,
so such clips are written in ``yuv444p`` (High 4:4:4 profile) and keep their exact size
(padding would change it); a few hardware players cannot play 4:4:4. Colours are converted
and tagged as BT.709. A variable frame rate clip comes out at its nominal constant rate,
frame for frame. The output appears only when complete: it is encoded to a hidden temporary
file beside it, the audio is muxed into a second one, and that is renamed onto the output;
a failure or an interruption leaves nothing behind, and an input is never written over.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import dataclasses
import itertools
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from fractions import Fraction

import imageio_ffmpeg
import numpy as np

from colorization_tf import files
from colorization_tf.inference import batch, temporal

PredictAb = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
Recombine = Callable[[np.ndarray, np.ndarray], np.ndarray]

_MP4_LIKE = (".mp4", ".m4v", ".mov")
# Frames recombined at once (threads: TensorFlow and numpy release the GIL), so joining
# colour to the full-resolution frames overlaps the model and the ffmpeg pipes.
RECOMBINE_THREADS = 2


class VideoError(ValueError):
    """A video that cannot be read or written; the message is one line naming the file."""


class VideoReadError(VideoError):
    """Not a video, no video stream, or a truncated / damaged file."""


class VideoWriteError(VideoError):
    """The output cannot be written (bad container, ffmpeg failure, would overwrite input)."""


# ------------------------------------------------------------------------------- probing


@dataclasses.dataclass(frozen=True)
class VideoInfo:
    """What ffmpeg knows of a clip. ``frames`` counts the video packets actually in the file
    (one per frame for ordinary streams; None if ffmpeg reports none); ``duration`` is the
    container's, in seconds (None when unknown); width and height are those of the decoded
    frames (after the rotation a phone recorded)."""

    path: str
    width: int
    height: int
    fps: float
    frames: int | None
    has_audio: bool
    duration: float | None

    @property
    def rate(self) -> Fraction:
        """The frame rate as an exact fraction (29.97 -> 30000/1001)."""
        return exact_rate(self.fps)

    @property
    def expected_frames(self) -> int | None:
        """Frames the container's duration promises (None when unknown)."""
        if not self.duration or not self.fps:
            return None
        return round(self.duration * self.fps)


def probe(path: str) -> VideoInfo:
    """Reads a clip's header and counts its video packets (stream copy, no decoding, so this
    is about as fast as reading the file). Raises :class:`VideoReadError` for a missing file,
    a file with no video stream, and a damaged or truncated one: ffmpeg reported errors and
    fewer frames than the container's duration promises."""
    _require_file(path)
    completed = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "level+info",
         "-i", path, "-map", "0:v:0", "-c", "copy", "-f", "null", "-progress", "pipe:1",
         "-nostats", "-"],
        capture_output=True, encoding="utf-8", errors="replace", check=False)
    errors = _error_lines(completed.stderr)
    info = _parse_header(path, completed.stderr, errors)
    info = dataclasses.replace(info, frames=_frame_count(completed.stdout))
    _check_complete(info, errors)
    return info


def _require_file(path: str) -> None:
    if not os.path.isfile(path):
        raise VideoReadError(f"{path}: no such file")


def _error_lines(log: str) -> list[str]:
    lines = [line for line in log.splitlines() if "[error]" in line or "[fatal]" in line]
    return [re.sub(r"^(\[[^\]]*\]\s*)+", "", line).strip() for line in lines]


def _parse_header(path: str, log: str, errors: list[str]) -> VideoInfo:
    """The input section of ffmpeg's log -> VideoInfo (frames filled in later)."""
    header = log.split("Output #0", 1)[0]
    video = re.search(r"Stream #0:\d+.*?: Video: (.*)", header)
    if video is None:
        reason = errors[-1] if errors else "no video stream"
        raise VideoReadError(f"{path}: not a readable video ({reason})")
    width, height = _frame_size(path, video.group(1))
    if _quarter_turn(header):
        width, height = height, width
    fps = _fps(video.group(1))
    if fps <= 0:
        raise VideoReadError(f"{path}: not a readable video (unknown frame rate)")
    has_audio = re.search(r"Stream #0:\d+.*?: Audio: ", header) is not None
    return VideoInfo(path=path, width=width, height=height, fps=fps, frames=None,
                     has_audio=has_audio, duration=_duration(header))


def _frame_size(path: str, stream: str) -> tuple[int, int]:
    match = re.search(r", (\d+)x(\d+)\b", stream)
    if match is None:
        raise VideoReadError(f"{path}: not a readable video (no frame size)")
    return int(match.group(1)), int(match.group(2))


def _fps(stream: str) -> float:
    for unit in ("fps", "tbr"):
        match = re.search(rf"([\d.]+)(k?) {unit}\b", stream)
        if match:
            return float(match.group(1)) * (1000.0 if match.group(2) else 1.0)
    return 0.0


def _quarter_turn(header: str) -> bool:
    match = re.search(r"rotation of (-?[\d.]+) degrees", header)
    return match is not None and round(abs(float(match.group(1)))) % 180 == 90


def _duration(header: str) -> float | None:
    match = re.search(r"Duration: (\d+):(\d+):([\d.]+)", header)
    if match is None:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _frame_count(progress: str) -> int | None:
    counts = re.findall(r"^frame=(\d+)", progress, flags=re.MULTILINE)
    return int(counts[-1]) if counts else None


def _check_complete(info: VideoInfo, errors: list[str]) -> None:
    expected = info.expected_frames
    if info.frames == 0:
        reason = f" ({errors[-1]})" if errors else ""
        raise VideoReadError(f"{info.path}: no readable video frames{reason}")
    if errors and info.frames is not None and expected and info.frames < expected - 1:
        raise VideoReadError(f"{info.path}: truncated or damaged video: {info.frames} of "
                             f"{expected} frames readable ({errors[-1]})")


def exact_rate(fps: float) -> Fraction:
    """ffmpeg prints rates rounded to 2 decimals; NTSC rates (24000/1001, 30000/1001,
    60000/1001, ...) are recovered exactly, others as the nearest simple fraction."""
    if fps <= 0:
        raise ValueError(f"frame rate must be positive, got {fps}")
    ntsc = round(fps * 1.001)
    if abs(fps - round(fps)) > 0.005 and abs(fps - ntsc * 1000 / 1001) < 0.006:
        return Fraction(ntsc * 1000, 1001)
    return Fraction(fps).limit_denominator(1000)


# ------------------------------------------------------------------------------- reading


def read_frames(path: str) -> Iterator[np.ndarray]:
    """Yields the clip's frames in order as read-only uint8 RGB ``[H,W,3]``, one at a time
    (streamed from ffmpeg: memory does not grow with the clip). Every decoded frame is
    yielded once (no frame-rate conversion). Raises :class:`VideoReadError` at once for a
    missing file and on the first ``next`` for a file ffmpeg cannot open. A truncated file
    whose index survives yields the frames that decode: :func:`probe` first to refuse it."""
    _require_file(path)
    return _frames(path)


def _frames(path: str) -> Iterator[np.ndarray]:
    reader = imageio_ffmpeg.read_frames(path, output_params=["-fps_mode", "passthrough"])
    try:
        width, height = _open(path, reader)
        for buffer in reader:
            yield np.frombuffer(buffer, np.uint8).reshape(height, width, 3)
    except RuntimeError as error:  # ffmpeg stopped inside a frame
        raise VideoReadError(f"{path}: damaged video ({_first_line(error)})") from None
    finally:
        reader.close()


def _open(path: str, reader) -> tuple[int, int]:
    """Reads imageio-ffmpeg's metadata dict (its first item) -> (width, height)."""
    try:
        return tuple(next(reader)["size"])
    except Exception as error:  # imageio-ffmpeg raises OSError, or fails parsing the log
        probe(path)  # raises a VideoReadError that says why, in one line
        raise VideoReadError(f"{path}: not a readable video ({_first_line(error)})") from None


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


# ------------------------------------------------------------------------------- writing


class VideoWriter:
    """Context manager writing uint8 RGB frames ``[H,W,3]`` to an H.264 video at ``fps``
    (a float or an exact Fraction); the frame size is that of the first frame, and every
    frame must match it. With ``audio_from``, that file's audio streams are copied into the
    output (re-encoded to the container's default codec only if the container refuses
    them). The container follows ``path``'s extension. The file appears, complete, when the
    block ends without an exception; otherwise nothing is left behind."""

    def __init__(self, path: str, fps: float | Fraction, *, audio_from: str | None = None,
                 crf: int = 18, preset: str = "medium", codec: str = "libx264"):
        if fps <= 0:
            raise VideoWriteError(f"{path}: frame rate must be positive, got {fps}")
        if not os.path.splitext(path)[1]:
            raise VideoWriteError(f"{path}: no file extension to choose a container from")
        if audio_from is not None:
            refuse_overwrite(audio_from, path)
        self.path = path
        self.rate = fps if isinstance(fps, Fraction) else exact_rate(float(fps))
        self.audio_from = audio_from
        self.encoder_options = ["-c:v", codec, "-preset", preset, "-crf", str(crf)]
        self.frames = 0
        self.size: tuple[int, int] | None = None  # (width, height)
        self._process: subprocess.Popen | None = None
        self._log = None
        self._temporary: list[str] = []

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, exc, traceback) -> bool:
        if exc_type is not None:
            self._abort()
            return False
        try:
            self._finish()
        except BaseException:
            self._abort()
            raise
        return False

    def write(self, frame: np.ndarray) -> None:
        """Appends one uint8 RGB frame."""
        frame = np.asarray(frame)
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"{self.path}: frames must be uint8 [H,W,3], got "
                             f"{frame.dtype} {list(frame.shape)}")
        if self._process is None:
            self._start(width=frame.shape[1], height=frame.shape[0])
        if (frame.shape[1], frame.shape[0]) != self.size:
            raise ValueError(f"{self.path}: frame of {frame.shape[1]}x{frame.shape[0]} in a "
                             f"{self.size[0]}x{self.size[1]} video")
        try:
            self._process.stdin.write(np.ascontiguousarray(frame).tobytes())
        except (BrokenPipeError, OSError):
            raise VideoWriteError(f"{self.path}: ffmpeg stopped ({self._last_log_line()})") \
                from None
        self.frames += 1

    # ---- encoder process

    def _start(self, width: int, height: int) -> None:
        self.size = (width, height)
        encoded = self._temporary_path()
        self._log = tempfile.TemporaryFile()
        self._process = subprocess.Popen(self._encode_command(encoded), stdin=subprocess.PIPE,
                                         stdout=subprocess.DEVNULL, stderr=self._log)

    def _encode_command(self, target: str) -> list[str]:
        width, height = self.size
        pixel_format = "yuv420p" if width % 2 == 0 and height % 2 == 0 else "yuv444p"
        return [
            imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
            "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
            "-r", str(self.rate), "-i", "-", "-an",
            "-vf", f"scale=out_color_matrix=bt709:out_range=tv,format={pixel_format}",
            *self.encoder_options, "-colorspace", "bt709", "-color_primaries", "bt709",
            "-color_trc", "bt709", "-color_range", "tv", *self._container_options(), target,
        ]

    def _container_options(self) -> list[str]:
        return ["-movflags", "+faststart"] if self.path.lower().endswith(_MP4_LIKE) else []

    def _finish(self) -> None:
        if self._process is None:
            raise VideoWriteError(f"{self.path}: no frames to write")
        try:
            self._process.stdin.close()
        except OSError:  # ffmpeg already gone: its exit status says why
            pass
        if self._process.wait() != 0:
            raise VideoWriteError(f"{self.path}: ffmpeg could not encode "
                                  f"({self._last_log_line()})")
        result = self._temporary[0]
        if self.audio_from is not None:
            result = self._mux_audio(result)
        files.publish(result, self.path)
        self._remove_temporary()

    def _mux_audio(self, video: str) -> str:
        """Copies ``audio_from``'s audio streams beside the encoded video (second ffmpeg
        call); re-encodes the audio only when the container cannot hold it as it is."""
        target = self._temporary_path()
        command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel",
                   "error", "-y", "-i", video, "-i", self.audio_from, "-map", "0:v",
                   "-map", "1:a"]
        tail = [*self._container_options(), target]
        copied = subprocess.run([*command, "-c", "copy", *tail], capture_output=True,
                                encoding="utf-8", errors="replace", check=False)
        if copied.returncode == 0:
            return target
        encoded = subprocess.run([*command, "-c:v", "copy", *tail], capture_output=True,
                                 encoding="utf-8", errors="replace", check=False)
        if encoded.returncode != 0:
            reason = (encoded.stderr.strip().splitlines() or ["ffmpeg failed"])[-1]
            raise VideoWriteError(f"{self.path}: could not add the audio of "
                                  f"{self.audio_from} ({reason})")
        return target

    def _temporary_path(self) -> str:
        path = files.temporary_beside(self.path)
        self._temporary.append(path)
        return path

    def _abort(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._remove_temporary()

    def _remove_temporary(self) -> None:
        for path in self._temporary:
            files.discard(path)
        self._temporary = []
        if self._log is not None:
            self._log.close()
            self._log = None

    def _last_log_line(self) -> str:
        if self._log is None:
            return "no log"
        self._log.seek(0)
        lines = self._log.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else "no message"


def refuse_overwrite(in_path: str, out_path: str) -> None:
    """Raises :class:`VideoWriteError` when ``out_path`` is ``in_path`` (same file through
    any link or spelling)."""
    same = os.path.realpath(in_path) == os.path.realpath(out_path)
    if not same and os.path.exists(in_path) and os.path.exists(out_path):
        same = os.path.samefile(in_path, out_path)
    if same:
        raise VideoWriteError(f"{out_path}: output would overwrite the input {in_path}")


# ---------------------------------------------------------------------------- colorizing


@dataclasses.dataclass
class VideoSummary:
    """What :func:`colorize_video` wrote. ``frames_expected`` is the probe's count (frames
    fewer than it could not be decoded); ``cuts`` are the frame indices where smoothing
    restarted; ``flicker`` is the mean |delta ab| between consecutive frames within shots of
    the ab used, in the predictor's units (scaled ab: x127.5 for Lab units)."""

    input: str
    output: str
    frames: int
    frames_expected: int | None
    width: int
    height: int
    fps: float
    has_audio: bool
    cuts: list[int]
    flicker: float
    seconds: float

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        return (f"{self.output}: {self.frames} frames {self.width}x{self.height} at "
                f"{self.fps:g} fps, {len(self.cuts)} cuts, {self.frames_per_second:.1f} "
                "frames/s")


def colorize_video(in_path: str, out_path: str, predict_ab: PredictAb, recombine: Recombine,
                   *, batch_size: int = batch.DEFAULT_BATCH_SIZE, smoothing: float = 0.0,
                   mode: str = temporal.DEFAULT_MODE,
                   cut_threshold: float = temporal.DEFAULT_CUT_THRESHOLD,
                   progress: bool = True) -> VideoSummary:
    """Colours every frame of ``in_path`` into ``out_path`` (same size, rate, frame count;
    audio copied): ``predict_ab`` on batches of frames, :class:`temporal.TemporalSmoother`
    with alpha ``smoothing`` (0 = off) in ``mode`` (flow or ema; :func:`temporal.create`)
    on each predicted ab, then ``recombine``. Raises :class:`VideoReadError` for an
    unreadable input and :class:`VideoWriteError` when the output cannot be written or is
    the input; either way no output file is left."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    refuse_overwrite(in_path, out_path)
    info = probe(in_path)
    smoother = temporal.create(smoothing, mode, cut_threshold=cut_threshold)
    meter, cuts, bar = temporal.FlickerMeter(), [], _progress_bar(info.frames, progress)
    start = time.perf_counter()
    audio = in_path if info.has_audio else None
    pending: collections.deque = collections.deque()  # recombined frames, in order
    with VideoWriter(out_path, info.rate, audio_from=audio) as writer, \
            contextlib.closing(read_frames(in_path)) as decoded, \
            concurrent.futures.ThreadPoolExecutor(RECOMBINE_THREADS) as pool:
        for frames in _batches(decoded, batch_size):
            ab_small, lightness_small = _predict(predict_ab, frames)
            for frame, ab, lightness in zip(frames, ab_small, lightness_small, strict=True):
                smoothed = smoother(ab, lightness)
                index = writer.frames + len(pending)
                if smoother.cut and index:
                    cuts.append(index)
                meter.add(smoothed, cut=smoother.cut)
                pending.append(pool.submit(_recombined, recombine, frame, smoothed))
            while len(pending) > batch_size:  # the next batch's model runs meanwhile
                writer.write(pending.popleft().result())
            bar(writer.frames)
        while pending:
            writer.write(pending.popleft().result())
        bar(writer.frames)
        if writer.frames == 0:
            raise VideoReadError(f"{in_path}: no frames could be decoded")
    return VideoSummary(input=in_path, output=out_path, frames=writer.frames,
                        frames_expected=info.frames, width=writer.size[0],
                        height=writer.size[1], fps=float(info.rate), has_audio=info.has_audio,
                        cuts=cuts, flicker=meter.value, seconds=time.perf_counter() - start)


def _batches(frames: Iterator[np.ndarray], size: int) -> Iterator[np.ndarray]:
    while chunk := list(itertools.islice(frames, size)):
        yield np.stack(chunk)


def _predict(predict_ab: PredictAb, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ab, lightness = predict_ab(frames)
    ab, lightness = np.asarray(ab, np.float32), np.asarray(lightness, np.float32)
    if ab.ndim != 4 or ab.shape[0] != len(frames) or ab.shape[-1] != 2:
        raise ValueError(f"predict_ab must return ab [B,s,s,2] for {len(frames)} frames, "
                         f"got {list(ab.shape)}")
    if lightness.shape != ab.shape[:-1] + (1,):
        raise ValueError(f"predict_ab must return lightness {list(ab.shape[:-1]) + [1]}, "
                         f"got {list(lightness.shape)}")
    return ab, lightness


def _recombined(recombine: Recombine, frame: np.ndarray, ab: np.ndarray) -> np.ndarray:
    rgb = np.asarray(recombine(frame, ab))
    if rgb.shape != frame.shape or rgb.dtype != np.uint8:
        raise ValueError(f"recombine must return uint8 {list(frame.shape)}, "
                         f"got {rgb.dtype} {list(rgb.shape)}")
    return rgb


def _progress_bar(total: int | None, enabled: bool) -> Callable[[int], None]:
    """``update(frames_done)``: a Keras progress bar over frames, or nothing."""
    if not enabled:
        return lambda done: None
    import keras  # imported here: keras loads TensorFlow, which reading videos never needs

    bar = keras.utils.Progbar(total, unit_name="frame")
    return bar.update
