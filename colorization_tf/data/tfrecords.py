"""Prepared datasets as sharded TFRecords plus a JSON manifest (written by ``prepare``),
and ``tfrecords:PATH``, the source that reads them back example for example.

A folder holds ``manifest.json`` and ``SPLIT-NNNNN.tfrecord`` shards; each record is one
example ``{"image": PNG bytes (lossless, uint8 RGB), "label": int64}``. Shards are written
atomically and the manifest last, so a folder with a manifest is always complete.
"""

from __future__ import annotations

import dataclasses
import os

import tensorflow as tf

from colorization_tf import files
from colorization_tf.data import pipeline, sources

MANIFEST = "manifest.json"
FORMAT = "colorization_tf.tfrecords"
VERSION = 1
DEFAULT_SHARD_SIZE = 10000

_FEATURES = {
    "image": tf.io.FixedLenFeature([], tf.string),
    "label": tf.io.FixedLenFeature([], tf.int64),
}


def shard_name(split: str, index: int) -> str:
    return f"{split}-{index:05d}.tfrecord"


def _serialize(image_png: bytes, label: int) -> bytes:
    example = tf.train.Example(features=tf.train.Features(feature={
        "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[image_png])),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[label])),
    }))
    return example.SerializeToString()


def write_split(images: tf.data.Dataset, out_dir: str, split: str,
                shard_size: int = DEFAULT_SHARD_SIZE) -> tuple[list[str], int]:
    """Writes ``images`` (``{"image": uint8 [H,W,3], "label": int64}``) to shards of at most
    ``shard_size`` examples, in order; returns (shard file names, example count)."""
    if shard_size < 1:
        raise ValueError(f"--shard_size={shard_size}: expected a positive number of examples")
    encoded = images.map(lambda ex: (tf.io.encode_png(ex["image"]), ex["label"]),
                         num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    shards, count = [], 0
    for index, chunk in enumerate(encoded.batch(shard_size).prefetch(1)):
        name = shard_name(split, index)
        pngs, labels = chunk[0].numpy(), chunk[1].numpy()
        with files.atomic_path(os.path.join(out_dir, name)) as tmp, \
                tf.io.TFRecordWriter(tmp) as writer:
            for png, label in zip(pngs, labels, strict=True):
                writer.write(_serialize(png, int(label)))
        shards.append(name)
        count += len(labels)
    return shards, count


def export(config: pipeline.DataConfig, out_dir: str,
           shard_size: int = DEFAULT_SHARD_SIZE) -> dict:
    """Writes every split of ``config`` (after gray filtering, split and resize) to
    ``out_dir`` and returns the manifest, which is written last."""
    if config.dataset.startswith("tfrecords:") and os.path.realpath(out_dir) == \
            os.path.realpath(config.dataset[len("tfrecords:"):]):
        raise ValueError(f"--out={out_dir} is the folder --dataset={config.dataset} reads "
                         "from; choose another --out")
    os.makedirs(out_dir, exist_ok=True)
    source = pipeline.source_for(config)
    splits, filtering = {}, {}
    for split in pipeline.SPLIT_NAMES:
        images, report = pipeline.load_split(config, split)
        shards, count = write_split(images, out_dir, split, shard_size)
        splits[split] = {"count": count, "shards": shards}
        filtering[split] = report
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "source": sources.describe(source),
        "data": dataclasses.asdict(config),
        "image_size": config.image_size,
        "num_classes": source.num_classes,
        "class_names": list(source.class_names),
        "splits": splits,
        "filtering": {"filter_gray": config.filter_gray,
                      "gray_threshold": config.gray_threshold,
                      "dropped_gray": _dropped_gray(filtering),
                      "splits": filtering},
    }
    old = _read_manifest_if_any(out_dir)
    files.write_json(os.path.join(out_dir, MANIFEST), manifest)
    _remove_stale_shards(out_dir, old, manifest)
    return manifest


def _dropped_gray(reports: dict[str, dict]) -> int:
    """Gray images dropped over all pools (train and val share a pool when the split is
    made here, so each pool counts once)."""
    per_pool = {r.get("pool", split): r.get("dropped_gray", 0) for split, r in reports.items()}
    return int(sum(per_pool.values()))


def _read_manifest_if_any(out_dir: str) -> dict | None:
    path = os.path.join(out_dir, MANIFEST)
    return files.read_json(path) if os.path.isfile(path) else None


def _remove_stale_shards(out_dir: str, old: dict | None, new: dict) -> None:
    """Deletes shards an earlier export listed that the new manifest no longer lists."""
    if not old:
        return
    keep = {s for split in new["splits"].values() for s in split["shards"]}
    for split in old.get("splits", {}).values():
        for name in split.get("shards", []):
            path = os.path.join(out_dir, os.path.basename(name))
            if name not in keep and os.path.isfile(path):
                os.remove(path)


def read_manifest(path: str) -> dict:
    """The manifest of the prepared folder ``path``; a clear error if it is missing."""
    manifest_path = os.path.join(path, MANIFEST)
    if not os.path.isfile(manifest_path):
        raise FileNotFoundError(
            f"--dataset=tfrecords:{path}: no {MANIFEST} at {manifest_path} (write one with "
            f"colorization-prepare --dataset=NAME --out={path})")
    manifest = files.read_json(manifest_path)
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{manifest_path}: not a {FORMAT} manifest")
    return manifest


def read_split(path: str, manifest: dict, split: str) -> tf.data.Dataset:
    """The examples of ``split``, in the order they were written."""
    shards = [os.path.join(path, name) for name in manifest["splits"][split]["shards"]]
    missing = [s for s in shards if not os.path.isfile(s)]
    if missing:
        raise FileNotFoundError(f"--dataset=tfrecords:{path}: shard {missing[0]} listed in "
                                f"{MANIFEST} is missing")
    if not shards:
        size = int(manifest["image_size"])
        return tf.data.Dataset.from_tensor_slices(
            {"image": tf.zeros([0, size, size, 3], tf.uint8), "label": tf.zeros([0], tf.int64)})

    def parse(record):
        example = tf.io.parse_single_example(record, _FEATURES)
        image = tf.ensure_shape(tf.io.decode_png(example["image"], channels=3), [None, None, 3])
        return {"image": image, "label": example["label"]}

    return tf.data.TFRecordDataset(shards).map(
        parse, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def read_source(path: str) -> sources.Source:
    """``tfrecords:PATH``: pools train/val/test exactly as ``prepare`` wrote them."""
    manifest = read_manifest(path)
    pools = {split: read_split(path, manifest, split) for split in manifest["splits"]}
    return sources.Source(f"tfrecords:{path}", pools, int(manifest.get("num_classes", 0)),
                          tuple(manifest.get("class_names", ())), prepared=True)
