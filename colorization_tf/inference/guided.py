"""Colorizing photo files from user hints with no trained run (``colorization-colorize
--method=optimization --hints=...``): Levin et al. 2004's optimization per photo, written
like every other colorized photo (:mod:`photos`' output naming, ``batch.Encoder``'s atomic
writes). One bad photo, or hints that do not fit it, is reported and skipped.

``--hints`` is either one hints file, applied to every photo given (the usual case: one
photo), or a folder holding ``<photo stem>.json`` for each photo (``beach.jpg`` reads
``HINTS/beach.json``); a photo without its file fails with a message naming the file.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

from colorization_tf.inference import batch, hints, optimization, photos
from colorization_tf.inference.user_images import ImageReadError

METHODS = ("optimization",)


class HintSource:
    """Where each photo's hints come from: one file for all, or a folder of
    ``<stem>.json``. A single file is read (and its format checked) once, up front."""

    def __init__(self, path: str):
        if not path:
            raise ValueError("--hints is required with --method=optimization (a hints "
                             "JSON file, or a folder of <photo stem>.json)")
        self.path = path
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


def colorize_with_hints(inputs: Sequence[str], output_dir: str, hints_path: str, *,
                        method: str = "optimization",
                        solve_size: int = optimization.DEFAULT_SOLVE_SIZE,
                        encoder: batch.Encoder | None = None, overwrite: bool = False,
                        log: Callable[[str], None] = print) -> photos.Summary:
    """Colorizes every photo among ``inputs`` (files or folders) into ``output_dir`` with
    ``method`` and the hints at ``hints_path`` (module docstring); ``solve_size`` is the
    long side of the grid the optimization is solved on (0: full resolution)."""
    if method not in METHODS:
        raise ValueError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    optimization.solve_shape(1, 1, solve_size)  # checks the value up front
    encoder = encoder or batch.Encoder()
    source = HintSource(hints_path)
    jobs, failures = photos.plan(inputs, output_dir, encoder.extension)
    summary = photos.Summary()
    for path, reason in failures:
        _fail(summary, path, reason)
    if not overwrite:
        summary.skipped = [job for job in jobs if os.path.exists(job[1])]
        jobs = [job for job in jobs if not os.path.exists(job[1])]
    for photo, output in jobs:
        if photos.is_video(photo):
            _fail(summary, photo, f"--method={method} colours photos, not videos")
            continue
        try:
            codes = batch.read_codes(photo)
            rgb = optimization.colorize_codes(codes, source.for_photo(photo), solve_size)
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
