"""Source -> filtered, split, resized images -> batched Lab examples.

``load_split`` gives the prepared uint8 images of one split (what ``prepare`` writes to
TFRecords); ``make_dataset`` turns them into batches of ``{"L", "ab", "label"}`` in the
model's scaling, converting colour on the whole batch as TF ops.
"""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from colorization_tf import color
from colorization_tf.data import filtering, sources, splits
from colorization_tf.data.config import SPLIT_NAMES, DataConfig


@functools.lru_cache(maxsize=32)
def _source(dataset: str, image_size: int, data_dir: str | None) -> sources.Source:
    return sources.load_source(dataset, image_size, data_dir)


def source_for(config: DataConfig) -> sources.Source:
    """The (cached) source object behind ``config``."""
    return _source(config.dataset, config.image_size, config.data_dir)


@functools.lru_cache(maxsize=64)
def _selection(config: DataConfig, split: str) -> tuple[np.ndarray | None, dict]:
    """Indices into the split's pool (None = all) and a report of what was kept."""
    if split not in SPLIT_NAMES:
        raise ValueError(f"--split={split!r}: expected one of {SPLIT_NAMES}")
    source = source_for(config)
    pool_name = split if split in source.pools else "train"
    if split == "val" and "val" not in source.pools:
        pool_name = "train"
    needs_split = pool_name == "train" and "val" not in source.pools
    filter_gray = config.filter_gray and not source.prepared
    if not (filter_gray or needs_split):
        return None, {"split": split, "pool": pool_name, "dropped_gray": 0}
    stats = filtering.image_stats(source.pools[pool_name].map(lambda ex: ex["image"]))
    gray = (filtering.is_gray(stats["chroma"], config.gray_threshold)
            if filter_gray else np.zeros(len(stats["chroma"]), bool))
    kept = np.flatnonzero(~gray)
    if needs_split:
        train_idx, val_idx = splits.split_indices(
            config.split_method, stats["hue"][kept], config.val_ratio, config.seed)
        kept = kept[train_idx if split == "train" else val_idx]
    report = {"split": split, "pool": pool_name, "pool_size": len(gray),
              "dropped_gray": int(gray.sum()), "count": len(kept),
              "split_method": config.split_method if needs_split else "fixed by source"}
    return kept, report


def load_split(config: DataConfig, split: str, *,
               fit: bool = True) -> tuple[tf.data.Dataset, dict]:
    """The images of ``split`` after gray filtering and the train/val split, resized to
    ``image_size`` (with ``fit``; otherwise at their stored size): a dataset of ``{"image": uint8 [S,S,3], "label": int64}``, in a fixed
    order, plus a report (pool size, gray images dropped, count)."""
    source = source_for(config)
    indices, report = _selection(config, split)
    ds = source.pools[report["pool"]]
    if indices is not None:
        mask = np.zeros(report["pool_size"], bool)
        mask[indices] = True
        ds = _select(ds, tf.constant(mask))
    size = config.image_size
    if fit:
        ds = ds.map(lambda ex: {"image": fit_image(ex["image"], size), "label": ex["label"]},
                    num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if config.max_examples:
        ds = ds.take(config.max_examples)
        if "count" in report:
            report = {**report, "count": min(report["count"], config.max_examples)}
    return ds, dict(report, num_classes=source.num_classes)


def _select(ds: tf.data.Dataset, mask: tf.Tensor) -> tf.data.Dataset:
    """The elements of ``ds`` whose position is True in ``mask``."""
    def keep(index, _):
        return mask[index]

    def drop_index(_, example):
        return example

    return ds.enumerate().filter(keep).map(drop_index)


def fit_image(image: tf.Tensor, size: int) -> tf.Tensor:
    """Resizes the short side to ``size`` (antialiased) and centre-crops to size x size."""
    shape = tf.shape(image)
    height, width = shape[0], shape[1]

    def resize():
        scale = size / tf.cast(tf.minimum(height, width), tf.float32)
        new_hw = tf.cast(tf.math.ceil(tf.cast(tf.stack([height, width]), tf.float32) * scale),
                         tf.int32)
        resized = tf.image.resize(image, tf.maximum(new_hw, size), antialias=True)
        resized = tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8)
        return tf.image.resize_with_crop_or_pad(resized, size, size)

    fitted = tf.cond(tf.logical_and(tf.equal(height, size), tf.equal(width, size)),
                     lambda: tf.cast(image, tf.uint8), resize)
    return tf.ensure_shape(fitted, [size, size, 3])


def to_lab_example(batch: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
    """uint8 RGB batch -> ``{"L": [B,S,S,1], "ab": [B,S,S,2], "label"}`` in [-1, 1]."""
    lightness, ab = color.rgb_to_model(tf.cast(batch["image"], tf.float32) / 255.0)
    return {"L": lightness, "ab": ab, "label": batch["label"]}


def make_dataset(config: DataConfig, split: str, batch_size: int, *, training: bool = False,
                 augment: bool = True, skip_batches: int = 0, shard: tuple[int, int] = (1, 0),
                 cache: bool = True) -> tf.data.Dataset:
    """Batched Lab examples of ``split``, prefetched.

    With ``training``: an endless stream, reshuffled every pass from a fixed seed, flipped
    at random when ``augment``, whole batches only. ``skip_batches`` starts the stream
    further on, so a resumed run sees exactly the batches an uninterrupted one would;
    ``shard=(count, index)`` keeps every count-th example (one input pipeline of several).
    """
    images, _ = load_split(config, split)
    if training:
        batches = _training_stream(images, config.seed, augment, skip_batches * batch_size
                                   * shard[0], shard).batch(batch_size, drop_remainder=True)
    else:
        batches = (images.cache() if cache else images).batch(batch_size)
    options = tf.data.Options()
    options.deterministic = True
    batches = batches.map(to_lab_example, num_parallel_calls=tf.data.AUTOTUNE)
    return batches.with_options(options).prefetch(tf.data.AUTOTUNE)


def _training_stream(images: tf.data.Dataset, seed: int, augment: bool, skip: int,
                     shard: tuple[int, int]) -> tf.data.Dataset:
    """Endless examples: epoch e visits every image once, in an order (and with flips)
    drawn by stateless RNG from (seed, e) alone, so it never depends on TF's global seed,
    on how many times the pipeline was built, or on tf.distribute's dataset rewriting.
    The images are held in memory (as ``cache()`` would) so they can be visited by index."""
    pool = images.batch(1 << 30).get_single_element()
    count = tf.shape(pool["label"], out_type=tf.int64)[0]

    def epoch(e):
        order = tf.random.experimental.stateless_shuffle(tf.range(count), seed=[seed, e])
        coins = tf.random.stateless_uniform([count], seed=[seed + 1, e]) < 0.5
        return tf.data.Dataset.from_tensor_slices((order, tf.logical_and(coins, augment)))

    def example(index, flip):
        image = tf.gather(pool["image"], index)
        image = tf.cond(flip, lambda: tf.image.flip_left_right(image), lambda: image)
        return {"image": image, "label": tf.gather(pool["label"], index)}

    indices = tf.data.Dataset.range(1 << 62).flat_map(epoch).skip(skip).shard(*shard)
    return indices.map(example, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def spread_examples(config: DataConfig, split: str, count: int) -> dict[str, tf.Tensor]:
    """One Lab batch of ``count`` examples spread evenly over ``split`` (the same images on
    every call): what sample grids show, so they cover every photograph, not the first."""
    images, report = load_split(config, split)
    total = report.get("count") or int(images.reduce(0, lambda n, _: n + 1))
    picks = np.unique(np.linspace(0, total - 1, max(1, count)).astype(np.int64))
    mask = np.zeros(total, bool)
    mask[picks] = True
    chosen = _select(images, tf.constant(mask))
    return to_lab_example(next(iter(chosen.batch(len(picks)))))


def count_examples(config: DataConfig, split: str) -> int:
    """Images in ``split`` (from the selection report, or by counting when it has none)."""
    images, report = load_split(config, split)
    count = report.get("count")
    return int(count) if count is not None else int(images.reduce(0, lambda n, _: n + 1))


def steps_per_epoch(config: DataConfig, split: str, batch_size: int) -> int:
    """Whole batches in one pass over ``split``."""
    return count_examples(config, split) // batch_size
