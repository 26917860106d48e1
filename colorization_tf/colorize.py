"""colorization-colorize: colour PNGs of people's own photos at their full resolution.

  python -m colorization_tf.colorize --run_dir=runs/unet_l1-samples --output_dir=out \\
      photo.jpg old_photos/

The model sees the image resized to its input size; the predicted ab is upsampled
(bilinear) to the original size and joined with the original full-resolution L, so the
output keeps every detail of the input's lightness. Folders are searched recursively and
their sub-folders are kept under --output_dir. A file that cannot be read is reported on
stderr and skipped; the exit status is then non-zero. Inputs are never written over.
``colorize_paths`` and ``colorize_rgb`` are the same thing for notebooks.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Sequence

import numpy as np
import tensorflow as tf
from absl import app, flags
from PIL import Image

from colorization_tf import color, files, runs, user_images
from colorization_tf.data.sources import IMAGE_EXTENSIONS

FLAGS = flags.FLAGS

Predict = Callable[[tf.Tensor], tf.Tensor]


class OptionError(ValueError):
    """--decode/--temperature that the run's colorizer does not accept."""


@dataclasses.dataclass
class Summary:
    """What a call wrote, and which inputs failed and why."""

    written: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    failed: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    def line(self) -> str:
        return f"{len(self.written)} colorized, {len(self.failed)} failed"


def make_predict(colorizer, image_size: int, decode: str | None = None,
                 temperature: float | None = None) -> Predict:
    """A compiled ``L [B,S,S,1] -> ab [B,S,S,2]`` (both scaled to [-1, 1])."""
    @tf.function(input_signature=[tf.TensorSpec([None, image_size, image_size, 1], tf.float32)])
    def predict(lightness):
        return colorizer.predict_ab(lightness, decode=decode, temperature=temperature)

    return predict


def colorize_rgb(predict: Predict, rgb: np.ndarray, image_size: int) -> np.ndarray:
    """Colorizes one sRGB image (float [H,W,3] in [0, 1], any size; only its lightness is
    used) and returns uint8 RGB of the same size with the input's own L."""
    rgb = tf.convert_to_tensor(rgb, tf.float32)
    lightness, _ = color.rgb_to_model(rgb)
    small = tf.image.resize(rgb[None], [image_size, image_size], antialias=True)
    small_lightness, _ = color.rgb_to_model(tf.clip_by_value(small, 0.0, 1.0))
    ab = predict(small_lightness)
    ab = tf.image.resize(ab, tf.shape(rgb)[:2], method="bilinear")[0]
    out = color.model_to_rgb(lightness, ab)
    return np.round(out.numpy() * 255.0).astype(np.uint8)


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
    if not os.path.isdir(run_dir):
        raise runs.RunDirError(f"--run_dir={run_dir}: no such directory")
    colorizer, config = runs.load_colorizer(run_dir)
    size = int(config["data"]["image_size"])
    predict = make_predict(colorizer, size, decode, temperature)
    try:  # compiles it, and checks --decode/--temperature before any file is touched
        predict(tf.zeros([1, size, size, 1]))
    except ValueError as err:
        raise OptionError(f"--decode={decode} --temperature={temperature}: {err}") from err
    jobs, failures = plan(inputs, output_dir)
    summary = Summary()
    for path, reason in failures:
        _fail(summary, path, reason)
    for path, output in jobs:
        try:
            rgb = user_images.read_rgb(path)
        except user_images.ImageReadError as err:
            _fail(summary, path, str(err))
            continue
        try:
            write_png(output, colorize_rgb(predict, rgb, size))
        except OSError as err:
            _fail(summary, path, f"cannot write {output}: {err}")
            continue
        summary.written.append((path, output))
        log(f"{path} -> {output}")
    return summary


def _fail(summary: Summary, path: str, reason: str) -> None:
    summary.failed.append((path, reason))
    print(f"{path}: {reason}", file=sys.stderr)


def define_flags() -> None:
    """Defined only when the CLI runs, so notebooks can import this module next to the
    other entry points (which define flags of the same names) without a clash."""
    flags.DEFINE_string("run_dir", None, "Training run directory (config.json + weights).")
    flags.DEFINE_string("output_dir", None, "Folder for the colour PNGs.")
    flags.DEFINE_string("decode", None, "Decoder of classification colorizers (annealed, "
                        "mode, mean, topk); default: the run's own. Other methods ignore it.")
    flags.DEFINE_float("temperature", None, "Annealed-mean temperature; default: the run's.",
                       lower_bound=1e-6)


def main(argv):
    inputs = argv[1:]
    if not inputs:
        raise app.UsageError("give at least one INPUT file or folder")
    for name in ("run_dir", "output_dir"):
        if not FLAGS[name].value:
            raise app.UsageError(f"--{name} is required")
    try:
        summary = colorize_paths(FLAGS.run_dir, inputs, FLAGS.output_dir, decode=FLAGS.decode,
                                 temperature=FLAGS.temperature)
    except (runs.RunDirError, OptionError) as err:
        sys.exit(f"colorization-colorize: {err}")
    print(summary.line())
    return 1 if summary.failed else 0


def run():
    define_flags()
    app.run(main)


if __name__ == "__main__":
    run()
