"""Per-image colour statistics of a pool (mean chroma, mean hue, readable or not), computed
in one streaming pass and cached beside the data.

The gray filter and the hue-balanced split need one number or two per image; computing
them must not hold a split's pixels in memory, and must not be repeated on every run over
a folder of 20,000 photos. ``pool_stats`` streams the pool through tf.data (parallel
decode, 32x32 thumbnails, batched colour maths) with a progress bar, and stores the result
in a small ``.npz`` keyed by the source and its files (names and sizes), so a changed
folder (files added, removed or rewritten) is detected and the cache rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import sys

import keras
import numpy as np
import tensorflow as tf

from colorization_tf import files
from colorization_tf.data import filtering
from colorization_tf.data.sources import Source

CACHE_VERSION = 1
CACHE_DIR = os.path.join(os.path.expanduser("~"), ".cache", "colorization_tf", "stats")
PROGRESS_FROM = 1000  # images; smaller pools are done before a bar would help
MAX_NAMES = 3


_MEMO: dict[tuple, dict[str, np.ndarray]] = {}


def pool_stats(source: Source, pool: str) -> dict[str, np.ndarray]:
    """``{"chroma", "hue", "readable"}`` for every image of ``source``'s ``pool`` (in pool
    order; unreadable images have readable False and NaN statistics). Reports unreadable
    files once, as one line."""
    indexed = source.indexed.get(pool)
    if indexed is not None:
        key, location = indexed.cache_key, indexed.cache_dir
    else:
        location, key = source.stats_cache.get(pool, (None, ""))
    memo_key = (source.name, pool, key, location)
    if memo_key not in _MEMO:  # once per process and pool: one report, one pass
        _MEMO[memo_key] = _load_or_compute(source, pool, key, location)
    return _MEMO[memo_key]


def _load_or_compute(source: Source, pool: str, key: str,
                     location: str | None) -> dict[str, np.ndarray]:
    full_key = f"v{CACHE_VERSION}:{filtering.STATS_SIZE}:{key}"
    path = cache_path(location, pool) if key and location else None
    if path and os.path.isfile(path):
        cached = _read(path)
        if cached is not None and cached.pop("key") == full_key:
            _report_unreadable(source, pool, cached)
            return cached
        print(f"statistics cache {path} is for other files (files added, removed or changed, "
              "or another version): rebuilding", file=sys.stderr)
    stats = _compute(source, pool)
    if path:
        _write(path, {**stats, "key": full_key})
    _report_unreadable(source, pool, stats)
    return stats


def cache_path(location: str, pool: str) -> str:
    """``LOCATION/.colorization_stats-POOL.npz`` where the folder is writable, else a file in
    the user's cache folder named after LOCATION."""
    name = f".colorization_stats-{pool}.npz"
    if os.access(location, os.W_OK):
        return os.path.join(location, name)
    digest = hashlib.sha256(os.path.abspath(location).encode()).hexdigest()[:16]
    return os.path.join(CACHE_DIR, f"{digest}-{pool}.npz")


def _read(path: str) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as stored:
            values = {k: stored[k] for k in ("chroma", "hue", "readable")}
            values["key"] = str(stored["key"])
            return values
    except (OSError, KeyError, ValueError):
        return None


def _write(path: str, values: dict) -> None:
    try:
        with files.atomic_path(path) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, **values)
    except OSError as err:  # a read-only place: the statistics still work, uncached
        print(f"could not cache statistics at {path} ({err})", file=sys.stderr)


def _compute(source: Source, pool: str) -> dict[str, np.ndarray]:
    """One streaming pass: indexed pools read each image by reference, dropping the ones
    that cannot be decoded (their positions tell which); record pools stream in order."""
    indexed = source.indexed.get(pool)
    if indexed is not None:
        total = len(indexed)
        positions = tf.data.Dataset.range(total)
        thumbs = tf.data.Dataset.zip(positions, indexed.images()).map(
            lambda i, ex: (i, filtering.thumbnail(ex["image"])), num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True).ignore_errors()
    else:
        total = None
        thumbs = source.pools[pool].enumerate().map(
            lambda i, ex: (i, filtering.thumbnail(ex["image"])), num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True)
    show = total is None or (total >= PROGRESS_FROM and indexed.cache_dir is not None)
    if show:
        print(f"computing colour statistics of {source.name} ({pool}), once", file=sys.stderr)
    bar = keras.utils.Progbar(total, unit_name="image") if show else None
    found, chroma, hue = [], [], []
    batches = thumbs.batch(512).map(lambda i, t: (i, *filtering.batch_stats(t)),
                                    num_parallel_calls=tf.data.AUTOTUNE)
    for index, c, h in batches.prefetch(2):
        found.append(index.numpy())
        chroma.append(c.numpy())
        hue.append(h.numpy())
        if bar:
            bar.add(len(index))
    found_idx = np.concatenate(found) if found else np.zeros(0, np.int64)
    total = total if total is not None else len(found_idx)
    result = {"chroma": np.full(total, np.nan, np.float32),
              "hue": np.full(total, np.nan, np.float32), "readable": np.zeros(total, bool)}
    if found:
        result["chroma"][found_idx] = np.concatenate(chroma)
        result["hue"][found_idx] = np.concatenate(hue)
        result["readable"][found_idx] = True
    return result


def _report_unreadable(source: Source, pool: str, stats: dict[str, np.ndarray]) -> None:
    """One warning line naming the count and the first few unreadable files."""
    bad = np.flatnonzero(~stats["readable"])
    if not len(bad):
        return
    indexed = source.indexed.get(pool)
    names = indexed.names(bad[:MAX_NAMES]) if indexed is not None else []
    more = ", ..." if len(bad) > MAX_NAMES else ""
    print(f"skipped {len(bad)} unreadable files in {source.name} ({pool}): "
          f"{', '.join(names)}{more}", file=sys.stderr)
