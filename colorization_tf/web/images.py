"""The study's image pool: originals, each run's colorizations and the attention-check
recolourings of N images of a split, as PNGs cached beside the database.

Every image gets an opaque random id (its URL is ``/img/<id>``) recorded in the
database's ``images`` table, so neither URL nor file name tells an original from a
colorization or names the run. Images are computed once: a restart on the same database
reuses every registered PNG and computes only what is missing (a new run, a deleted file).

Needs only Pillow and numpy: the runs and the split come from ``runs`` (the package's door
to TensorFlow) as plain functions and arrays.
"""

from __future__ import annotations

import io
import os
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from colorization_tf import files

# A colorizer: sRGB codes [H, W, 3] (uint8, or uint16 for 16-bit photos; any size) ->
# uint8 [H, W, 3] of the same size.
Colorize = Callable[[np.ndarray], np.ndarray]

IMAGE_ID = re.compile(r"[0-9a-f]{32}")
ORIGINAL, COLORIZED, ATTENTION = "original", "colorized", "attention"


class ImageStore:
    """The registered pool: ``(source_index, kind, run)`` <-> opaque id <-> PNG file."""

    def __init__(self, cache_dir: str | os.PathLike, rows: Sequence[Mapping],
                 runs: Sequence[str], count: int) -> None:
        self.cache_dir = Path(cache_dir)
        self.count = int(count)
        self.runs = tuple(runs)
        self._ids = {(int(r["source_index"]), r["kind"], r["run"]): r["id"] for r in rows}
        self._files = {r["id"]: self.cache_dir / r["file"] for r in rows}
        missing = [(index, kind, run) for index, kind, run in _keys(self.count, self.runs)
                   if (index, kind, run) not in self._ids]
        if missing:
            raise ValueError(f"image pool incomplete: {len(missing)} images missing, "
                             f"e.g. {missing[0]}")

    def image_id(self, source_index: int, kind: str, run: str = "") -> str:
        """The opaque id of one pool image."""
        return self._ids[(source_index, kind, run)]

    def read_png(self, image_id: str) -> bytes | None:
        """The PNG bytes of a pool image; None for an id that is malformed or unknown."""
        if not isinstance(image_id, str) or not IMAGE_ID.fullmatch(image_id):
            return None
        path = self._files.get(image_id)
        if path is None:
            return None
        try:
            return path.read_bytes()
        except OSError:
            return None


def cache_dir_for(database: str | os.PathLike) -> Path:
    """Where the PNGs of a study database live: ``<database>.images/`` beside it."""
    database = Path(database)
    return database.with_name(database.name + ".images")


def build_pool(storage, cache_dir: str | os.PathLike, source: str, count: int,
               colorizers: Mapping[str, Colorize],
               originals: np.ndarray | Callable[[], np.ndarray], seed: int = 0,
               log: Callable[[str], None] = print) -> ImageStore:
    """Makes sure ``count`` images of ``source`` exist as original, attention check and
    one colorization per run, computing only what the database and cache lack.
    ``originals`` (uint8 ``[N, H, W, 3]``, or a function returning it, called only when
    something must be computed) holds at least ``count`` images. Returns the pool."""
    if count < 1:
        raise ValueError(f"--images={count}: expected a positive count")
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    runs = tuple(colorizers)
    with storage.read() as tx:
        known = {(int(r["source_index"]), r["kind"], r["run"]): dict(r) for r in tx.images(source)}
    todo = [key for key in _keys(count, runs)
            if key not in known or not (cache_dir / known[key]["file"]).is_file()]
    if todo:
        pictures = originals() if callable(originals) else originals
        pictures = np.asarray(pictures)
        if pictures.ndim != 4 or pictures.shape[-1] != 3 or pictures.dtype != np.uint8:
            raise ValueError(f"originals must be uint8 [N, H, W, 3], got {pictures.dtype} "
                             f"{list(pictures.shape)}")
        if len(pictures) < count:
            raise ValueError(f"--images={count}: {source} holds only {len(pictures)} images")
        log(f"image pool: computing {len(todo)} of {count * (2 + len(runs))} images "
            f"in {cache_dir}")
        for index in sorted({key[0] for key in todo}):
            new_rows = []
            for key in (k for k in todo if k[0] == index):
                _, kind, run = key
                picture = _render(pictures[index], kind, colorizers.get(run), seed, index)
                if key in known:
                    image_id, file = known[key]["id"], known[key]["file"]
                else:
                    image_id = secrets.token_hex(16)
                    file = f"{image_id}.png"
                    new_rows.append((image_id, index, kind, run, file))
                _write_png(cache_dir / file, picture)
            with storage.write() as tx:  # files first: a registered image always has one
                tx.add_images(source, new_rows)
    with storage.read() as tx:
        rows = [dict(r) for r in tx.images(source) if r["source_index"] < count
                and (r["kind"] != COLORIZED or r["run"] in runs)]
    return ImageStore(cache_dir, rows, runs, count)


def _keys(count: int, runs: Sequence[str]) -> list[tuple[int, str, str]]:
    return [(index, kind, run) for index in range(count)
            for kind, run in [(ORIGINAL, ""), (ATTENTION, "")] + [(COLORIZED, r) for r in runs]]


def _render(original: np.ndarray, kind: str, colorize: Colorize | None, seed: int,
            index: int) -> np.ndarray:
    if kind == ORIGINAL:
        return original
    if kind == ATTENTION:
        return random_hue(original, np.random.default_rng([seed, index]))
    rgb = np.asarray(colorize(original))
    if rgb.shape != original.shape or rgb.dtype != np.uint8:
        raise ValueError(f"a colorizer returned {rgb.dtype} {list(rgb.shape)} for an image "
                         f"of {list(original.shape)}; expected uint8 of the same shape")
    return rgb


def random_hue(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An obviously wrong colouring of a uint8 image for attention checks: its hues turned
    by a random 90-270 degrees and its saturation raised to at least 0.5, keeping value
    (brightness) so the picture stays recognisable."""
    turn = rng.uniform(0.25, 0.75)
    hsv = _rgb_to_hsv(rgb.astype(np.float32) / 255.0)
    hsv[..., 0] = (hsv[..., 0] + turn) % 1.0
    hsv[..., 1] = np.maximum(hsv[..., 1], 0.5)
    hsv[..., 2] = np.maximum(hsv[..., 2], 0.15)
    return np.round(_hsv_to_rgb(hsv) * 255.0).astype(np.uint8)


def _rgb_to_hsv(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(np.round(rgb * 255).astype(np.uint8), "RGB")
                      .convert("HSV"), np.float32) / 255.0


def _hsv_to_rgb(hsv: np.ndarray) -> np.ndarray:
    image = Image.fromarray(np.round(np.clip(hsv, 0, 1) * 255).astype(np.uint8), "HSV")
    return np.asarray(image.convert("RGB"), np.float32) / 255.0


def _write_png(path: Path, rgb: np.ndarray) -> None:
    """Writes uint8 RGB as a metadata-free PNG, atomically (``files.atomic_path``)."""
    with files.atomic_path(os.fspath(path)) as tmp:
        Image.fromarray(rgb, "RGB").save(tmp, format="PNG")


def png_bytes(rgb: np.ndarray, compress_level: int = 1) -> bytes:
    """uint8 RGB as PNG bytes; level 1 is ~5x faster than Pillow's default 6 on photos
    for ~5% more bytes, the right trade for a response made once and sent once."""
    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, format="PNG", compress_level=compress_level)
    return buffer.getvalue()
