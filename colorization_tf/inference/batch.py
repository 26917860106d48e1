"""Fast batched colorization of photo files: decode in parallel (tf.data over Pillow),
predict on batches, recombine at full resolution in a TF graph and encode + write in a
thread pool, with bounded queues so memory stays flat in the number of photos.

    encoder = Encoder("png")
    colorize_files(predictor, [("in.jpg", "out/in.png")], encoder, on_done=print,
                   on_failed=print)

Stages (each one overlaps the others):
1. decode: ``user_images.read_rgb`` (every Pillow mode, EXIF orientation, ICC) as 16-bit
   sRGB codes, and the model input (L at the render size), in a tf.data map with
   ``num_parallel_calls``; a file that fails gives its error instead of an image;
2. model: ``predictor.predict`` on batches of ``batch_size`` render-size L maps;
3. recombine (:func:`full_resolution.recombine`, one compiled graph) and encode
   (Pillow; PNG at ``compress_level`` 1 by default: about as small as level 6 on photos,
   several times faster) and the atomic write, in a thread pool.
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import os
import time
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import tensorflow as tf
from PIL import Image

from colorization_tf import files
from colorization_tf.inference import full_resolution
from colorization_tf.inference.user_images import ImageReadError, read_rgb

MAX_BATCH_SIZE = 256
FORMATS = {"png": ("PNG", ".png"), "jpg": ("JPEG", ".jpg"), "webp": ("WEBP", ".webp")}


@dataclasses.dataclass(frozen=True)
class Encoder:
    """How outputs are encoded: ``format`` (png, jpg, webp), ``quality`` (jpg, webp) and
    PNG ``compress_level`` (0-9; 1 is the speed choice)."""

    format: str = "png"
    quality: int = 92
    compress_level: int = 1

    def __post_init__(self):
        if self.format not in FORMATS:
            raise ValueError(f"--format must be one of {', '.join(FORMATS)}, got "
                             f"{self.format!r}")
        if not 1 <= self.quality <= 100:
            raise ValueError(f"--quality must be in 1..100, got {self.quality}")
        if not 0 <= self.compress_level <= 9:
            raise ValueError(f"PNG compress_level must be in 0..9, got {self.compress_level}")

    @property
    def extension(self) -> str:
        return FORMATS[self.format][1]

    def save(self, rgb: np.ndarray, path: str) -> None:
        """Writes uint8 RGB ``[H,W,3]`` to ``path`` atomically."""
        name = FORMATS[self.format][0]
        options = ({"compress_level": self.compress_level} if name == "PNG"
                   else {"quality": self.quality})
        with files.atomic_path(path) as tmp:
            Image.fromarray(rgb, "RGB").save(tmp, format=name, **options)


@dataclasses.dataclass
class StageTimes:
    """Seconds spent in each stage, summed over photos (stages overlap in wall time)."""

    decode: float = 0.0
    model: float = 0.0
    recombine: float = 0.0
    encode: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in dataclasses.asdict(self).items()}


def read_codes(path: str) -> np.ndarray:
    """A photo as 16-bit sRGB codes ``[H,W,3]`` (8-bit images exactly x257)."""
    return np.rint(read_rgb(path) * full_resolution._CODE_MAX).astype(np.uint16)


def _decoded(paths: Sequence[str], size: int, workers: int,
             times: StageTimes) -> Iterator[tuple[int, np.ndarray | None, np.ndarray, str]]:
    """``(index, codes or None, model L [size,size,1], error)`` in input order."""

    def read(index):
        start = time.perf_counter()
        try:
            codes, error = read_codes(paths[int(index)]), b""
        except ImageReadError as err:
            codes, error = np.zeros([0, 0, 3], np.uint16), str(err).encode()
        times.decode += time.perf_counter() - start
        return codes, error

    def load(index):
        codes, error = tf.numpy_function(read, [index], [tf.uint16, tf.string])
        codes = tf.ensure_shape(codes, [None, None, 3])
        lightness = tf.cond(tf.size(codes) > 0,
                            lambda: full_resolution.model_input(codes, size),
                            lambda: tf.zeros([size, size, 1]))
        return index, codes, lightness, error

    dataset = (tf.data.Dataset.range(len(paths))
               .map(load, num_parallel_calls=workers, deterministic=True)
               .prefetch(1))
    for index, codes, lightness, error in dataset.as_numpy_iterator():
        message = error.decode("utf-8", "replace")
        yield int(index), (None if message else codes), lightness, message


def colorize_files(predictor, jobs: Sequence[tuple[str, str]], encoder: Encoder, *,
                   render_size: int | None = None, batch_size: int = 8,
                   workers: int | None = None,
                   on_done: Callable[[str, str], None] = lambda src, out: None,
                   on_failed: Callable[[str, str], None] = lambda src, reason: None,
                   times: StageTimes | None = None) -> None:
    """Colorizes every ``(input, output)`` of ``jobs`` with ``predictor`` at ``render_size``
    (default: its image size); ``on_done``/``on_failed`` are called from this thread as
    photos finish or fail (reason: one line). At most about ``2 * workers`` photos are in
    memory at once, whatever the number of jobs."""
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"--batch_size={batch_size}: expected 1..{MAX_BATCH_SIZE} (photos "
                         "held at full resolution at once)")
    size = full_resolution.render_size(render_size, predictor.image_size)
    workers = workers or min(4, os.cpu_count() or 2)
    times = times if times is not None else StageTimes()
    recombine = full_resolution.compiled_recombine()
    decoded = _decoded([src for src, _ in jobs], size, workers, times)

    def finish(index: int, codes: np.ndarray, ab: np.ndarray) -> None:
        start = time.perf_counter()
        rgb = recombine(tf.constant(codes), tf.constant(ab)).numpy()
        middle = time.perf_counter()
        encoder.save(rgb, jobs[index][1])
        times.recombine += middle - start
        times.encode += time.perf_counter() - middle

    pending: collections.deque = collections.deque()

    def collect() -> None:
        future, (source, output) = pending.popleft()
        error = future.exception()
        if error is None:
            on_done(source, output)
        elif isinstance(error, OSError):
            on_failed(source, f"cannot write {output}: {error}")
        else:
            raise error

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for batch in _batches(decoded, batch_size):
            good = []
            for index, codes, lightness, error in batch:
                if codes is None:
                    on_failed(jobs[index][0], error)
                else:
                    good.append((index, codes, lightness))
            if not good:
                continue
            start = time.perf_counter()
            ab = np.asarray(predictor.predict(np.stack([item[2] for item in good])))
            times.model += time.perf_counter() - start
            for (index, codes, _), ab_one in zip(good, ab, strict=True):
                pending.append((pool.submit(finish, index, codes, ab_one), jobs[index]))
            while len(pending) > workers:
                collect()
        while pending:
            collect()


def _batches(items: Iterator, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
