"""Colorizing photo files from user hints: with no trained run (``colorization-colorize
--method=optimization --hints=...``, Levin et al. 2004's optimization), or with a run that
reads hints (``--run_dir=RUN --hints=...``, a ``Predictor`` with ``accepts_hints``: the
learned hints of Zhang et al. 2017), one photo at a time, written like every other
colorized photo (:mod:`photos`' output naming, ``batch.Encoder``'s atomic writes). A run
goes through ``hinted.colorize_codes``, the entry the web editor and ``Predictor`` share.
One bad photo, or hints that do not fit it, is reported and skipped.

``--hints`` is either one hints file, applied to every photo given (the usual case: one
photo), or a folder holding ``<photo stem>.json`` for each photo (``beach.jpg`` reads
``HINTS/beach.json``); a photo without its file fails with a message naming the file.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

from colorization_tf.inference import (
    batch,
    hinted,
    hints,
    optimization,
    photos,
    reference_hint,
    user_images,
)
from colorization_tf.inference.user_images import ImageReadError

METHODS = ("optimization",)


class HintSource:
    """Where each photo's hints come from: one file for all, or a folder of
    ``<stem>.json``. A single file is read (and its format checked) once, up front."""

    def __init__(self, path: str | None, required: bool = True):
        if not path and required:
            raise ValueError("--hints is required with --method=optimization (a hints "
                             "JSON file, or a folder of <photo stem>.json)")
        self.path = path
        if not path:  # a run given only --reference: no local hints
            self.folder, self._shared = False, hints.Hints(source="--hints")
            return
        self.folder = os.path.isdir(path)
        if not self.folder and not os.path.isfile(path):
            raise ValueError(f"--hints: {path} is neither a hints file nor a folder")
        self._shared = None if self.folder else hints.load_hints(path)

    def for_photo(self, photo: str) -> hints.Hints:
        """The hints of ``photo`` (``ValueError``/``OSError`` if its file is bad or absent)."""
        if self._shared is not None:
            return self._shared
        stem = os.path.splitext(os.path.basename(photo))[0]
        path = os.path.join(self.path, stem + ".json")
        if not os.path.isfile(path):
            raise ValueError(f"--hints: no hints file {path} for this photo")
        return hints.load_hints(path)


def colorize_with_hints(inputs: Sequence[str], output_dir: str, hints_path: str | None, *,
                        method: str = "optimization", predictor=None,
                        reference: str | None = None,
                        solve_size: int | None = None,
                        encoder: batch.Encoder | None = None, overwrite: bool = False,
                        log: Callable[[str], None] = print) -> photos.Summary:
    """Colorizes every photo among ``inputs`` (files or folders) into ``output_dir`` with
    the hints at ``hints_path`` (module docstring) and ``method``, or with ``predictor``
    (a run that reads hints) when given. ``solve_size`` is, for the optimization, the
    long side of the grid it is solved on (default ``optimization.DEFAULT_SOLVE_SIZE``;
    0: full resolution) and, for a run, its render size (default: the run's).
    ``reference`` (a photo) gives a run that reads a global hint its colour distribution
    and saturation (Zhang et al. 2017); the hints file is optional then."""
    if predictor is not None:
        if not getattr(predictor, "accepts_hints", False):
            raise ValueError(f"--hints: run {predictor.name or '?'} "
                             f"({predictor.method or 'unknown method'}) reads no hints; use "
                             "a learned-hints run (unet_hints) or --method=optimization")
        if solve_size is not None and solve_size < 8:
            raise ValueError(f"--render_size must be at least 8, got {solve_size}")
        if reference and not predictor.accepts_global_hint:
            raise ValueError(f"--reference: run {predictor.name or '?'} reads no global "
                             "hint; use a unet_hints_global run")
        hint_global = reference_hint.reference_global_hint(reference) if reference else None

        def colorize(codes, photo_hints):
            return hinted.colorize_codes(predictor, codes, photo_hints,
                                         render_size=solve_size, hint_global=hint_global)
    elif reference:
        raise ValueError("--reference: a global hint needs a run that reads one "
                         "(--run_dir of a unet_hints_global run), not --method=optimization")
    elif method in METHODS:
        solve_size = optimization.DEFAULT_SOLVE_SIZE if solve_size is None else solve_size
        optimization.solve_shape(1, 1, solve_size)  # checks the value up front

        def colorize(codes, photo_hints):
            return optimization.colorize_codes(codes, photo_hints, solve_size)
    else:
        raise ValueError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    encoder = encoder or batch.Encoder()
    source = HintSource(hints_path, required=predictor is None)
    jobs, failures = photos.plan(inputs, output_dir, encoder.extension)
    summary = photos.Summary()
    for path, reason in failures:
        _fail(summary, path, reason)
    if not overwrite:
        summary.skipped = [job for job in jobs if os.path.exists(job[1])]
        jobs = [job for job in jobs if not os.path.exists(job[1])]
    for photo, output in jobs:
        if photos.is_video(photo):
            _fail(summary, photo, "--hints: hints colour photos, not videos")
            continue
        try:
            codes = user_images.read_codes(photo)
            rgb = colorize(codes, source.for_photo(photo))
        except (ImageReadError, ValueError, OSError) as err:
            _fail(summary, photo, " ".join(str(err).split()))
            continue
        try:
            encoder.save(rgb, output)
        except OSError as err:
            _fail(summary, photo, f"cannot write {output}: {err}")
            continue
        summary.written.append((photo, output))
        log(f"{photo} -> {output}")
    return summary


def _fail(summary: photos.Summary, path: str, reason: str) -> None:
    summary.failed.append((path, reason))
    print(f"{path}: {reason}", file=sys.stderr)
