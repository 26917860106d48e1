"""Prepared datasets as sharded TFRecords plus a JSON manifest: writing shards, reading
them back example for example (``tfrecords:PATH``).

A folder holds ``manifest.json`` and ``SPLIT-NNNNN.tfrecord`` shards; each record is one
example ``{"image": PNG bytes (lossless, uint8 RGB), "label": int64}``. Shards are written
atomically and the manifest last, so a folder with a manifest is always complete.
"""

from __future__ import annotations

import os

import tensorflow as tf

from colorization_tf import files

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


def read_pools(path: str) -> tuple[dict[str, tf.data.Dataset], dict]:
    """``tfrecords:PATH``: the pools train/val/test exactly as ``prepare`` wrote them, and
    the manifest."""
    manifest = read_manifest(path)
    return {split: read_split(path, manifest, split) for split in manifest["splits"]}, manifest
