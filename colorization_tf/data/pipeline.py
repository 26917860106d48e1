"""Source -> filtered, split, resized images -> batched Lab examples.

``load_split`` gives the prepared uint8 images of one split (what ``prepare`` writes to
TFRecords); ``make_dataset`` turns them into batches of ``{"L", "ab", "label"}`` in the
model's scaling, converting colour on the whole batch as TF ops.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import tensorflow as tf

from colorization_tf import color
from colorization_tf.data import features, filtering, hints, sources, splits
from colorization_tf.data import stats as stats_lib
from colorization_tf.data.config import SPLIT_NAMES, DataConfig


@functools.lru_cache(maxsize=32)
def _source(dataset: str, image_size: int, data_dir: str | None) -> sources.Source:
    return sources.load_source(dataset, image_size, data_dir)


def source_for(config: DataConfig) -> sources.Source:
    """The (cached) source object behind ``config``."""
    return _source(config.dataset, config.image_size, config.data_dir)


@functools.lru_cache(maxsize=64)
def _selection(config: DataConfig, split: str) -> tuple[np.ndarray | None, dict]:
    """Indices into the split's pool (None = all) and a report of what was kept.

    The statistics behind it (mean chroma, mean hue, readable) come from one streaming,
    cached pass over the pool (``data.stats``); a folder's unreadable files are dropped
    here, once, so every later read by index finds a decodable file."""
    if split not in SPLIT_NAMES:
        raise ValueError(f"--split={split!r}: expected one of {SPLIT_NAMES}")
    source = source_for(config)
    pool_name = split if split in source.pools else "train"
    if split == "val" and "val" not in source.pools:
        pool_name = "train"
    needs_split = pool_name == "train" and "val" not in source.pools
    filter_gray = config.filter_gray and not source.prepared
    indexed = source.indexed.get(pool_name)
    check_files = indexed is not None and indexed.cache_dir is not None
    if not (filter_gray or needs_split or check_files):
        return None, {"split": split, "pool": pool_name, "dropped_gray": 0}
    stats = stats_lib.pool_stats(source, pool_name)
    readable = stats["readable"]
    gray = (filtering.is_gray(np.nan_to_num(stats["chroma"], nan=np.inf),
                              config.gray_threshold)
            if filter_gray else np.zeros(len(readable), bool))
    kept = np.flatnonzero(readable & ~gray)
    if needs_split:
        train_idx, val_idx = splits.split_indices(
            config.split_method, stats["hue"][kept], config.val_ratio, config.seed)
        kept = kept[train_idx if split == "train" else val_idx]
    report = {"split": split, "pool": pool_name, "pool_size": len(gray),
              "dropped_gray": int(gray.sum()), "unreadable": int((~readable).sum()),
              "count": len(kept),
              "split_method": config.split_method if needs_split else "fixed by source"}
    return kept, report


def _indices(config: DataConfig, split: str) -> np.ndarray:
    """Positions in the pool of a random-access source of the split's images, in order,
    after filtering, splitting and ``max_examples``."""
    indices, report = _selection(config, split)
    if indices is None:
        indices = np.arange(len(source_for(config).indexed[report["pool"]]))
    return indices[:config.max_examples] if config.max_examples else indices


def load_split(config: DataConfig, split: str, *,
               fit: bool = True) -> tuple[tf.data.Dataset, dict]:
    """The images of ``split`` after gray filtering and the train/val split, resized to
    ``image_size`` (with ``fit``; otherwise at their stored size): a dataset of ``{"image":
    uint8 [S,S,3], "label": int64}``, in a fixed order, plus a report (pool size, gray
    images dropped, count). Images are read (decoded) as the dataset is iterated."""
    source = source_for(config)
    indices, report = _selection(config, split)
    indexed = source.indexed.get(report["pool"])
    if indexed is not None:
        ds = indexed.images(_indices(config, split))
    else:
        ds = source.pools[report["pool"]]
        if indices is not None:
            mask = np.zeros(report["pool_size"], bool)
            mask[indices] = True
            ds = _select(ds, tf.constant(mask))
        if config.max_examples:
            ds = ds.take(config.max_examples)
    size = config.image_size
    if fit:
        ds = ds.map(lambda ex: {"image": fit_image(ex["image"], size), "label": ex["label"]},
                    num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if config.max_examples and "count" in report:
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
                 cache: bool = True, examples: int | None = None,
                 crop_from: int | None = None) -> tf.data.Dataset:
    """Batched Lab examples of ``split``, prefetched.

    With ``training``: an endless stream, reshuffled every pass from a fixed seed, flipped
    (and, with ``crop_from``, randomly cropped from images fitted to ``crop_from`` px) at
    random when ``augment``, whole batches only. ``skip_batches`` starts the stream
    further on, so a resumed run sees exactly the batches an uninterrupted one would;
    ``shard=(count, index)`` keeps every count-th example (one input pipeline of several).
    Otherwise one ordered pass; ``examples`` keeps that many images spread evenly over the
    split (``--eval_examples``); ``cache`` keeps a small split's decoded images in memory
    (never one over ``CACHE_LIMIT_BYTES``).
    """
    if training:
        skip = skip_batches * batch_size * shard[0]
        crop = crop_from if augment and crop_from and crop_from > config.image_size else None
        batches = _training_stream(config, split, augment, skip, shard, crop).batch(
            batch_size, drop_remainder=True)
    else:
        images, count = _evaluation_images(config, split, examples)
        small = count * config.image_size ** 2 * 3 <= CACHE_LIMIT_BYTES
        images = images.cache() if cache and small else images
        if _hint_features(config):  # fixed hints per position in the evaluation order
            images = images.enumerate().map(lambda position, item: {**item,
                                                                     "position": position})
        batches = images.batch(batch_size)
    options = tf.data.Options()
    options.deterministic = True
    if _hint_features(config):
        salt = hints.TRAIN_SALT if training else hints.EVAL_SALT
        batches = batches.map(lambda batch: _add_hints(config, batch, salt),
                              num_parallel_calls=tf.data.AUTOTUNE)
    else:
        batches = batches.map(to_lab_example, num_parallel_calls=tf.data.AUTOTUNE)
    if {"edges", "saliency"} & set(config.features):  # for the methods that read them
        batches = batches.map(features.add_edge_and_saliency,
                              num_parallel_calls=tf.data.AUTOTUNE)
    return batches.with_options(options).prefetch(tf.data.AUTOTUNE)


def _hint_features(config: DataConfig) -> bool:
    return bool({"hints", "global_hint"} & set(config.features))


def _add_hints(config: DataConfig, batch: dict, salt: int) -> dict:
    """The Lab batch plus the hints a simulated user gives (data/hints.py), each example's
    draws keyed by (seed, its position in the stream)."""
    return hints.add_simulated_hints(
        to_lab_example(batch), batch["position"], seed=config.seed, salt=salt,
        local="hints" in config.features, with_global="global_hint" in config.features,
        p=config.hint_p, locations=config.hint_locations,
        global_drop=config.hint_global_drop, patch_sizes=config.hint_patch_sizes)


CACHE_LIMIT_BYTES = 64 << 20
RECORD_BLOCK = 256  # record-based sources: images shuffled together, per (seed, epoch)


def _evaluation_images(config: DataConfig, split: str,
                       examples: int | None) -> tuple[tf.data.Dataset, int]:
    """The split's fitted images in order (or ``examples`` of them, spread evenly) and
    their count."""
    images, _ = load_split(config, split)
    total = count_examples(config, split)
    if not examples or examples >= total:
        return images, total
    picks = spread_positions(total, examples)
    source = source_for(config)
    pool = source.indexed.get(_selection(config, split)[1]["pool"])
    if pool is not None:  # read only the picked images
        chosen = pool.images(_indices(config, split)[picks]).map(
            lambda ex: {"image": fit_image(ex["image"], config.image_size),
                        "label": ex["label"]},
            num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        return chosen, len(picks)
    mask = np.zeros(total, bool)
    mask[picks] = True
    return _select(images, tf.constant(mask)), len(picks)


def spread_positions(total: int, count: int) -> np.ndarray:
    """``count`` positions (fewer if ``total`` is smaller) spread evenly over ``total``:
    the same subset on every call, covering the whole split rather than its start."""
    return np.unique(np.linspace(0, max(total - 1, 0), max(1, count)).astype(np.int64))


def _training_stream(config: DataConfig, split: str, augment: bool, skip: int,
                     shard: tuple[int, int], crop: int | None) -> tf.data.Dataset:
    """Endless examples: epoch e visits every image once, in an order (and with flips and
    crops) drawn by stateless RNG from (seed, e) alone, so it never depends on TF's global
    seed, on how many times the pipeline was built, or on tf.distribute's dataset
    rewriting. Random-access sources shuffle indices and read each image by reference
    (flat memory); record-based ones stream in order through a block shuffle."""
    _, report = _selection(config, split)
    pool = source_for(config).indexed.get(report["pool"])
    if pool is not None:
        return _indexed_stream(config, pool, _indices(config, split), augment, skip, shard,
                               crop)
    return _record_stream(config, split, augment, skip, shard, crop)


def _epoch_draws(seed: int, epoch: tf.Tensor, count: tf.Tensor, augment: bool,
                 offsets: int) -> tf.data.Dataset:
    """(index order, flip, crop offset) of one epoch, from (seed, epoch) alone."""
    order = tf.random.experimental.stateless_shuffle(tf.range(count), seed=[seed, epoch])
    coins = tf.random.stateless_uniform([count], seed=[seed + 1, epoch]) < 0.5
    corners = tf.random.stateless_uniform([count, 2], seed=[seed + 2, epoch],
                                          maxval=offsets + 1, dtype=tf.int32)
    return tf.data.Dataset.from_tensor_slices((order, tf.logical_and(coins, augment),
                                               corners))


def _augment(image: tf.Tensor, flip: tf.Tensor, corner: tf.Tensor, size: int) -> tf.Tensor:
    """Crops ``size`` x ``size`` at ``corner`` (a no-op when the image has that size) and
    mirrors left-right when ``flip``."""
    image = tf.image.crop_to_bounding_box(image, corner[0], corner[1], size, size)
    return tf.cond(flip, lambda: tf.image.flip_left_right(image), lambda: image)


def _indexed_stream(config: DataConfig, pool: sources.IndexedPool, indices: np.ndarray,
                    augment: bool, skip: int, shard: tuple[int, int],
                    crop: int | None) -> tf.data.Dataset:
    """Random access: only the references (paths or row numbers) are held; each example is
    read, decoded and fitted by index in a parallel map."""
    refs = sources.tensors({k: v[indices] for k, v in pool.refs.items()})
    count = tf.constant(len(indices), tf.int64)
    size, fitted = config.image_size, crop or config.image_size

    def example(position, draws):
        index, flip, corner = draws
        item = pool.read({k: tf.gather(v, index) for k, v in refs.items()})
        image = _augment(fit_image(item["image"], fitted), flip, corner, size)
        return {"image": image, "label": item["label"], "position": position}

    indices_ds = tf.data.Dataset.range(1 << 62).flat_map(
        lambda e: _epoch_draws(config.seed, e, count, augment, fitted - size))
    return indices_ds.enumerate().skip(skip).shard(*shard).map(
        example, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def _record_stream(config: DataConfig, split: str, augment: bool, skip: int,
                   shard: tuple[int, int], crop: int | None) -> tf.data.Dataset:
    """Record-based sources (TFDS, tfrecords): each epoch reads the split in order, and
    shuffles it in blocks of ``RECORD_BLOCK`` images with a stateless seed (seed, epoch,
    block); flips and crops are drawn per position. Resuming skips the records already
    seen (read again, not trained on), so the order stays exact."""
    size, fitted = config.image_size, crop or config.image_size
    images, _ = load_split(dataclasses.replace(config, image_size=fitted), split)
    seed = config.seed

    def shuffle_block(block, batch):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(tf.shape(batch["label"])[0]), seed=[seed, block])
        return {k: tf.gather(v, order) for k, v in batch.items()}

    def epoch(e):
        return images.batch(RECORD_BLOCK).enumerate().map(
            lambda b, batch: shuffle_block(e * (1 << 32) + b, batch),
            num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).unbatch().enumerate(
            ).map(lambda p, item: (e * (1 << 32) + p, item))

    def example(position, item):
        flip = tf.logical_and(
            tf.random.stateless_uniform([], seed=[seed + 1, position]) < 0.5, augment)
        corner = tf.random.stateless_uniform([2], seed=[seed + 2, position],
                                             maxval=fitted - size + 1, dtype=tf.int32)
        return {"image": _augment(item["image"], flip, corner, size), "label": item["label"],
                "position": position}

    return tf.data.Dataset.range(1 << 62).flat_map(epoch).skip(skip).shard(*shard).map(
        example, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def spread_examples(config: DataConfig, split: str, count: int) -> dict[str, tf.Tensor]:
    """One Lab batch of ``count`` examples spread evenly over ``split`` (the same images on
    every call): what sample grids show, so they cover every photograph, not the first."""
    images, picks = _evaluation_images(config, split, count)
    batch = to_lab_example(next(iter(images.batch(picks))))
    if {"edges", "saliency"} & set(config.features):
        return features.add_edge_and_saliency(batch)
    return batch


def count_examples(config: DataConfig, split: str) -> int:
    """Images in ``split`` (from the selection report, or by counting when it has none)."""
    _, report = _selection(config, split)
    pool = source_for(config).indexed.get(report["pool"])
    if pool is not None:
        return len(_indices(config, split))
    images, report = load_split(config, split)
    count = report.get("count")
    return int(count) if count is not None else int(images.reduce(0, lambda n, _: n + 1))


def steps_per_epoch(config: DataConfig, split: str, batch_size: int) -> int:
    """Whole batches in one pass over ``split``."""
    return count_examples(config, split) // batch_size
