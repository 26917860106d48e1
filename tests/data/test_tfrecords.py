"""TFRecord export and the ``tfrecords:PATH`` source: an exact round trip of every split,
the manifest's counts and gray-filter report, and clear errors."""

from __future__ import annotations

import colorsys
import dataclasses
import os

import numpy as np
import pytest
from PIL import Image

from colorization_tf import files
from colorization_tf.data import DataConfig, load_split, make_dataset, pipeline, sources, tfrecords
from colorization_tf.data.prepared import prepare_dataset

SPLITS = ("train", "val", "test")


def _batches(config: DataConfig, split: str) -> list[dict[str, np.ndarray]]:
    return [{k: v.numpy() for k, v in batch.items()}
            for batch in make_dataset(config, split, 8, cache=False)]


def _assert_same_batches(original: DataConfig, copy: DataConfig) -> None:
    for split in SPLITS:
        want, got = _batches(original, split), _batches(copy, split)
        assert len(want) == len(got) and want, split
        for a, b in zip(want, got, strict=True):
            for key in ("L", "ab", "label"):
                np.testing.assert_array_equal(a[key], b[key], err_msg=f"{split} {key}")


def _count(config: DataConfig, split: str) -> int:
    images, _ = load_split(config, split)
    return sum(1 for _ in images)


def test_samples_round_trip_is_exact(tmp_path):
    original = DataConfig(dataset="samples", image_size=32, max_examples=20)
    out = str(tmp_path / "samples")
    manifest = prepare_dataset(original, out, shard_size=8)

    for split in SPLITS:  # 20 examples in shards of 8: three shards, read back in order
        assert manifest["splits"][split]["count"] == 20
        assert manifest["splits"][split]["shards"] == [f"{split}-0000{i}.tfrecord"
                                                       for i in range(3)]
    assert files.read_json(os.path.join(out, tfrecords.MANIFEST)) == manifest
    assert manifest["num_classes"] == 6 and manifest["image_size"] == 32
    assert manifest["class_names"] == list(sources.load_source("samples", 32).class_names)
    assert not [f for f in os.listdir(out) if f.startswith(".tmp-")]

    copy = dataclasses.replace(original, dataset=f"tfrecords:{out}")
    source = pipeline.source_for(copy)
    assert source.num_classes == 6 and set(source.pools) == set(SPLITS)
    _assert_same_batches(original, copy)
    for split in SPLITS:
        assert _count(copy, split) == manifest["splits"][split]["count"]


def _write_png(path, rgb):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(rgb).save(path)


def _colour_image(hue: float, height=40, width=48) -> np.ndarray:
    ramp = np.linspace(0.4, 1.0, width)
    rgb = np.array([colorsys.hsv_to_rgb(hue, 0.8, v) for v in ramp])
    return np.round(np.broadcast_to(rgb, (height, width, 3)) * 255).astype(np.uint8)


def _gray_image(level: int, height=40, width=48) -> np.ndarray:
    ramp = np.linspace(level * 0.5, level, width).astype(np.uint8)
    return np.repeat(np.broadcast_to(ramp, (height, width))[..., None], 3, axis=-1).copy()


@pytest.fixture
def folder_dataset(tmp_path):
    """train/: 20 colour + 3 gray images in two classes; test/: 6 colour + 2 gray."""
    root = tmp_path / "photos"
    for i in range(20):
        _write_png(str(root / "train" / ("warm" if i % 2 else "cool") / f"c{i:02d}.png"),
                   _colour_image(i / 20))
    for i in range(3):
        _write_png(str(root / "train" / "cool" / f"g{i}.png"), _gray_image(120 + 40 * i))
    for i in range(6):
        _write_png(str(root / "test" / "warm" / f"c{i}.png"), _colour_image(i / 6 + 0.03))
    for i in range(2):
        _write_png(str(root / "test" / "warm" / f"g{i}.png"), _gray_image(200 - 50 * i))
    return str(root)


def test_folder_round_trip_reports_gray_filter(folder_dataset, tmp_path):
    original = DataConfig(dataset=f"folder:{folder_dataset}", image_size=16, val_ratio=0.2)
    out = str(tmp_path / "folder")
    manifest = prepare_dataset(original, out)

    assert manifest["filtering"]["dropped_gray"] == 5
    reports = manifest["filtering"]["splits"]
    assert reports["train"]["dropped_gray"] == 3 and reports["test"]["dropped_gray"] == 2
    assert {s: manifest["splits"][s]["count"] for s in SPLITS} == {
        "train": 16, "val": 4, "test": 6}
    assert manifest["class_names"] == ["cool", "warm"] and manifest["num_classes"] == 2

    copy = dataclasses.replace(original, dataset=f"tfrecords:{out}")
    _assert_same_batches(original, copy)
    without_filter = dataclasses.replace(copy, filter_gray=False)
    for split in SPLITS:
        assert _count(without_filter, split) == manifest["splits"][split]["count"]


def test_missing_manifest_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "nothing" / "manifest.json")):
        sources.load_source(f"tfrecords:{tmp_path / 'nothing'}")


def test_missing_shard_is_named(tmp_path):
    out = str(tmp_path / "tfr")
    config = DataConfig(dataset="samples", image_size=32, max_examples=4, filter_gray=False)
    prepare_dataset(config, out)
    os.remove(os.path.join(out, "val-00000.tfrecord"))
    with pytest.raises(FileNotFoundError, match="val-00000.tfrecord"):
        sources.load_source(f"tfrecords:{out}")


def test_reexport_removes_stale_shards(tmp_path):
    out = str(tmp_path / "tfr")
    config = DataConfig(dataset="samples", image_size=32, max_examples=6, filter_gray=False)
    prepare_dataset(config, out, shard_size=2)
    assert os.path.isfile(os.path.join(out, "train-00002.tfrecord"))
    manifest = prepare_dataset(config, out, shard_size=6)
    listed = {s for split in manifest["splits"].values() for s in split["shards"]}
    assert set(os.listdir(out)) == listed | {tfrecords.MANIFEST}


def test_refuses_to_overwrite_its_own_input(tmp_path):
    out = str(tmp_path / "tfr")
    prepare_dataset(DataConfig(dataset="samples", image_size=32, max_examples=2,
                                filter_gray=False), out)
    with pytest.raises(ValueError, match="--out"):
        prepare_dataset(DataConfig(dataset=f"tfrecords:{out}", image_size=32), out)
