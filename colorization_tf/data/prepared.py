"""Writing a dataset's prepared splits (gray-filtered, split, resized) as TFRecords."""

from __future__ import annotations

import os

from colorization_tf import files
from colorization_tf.data import pipeline, sources, tfrecords
from colorization_tf.data.config import SPLIT_NAMES, DataConfig


def prepare_dataset(config: DataConfig, out_dir: str,
                    shard_size: int = tfrecords.DEFAULT_SHARD_SIZE) -> dict:
    """Writes every split of ``config`` (after gray filtering, split and resize) to
    ``out_dir`` and returns the manifest, which is written last."""
    if config.dataset.startswith("tfrecords:") and os.path.realpath(out_dir) == \
            os.path.realpath(config.dataset[len("tfrecords:"):]):
        raise ValueError(f"--out={out_dir} is the folder --dataset={config.dataset} reads "
                         "from; choose another --out")
    files.require_directory_path(out_dir, "--out")
    os.makedirs(out_dir, exist_ok=True)
    source = pipeline.source_for(config)
    splits, filtering = {}, {}
    for split in SPLIT_NAMES:
        images, report = pipeline.load_split(config, split)
        shards, count = tfrecords.write_split(images, out_dir, split, shard_size)
        splits[split] = {"count": count, "shards": shards}
        filtering[split] = report
    manifest = {
        "format": tfrecords.FORMAT,
        "version": tfrecords.VERSION,
        "source": sources.describe(source),
        "data": config.to_dict(),
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
    files.write_json(os.path.join(out_dir, tfrecords.MANIFEST), manifest)
    _remove_stale_shards(out_dir, old, manifest)
    return manifest


def _dropped_gray(reports: dict[str, dict]) -> int:
    """Gray images dropped over all pools (train and val share a pool when the split is
    made here, so each pool counts once)."""
    per_pool = {r.get("pool", split): r.get("dropped_gray", 0) for split, r in reports.items()}
    return int(sum(per_pool.values()))


def _read_manifest_if_any(out_dir: str) -> dict | None:
    path = os.path.join(out_dir, tfrecords.MANIFEST)
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
