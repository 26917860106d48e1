"""Colorizing people's photos and videos into a folder: which input goes to which output
file (:func:`plan`), and :func:`colorize_paths`, which sends photos through the batched
pipeline of :mod:`batch` and videos through :mod:`video`. A file that cannot be read is
reported and skipped; inputs are never written over; an existing output is kept unless
``overwrite``."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image

from colorization_tf import files
from colorization_tf.data.sources import IMAGE_EXTENSIONS
from colorization_tf.inference import batch, full_resolution, video
from colorization_tf.inference.loading import load_run
from colorization_tf.inference.user_images import ImageReadError, read_rgb
from colorization_tf.training import precision

VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".mkv", ".avi", ".webm", ".mpg", ".mpeg", ".wmv",
                    ".flv", ".ts", ".3gp", ".ogv")
_KEEP_CONTAINER = (".mp4", ".m4v", ".mov", ".mkv")  # others are written as .mp4 (H.264)


@dataclasses.dataclass
class Summary:
    """What a call wrote, and which inputs failed and why."""

    written: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    failed: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    skipped: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    def line(self) -> str:
        text = f"{len(self.written)} colorized, {len(self.failed)} failed"
        if self.skipped:
            text += f", {len(self.skipped)} skipped (output exists; --overwrite replaces it)"
        return text


# ---------------------------------------------------------------- which file goes where


def plan(inputs: Sequence[str], output_dir: str, extension: str = ".png"
         ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Maps every input file to its output: ``(jobs, failures)``; photos get ``extension``,
    videos keep an MP4/MOV/MKV container (others become ``.mp4``). Folder inputs are searched
    recursively for photos and videos and keep their sub-paths; clashing names get ``-1``,
    ``-2``, ...; the output folder is never searched; an output that would replace an input
    is refused."""
    out_real = os.path.realpath(output_dir)
    found, failures = [], []
    for given in inputs:
        if os.path.isdir(given):
            images = _walk(given, skip=out_real)
            if not images:
                failures.append((given, "folder holds no images or videos "
                                        f"({', '.join(IMAGE_EXTENSIONS + VIDEO_EXTENSIONS)})"))
            found += [(path, os.path.splitext(os.path.relpath(path, given))[0])
                      for path in images]
        else:
            found.append((given, os.path.splitext(os.path.basename(given))[0]))
    input_reals = {os.path.realpath(path) for path, _ in found}
    claimed, jobs = set(), []
    for path, stem in found:
        output = _unclaimed(os.path.join(output_dir, stem), claimed,
                            _output_extension(path, extension))
        if os.path.realpath(output) in input_reals:
            failures.append((path, f"output {output} would overwrite an input; "
                                   "choose another --output_dir"))
            continue
        jobs.append((path, output))
    return jobs, failures


def _walk(root: str, skip: str) -> list[str]:
    """Image files under ``root`` (recursive, sorted), not descending into ``skip``."""
    found = []
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs
                            if os.path.realpath(os.path.join(directory, d)) != skip)
        found += [os.path.join(directory, n) for n in sorted(names)
                  if n.lower().endswith(IMAGE_EXTENSIONS + VIDEO_EXTENSIONS)
                  and not n.startswith(".")]  # hidden: also our temporaries
    return found


def is_video(path: str) -> bool:
    return path.lower().endswith(VIDEO_EXTENSIONS)


def _output_extension(path: str, photo_extension: str) -> str:
    if not is_video(path):
        return photo_extension
    extension = os.path.splitext(path)[1].lower()
    return extension if extension in _KEEP_CONTAINER else ".mp4"


def _unclaimed(stem: str, claimed: set[str], extension: str = ".png") -> str:
    """``stem.EXT``, or ``stem-N.EXT`` for the first N not used yet (case-insensitively)."""
    candidate, n = stem + extension, 0
    while os.path.normcase(candidate).lower() in claimed:
        n += 1
        candidate = f"{stem}-{n}{extension}"
    claimed.add(os.path.normcase(candidate).lower())
    return candidate


# ---------------------------------------------------------------- library entry point


def colorize_paths(run_dir: str, inputs: Sequence[str], output_dir: str, *,
                   decode: str | None = None, temperature: float | None = None,
                   render_size: int | None = None,
                   batch_size: int = batch.DEFAULT_BATCH_SIZE,
                   encoder: batch.Encoder | None = None, overwrite: bool = False,
                   temporal_smoothing: float = 0.0, temporal_mode: str = video.temporal.DEFAULT_MODE,
                   progress: bool = False, saliency: bool = False,
                   mixed_precision: bool | None = None,
                   log: Callable[[str], None] = print) -> Summary:
    """Colorizes every photo and video among ``inputs`` (files or folders) into
    ``output_dir`` with the model of ``run_dir``; unreadable files are reported (stderr)
    and skipped; existing outputs are kept unless ``overwrite``. ``mixed_precision``:
    None = where the device computes it natively (``precision.wanted``)."""
    encoder = encoder or batch.Encoder()
    files.require_directory_path(output_dir, "--output_dir")
    if render_size is not None:
        full_resolution.render_size(render_size, 0)  # a bad flag fails before the model loads
    if not 1 <= batch_size <= batch.MAX_BATCH_SIZE:
        raise ValueError(f"--batch_size={batch_size}: expected 1..{batch.MAX_BATCH_SIZE}")
    if not 0.0 <= temporal_smoothing < 1.0:
        raise ValueError(f"--temporal_smoothing must be in [0, 1), got {temporal_smoothing}")
    predictor = load_run(run_dir, decode, temperature,
                         mixed_precision=precision.wanted(mixed_precision))
    if saliency and "saliency" not in predictor.colorizer.FEATURES:
        raise ValueError(f"--saliency: run {predictor.name} ({predictor.method}) predicts no "
                         "saliency map (only multipath runs do)")
    jobs, failures = plan(inputs, output_dir, encoder.extension)
    summary = Summary()
    for path, reason in failures:
        _fail(summary, path, reason)
    if not overwrite:
        summary.skipped = [job for job in jobs if os.path.exists(job[1])]
        jobs = [job for job in jobs if not os.path.exists(job[1])]

    def done(source: str, output: str) -> None:
        summary.written.append((source, output))
        log(f"{source} -> {output}")

    batch.colorize_files(predictor, [job for job in jobs if not is_video(job[0])], encoder,
                         render_size=render_size, batch_size=batch_size, on_done=done,
                         on_failed=lambda source, reason: _fail(summary, source, reason))
    clips = [job for job in jobs if is_video(job[0])]
    if clips:
        predict_ab, recombine = video_callables(predictor, render_size)
    for source, output in clips:
        try:
            result = video.colorize_video(source, output, predict_ab, recombine,
                                          batch_size=batch_size, smoothing=temporal_smoothing,
                                          mode=temporal_mode, progress=progress)
        except (video.VideoError, OSError) as err:
            _fail(summary, source, str(err).removeprefix(f"{source}: "))
            continue
        done(source, output)
        log(result.line())
    if saliency:
        write_saliency_maps(predictor, summary, render_size)
    return summary


def write_saliency_maps(predictor, summary: Summary, render_size: int | None) -> None:
    """``NAME.saliency.png`` beside each colorized photo: the multi-path GAN's predicted
    saliency map at the photo's size (``--saliency``)."""
    for source, output in list(summary.written):
        if is_video(source):
            continue
        path = os.path.splitext(output)[0] + ".saliency.png"
        try:
            gray = predictor.saliency_rgb(read_rgb(source), render_size)
            with files.atomic_path(path) as tmp:
                Image.fromarray(gray, "L").save(tmp, format="PNG")
        except (ImageReadError, OSError) as err:
            _fail(summary, source, f"saliency map {path}: {err}")


def video_callables(predictor, render_size: int | None = None
                    ) -> tuple[video.PredictAb, video.Recombine]:
    """``(predict_ab, recombine)`` for :func:`video.colorize_video` from a loaded run: the
    model sees each frame resized to ``render_size`` (default: its image size) by
    :func:`full_resolution.small_rgb`, and ``recombine`` is
    :func:`full_resolution.fast_recombine`, so frames get the colours photos get."""
    size = full_resolution.render_size(render_size, predictor.image_size)

    def predict_ab(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        small = np.stack([full_resolution.small_rgb(frame, size) for frame in frames])
        lightness = full_resolution.lightness_of(small)
        return np.asarray(predictor.predict(lightness)), lightness.numpy()

    def recombine(frame: np.ndarray, ab: np.ndarray) -> np.ndarray:
        return full_resolution.fast_recombine(frame, ab, workers=1)  # frames run in parallel

    return predict_ab, recombine


def _fail(summary: Summary, path: str, reason: str) -> None:
    summary.failed.append((path, reason))
    print(f"{path}: {reason}", file=sys.stderr)
