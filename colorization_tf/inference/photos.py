"""Colorizing people's photos into a folder: which input goes to which output file,
and the loop that reads, colorizes at full resolution and writes each one atomically.
A file that cannot be read is reported and skipped; inputs are never written over."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image

from colorization_tf import files
from colorization_tf.data.sources import IMAGE_EXTENSIONS
from colorization_tf.inference.loading import load_run
from colorization_tf.inference.user_images import ImageReadError, read_rgb


@dataclasses.dataclass
class Summary:
    """What a call wrote, and which inputs failed and why."""

    written: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    failed: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    def line(self) -> str:
        return f"{len(self.written)} colorized, {len(self.failed)} failed"


def write_png(path: str, rgb: np.ndarray) -> None:
    """Writes uint8 RGB as a PNG, atomically."""
    with files.atomic_path(path) as tmp:
        Image.fromarray(rgb, "RGB").save(tmp, format="PNG")


# ---------------------------------------------------------------- which file goes where


def plan(inputs: Sequence[str], output_dir: str) -> tuple[list[tuple[str, str]],
                                                          list[tuple[str, str]]]:
    """Maps every input file to its output PNG: ``(jobs, failures)``. Folder inputs keep
    their sub-paths; clashing names get ``-1``, ``-2``, ...; the output folder is never
    searched; an output that would replace an input is refused."""
    out_real = os.path.realpath(output_dir)
    found, failures = [], []
    for given in inputs:
        if os.path.isdir(given):
            images = _walk(given, skip=out_real)
            if not images:
                failures.append((given, f"folder holds no images ({', '.join(IMAGE_EXTENSIONS)})"))
            found += [(path, os.path.splitext(os.path.relpath(path, given))[0])
                      for path in images]
        else:
            found.append((given, os.path.splitext(os.path.basename(given))[0]))
    input_reals = {os.path.realpath(path) for path, _ in found}
    claimed, jobs = set(), []
    for path, stem in found:
        output = _unclaimed(os.path.join(output_dir, stem), claimed)
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
                  if n.lower().endswith(IMAGE_EXTENSIONS) and not n.startswith(".tmp-")]
    return found


def _unclaimed(stem: str, claimed: set[str]) -> str:
    """``stem.png``, or ``stem-N.png`` for the first N not used yet (case-insensitively)."""
    candidate, n = stem + ".png", 0
    while os.path.normcase(candidate).lower() in claimed:
        n += 1
        candidate = f"{stem}-{n}.png"
    claimed.add(os.path.normcase(candidate).lower())
    return candidate


# ---------------------------------------------------------------- library entry point


def colorize_paths(run_dir: str, inputs: Sequence[str], output_dir: str, *,
                   decode: str | None = None, temperature: float | None = None,
                   log: Callable[[str], None] = print) -> Summary:
    """Colorizes every image among ``inputs`` (files or folders) into ``output_dir`` with
    the model of ``run_dir``; unreadable files are reported (stderr) and skipped."""
    predictor = load_run(run_dir, decode, temperature)
    jobs, failures = plan(inputs, output_dir)
    summary = Summary()
    for path, reason in failures:
        _fail(summary, path, reason)
    for path, output in jobs:
        try:
            rgb = read_rgb(path)
        except ImageReadError as err:
            _fail(summary, path, str(err))
            continue
        try:
            write_png(output, predictor.colorize_rgb(rgb))
        except OSError as err:
            _fail(summary, path, f"cannot write {output}: {err}")
            continue
        summary.written.append((path, output))
        log(f"{path} -> {output}")
    return summary


def _fail(summary: Summary, path: str, reason: str) -> None:
    summary.failed.append((path, reason))
    print(f"{path}: {reason}", file=sys.stderr)
