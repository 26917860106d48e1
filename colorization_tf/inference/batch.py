"""Fast batched colorization of photo files: decode in a thread pool (Pillow releases the
GIL), predict on batches, recombine at full resolution in compiled loops and encode +
write in a thread pool, with bounded queues so memory stays flat in the number of photos
and in their size.

    encoder = Encoder("png")
    colorize_files(predictor, [("in.jpg", "out/in.png")], encoder, on_done=print,
                   on_failed=print)

Stages (each one overlaps the others):
1. decode: ``user_images.read_codes`` (every Pillow mode, EXIF orientation, ICC) as 8- or
   16-bit sRGB codes with no float copy, and the photo resized to the render size
   (:func:`full_resolution.small_rgb`), in a thread pool a bounded number of photos ahead;
   a file that fails gives its error instead of an image;
2. model: the L of a batch of up to ``batch_size`` resized photos and
   ``predictor.predict`` (a batch is cut early when the next photo is still decoding,
   stage 3 is running out of work and the machine has more cores than decoding threads:
   each call has a fixed cost, about four photos' worth at 32 px, so where the decoders
   keep every core busy, waiting for a full batch is faster);
3. recombine (:func:`full_resolution.fast_recombine`, compiled loops) and encode
   (Pillow; PNG at ``compress_level`` 1 by default: about as small as level 6 on photos,
   several times faster) and the atomic write, in a thread pool.
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from PIL import Image

from colorization_tf import files
from colorization_tf.inference import full_resolution
from colorization_tf.inference.user_images import ImageReadError, codes_bytes, read_codes

MAX_BATCH_SIZE = 256
# photos (or video frames) per model call: 16 spreads the call's fixed cost (reading the
# weights) over the photos
DEFAULT_BATCH_SIZE = 16
# decoded photos held at once, in bytes of their codes (3 per pixel, 6 for 16-bit): a
# third each for decoding ahead, the batch at the model and the photos finishing, so
# memory stays flat in photo size as in photo count (a 48 MP photo holds 144 MB); at
# 1 MP the photo counts bind first
DEFAULT_MAX_BYTES = 1 << 30
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
        """Writes uint8 RGB ``[H,W,3]``, or RGBX ``[H,W,4]`` (the fourth byte unused), to
        ``path`` atomically. RGBX is Pillow's own layout of an RGB image: JPEG and WebP
        encode it without the copy that RGB needs (PNG, which has no RGBX, converts)."""
        name = FORMATS[self.format][0]
        options = ({"compress_level": self.compress_level} if name == "PNG"
                   else {"quality": self.quality})
        image = _pillow_image(rgb)
        if name == "PNG" and image.mode == "RGBX":
            image = image.convert("RGB")
        with files.atomic_path(path) as tmp:
            image.save(tmp, format=name, **options)


def _pillow_image(rgb: np.ndarray) -> Image.Image:
    """A Pillow image of uint8 RGB ``[H,W,3]`` (copied into Pillow's layout) or RGBX
    ``[H,W,4]`` (sharing the array's memory)."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] not in (3, 4):
        raise ValueError(f"expected uint8 RGB [H,W,3] or RGBX [H,W,4], got {rgb.dtype} "
                         f"{list(rgb.shape)}")
    if rgb.shape[2] == 3:
        return Image.fromarray(rgb, "RGB")
    height, width = rgb.shape[:2]
    return Image.frombuffer("RGB", (width, height), np.ascontiguousarray(rgb), "raw",
                            "RGBX", 0, 1)


@dataclasses.dataclass
class StageTimes:
    """Seconds spent in each stage, summed over photos (stages overlap in wall time)."""

    decode: float = 0.0
    model_input: float = 0.0
    model: float = 0.0
    recombine: float = 0.0
    encode: float = 0.0
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False,
                                              compare=False)

    def add(self, stage: str, seconds: float) -> None:
        """Adds ``seconds`` to ``stage``. The stages' threads call it at once: a bare
        ``+=`` on the field, with the clock read in between, loses some of their sums."""
        with self._lock:
            setattr(self, stage, getattr(self, stage) + seconds)

    def as_dict(self) -> dict[str, float]:
        """Each stage's seconds, to the millisecond."""
        return {field.name: round(getattr(self, field.name), 3)
                for field in dataclasses.fields(self) if not field.name.startswith("_")}


def _decoded(paths: Sequence[str], size: int, pool: concurrent.futures.Executor,
             lookahead: int, budget: int, times: StageTimes
             ) -> Iterator[concurrent.futures.Future]:
    """Futures of ``(index, codes or None, resized sRGB [size,size,3], error)`` in input
    order, decoded in ``pool`` at most ``lookahead`` photos and ``budget`` bytes of codes
    ahead of the consumer, one photo whatever its size (memory stays flat). The bytes come
    from each file's header, read in ``pool`` a lookahead earlier still, so the consumer's
    thread never waits on the storage for them."""

    def load(index: int):
        start = time.perf_counter()
        try:
            codes = read_codes(paths[index])
        except ImageReadError as err:
            times.add("decode", time.perf_counter() - start)
            return index, None, None, str(err)
        times.add("decode", time.perf_counter() - start)
        start = time.perf_counter()
        small = full_resolution.small_rgb(codes, size)
        times.add("model_input", time.perf_counter() - start)
        return index, codes, small, ""

    pending: collections.deque = collections.deque()  # (future, bytes of its codes)
    headers = collections.deque(pool.submit(codes_bytes, path) for path in paths[:lookahead])
    for index in range(len(paths)):
        if index + lookahead < len(paths):
            headers.append(pool.submit(codes_bytes, paths[index + lookahead]))
        reserved = headers.popleft().result()
        while pending and sum(held for _, held in pending) + reserved > budget:
            yield pending.popleft()[0]  # room for this photo first
        pending.append((pool.submit(load, index), reserved))
        if len(pending) > lookahead:
            yield pending.popleft()[0]
    while pending:
        yield pending.popleft()[0]


def colorize_files(predictor, jobs: Sequence[tuple[str, str]], encoder: Encoder, *,
                   render_size: int | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
                   workers: int | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                   on_done: Callable[[str, str], None] = lambda src, out: None,
                   on_failed: Callable[[str, str], None] = lambda src, reason: None,
                   times: StageTimes | None = None) -> None:
    """Colorizes every ``(input, output)`` of ``jobs`` with ``predictor`` at ``render_size``
    (default: its image size); ``on_done``/``on_failed`` are called from this thread as
    photos finish or fail (reason: one line). At most ``3 * batch_size + 2 * workers``
    photos are in memory at once, whatever the number of jobs: the batch at the model,
    ``batch_size + workers`` decoding ahead of it and as many recombining or waiting to
    (so the model call overlaps the last batch's recombination and encoding). Their codes
    stay within ``max_bytes`` plus one photo, whatever the photos' size: each of the
    three stages holds at most a third of it, or one photo that is larger."""
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"--batch_size={batch_size}: expected 1..{MAX_BATCH_SIZE} (photos "
                         "held at full resolution at once)")
    if max_bytes < 1:
        raise ValueError(f"max_bytes={max_bytes}: expected a positive number of bytes (the "
                         "decoded photos held at once)")
    size = full_resolution.render_size(render_size, predictor.image_size)
    stage_bytes = max_bytes // 3
    cpus = os.cpu_count()
    workers = workers or min(4, cpus or 2)
    # a batch is cut early only where the decoders leave cores idle (see _batches)
    spare_cores = (cpus or 1) > workers
    times = times if times is not None else StageTimes()
    reader = concurrent.futures.ThreadPoolExecutor(workers)
    decoded = _decoded([src for src, _ in jobs], size, reader, workers + batch_size,
                       stage_bytes, times)

    def finish(index: int, codes: np.ndarray, ab: np.ndarray) -> None:
        start = time.perf_counter()
        # photos run in parallel (one thread each); RGBX goes to the encoder uncopied
        rgb = full_resolution.fast_recombine(codes, ab, workers=1, rgbx=True)
        middle = time.perf_counter()
        encoder.save(rgb, jobs[index][1])
        times.add("recombine", middle - start)
        times.add("encode", time.perf_counter() - middle)

    pending: collections.deque = collections.deque()  # (future, job, bytes of its codes)

    def finishing() -> int:
        return sum(held for *_, held in pending)

    def collect() -> None:
        future, (source, output), _ = pending.popleft()
        error = future.exception()
        if error is None:
            on_done(source, output)
        elif isinstance(error, OSError):
            on_failed(source, f"cannot write {output}: {error}")
        else:
            raise error

    with reader, concurrent.futures.ThreadPoolExecutor(workers) as pool:
        def starving() -> bool:  # and a core would idle: the decoders do not fill them all
            return spare_cores and sum(not future.done() for future, *_ in pending) < workers

        for batch in _batches(decoded, batch_size, starving, stage_bytes, _decoded_bytes):
            good = []
            for index, codes, lightness, error in batch:
                if codes is None:
                    on_failed(jobs[index][0], error)
                else:
                    good.append((index, codes, lightness))
            if not good:
                continue
            start = time.perf_counter()
            lightness = full_resolution.lightness_of(np.stack([item[2] for item in good]))
            ab = np.asarray(predictor.predict(lightness))
            times.add("model", time.perf_counter() - start)
            for (index, codes, _), ab_one in zip(good, ab, strict=True):
                pending.append((pool.submit(finish, index, codes, ab_one), jobs[index],
                                codes.nbytes))
            # the model runs while they finish
            while len(pending) > batch_size + workers or finishing() > stage_bytes:
                collect()
        while pending:
            collect()


def _decoded_bytes(item: tuple) -> int:
    """Bytes of a decoded photo's codes (0 for a file that failed)."""
    return 0 if item[1] is None else item[1].nbytes


def _batches(futures: Iterator[concurrent.futures.Future], size: int,
             starving: Callable[[], bool] = lambda: True, budget: float = float("inf"),
             weight: Callable[[Any], int] = lambda item: 0) -> Iterator[list]:
    """The futures' results in order, in batches of at most ``size`` and of ``budget``
    (the sum of ``weight(result)``; one result whatever its weight). A batch is cut early
    when the next photo is still decoding and ``starving()`` says the recombine + encode
    threads are running out of work with cores to spare: no core waits for a full batch,
    and the model is not called more often than that needs (each call costs a few
    milliseconds)."""
    batch: list = []
    held = 0
    for future in futures:
        if batch and not future.done() and starving():
            yield batch
            batch, held = [], 0
        item = future.result()
        if batch and held + weight(item) > budget:
            yield batch
            batch, held = [], 0
        batch.append(item)
        held += weight(item)
        if len(batch) == size:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch
