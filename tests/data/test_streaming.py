"""Streaming input: folders read by path with unreadable files skipped and reported once,
the cached statistics (reused, rebuilt when the folder changes), deterministic and
resumable training streams with crops and flips, and evaluation subsets."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from colorization_tf import presets
from colorization_tf.data import DataConfig, load_split, make_dataset, pipeline, stats
from colorization_tf.training.config import ConfigError, apply_flags


def _photo_folder(root, count: int, bad: int = 0, size=(40, 48)) -> str:
    rng = np.random.default_rng(count)
    root.mkdir(exist_ok=True)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (*size, 3), dtype=np.uint8)).save(
            root / f"{i:03d}.png")
    for i in range(bad):
        (root / f"broken{i}.jpg").write_bytes(b"not an image")
    return str(root)


def _fresh(config: DataConfig) -> DataConfig:
    """Forgets what this process cached about ``config``'s source."""
    pipeline._source.cache_clear()
    pipeline._selection.cache_clear()
    stats._MEMO.clear()
    return config


def test_unreadable_files_are_skipped_and_reported_once(tmp_path, capsys):
    root = _photo_folder(tmp_path / "photos", 30, bad=2)
    config = _fresh(DataConfig(dataset=f"folder:{root}", image_size=16, filter_gray=False))
    _, train = load_split(config, "train")
    _, val = load_split(config, "val")
    _, test = load_split(config, "test")
    assert train["unreadable"] + test["unreadable"] == 2
    assert train["count"] + val["count"] + test["count"] == 30
    batches = make_dataset(config, "train", 4, training=True)
    for _, _ in zip(range(2 * train["count"] // 4 + 1), batches, strict=False):
        pass  # two epochs read by path: no broken file comes back
    lines = [line for line in capsys.readouterr().err.splitlines() if "unreadable" in line]
    assert len(lines) == sum(1 for r in (train, test) if r["unreadable"])  # once per pool
    assert "broken" in " ".join(lines) and f"folder:{root}" in lines[0]


def test_statistics_are_cached_and_rebuilt_when_the_folder_changes(tmp_path, capsys):
    root = _photo_folder(tmp_path / "photos", 20)
    config = DataConfig(dataset=f"folder:{root}", image_size=16)
    _, first = load_split(_fresh(config), "train")
    cache = stats.cache_path(root, "train")
    assert os.path.isfile(cache)
    mtime = os.stat(cache).st_mtime_ns
    _, again = load_split(_fresh(config), "train")
    assert again == first and os.stat(cache).st_mtime_ns == mtime  # reused, not rewritten
    capsys.readouterr()
    _photo_folder(tmp_path / "photos", 25)  # five files added (all in train or test)
    _, changed = load_split(_fresh(config), "train")
    _, test = load_split(config, "test")
    assert changed["pool_size"] + test["pool_size"] == 25
    assert "rebuilding" in capsys.readouterr().err


def test_folder_training_stream_is_deterministic_resumable_and_cropped(tmp_path):
    root = _photo_folder(tmp_path / "photos", 24, size=(30, 40))
    config = _fresh(DataConfig(dataset=f"folder:{root}", image_size=16, filter_gray=False))

    def batches(skip, count, crop_from=24):
        stream = iter(make_dataset(config, "train", 4, training=True, skip_batches=skip,
                                   crop_from=crop_from))
        return np.stack([next(stream)["ab"].numpy() for _ in range(count)])

    straight = batches(0, 8)
    assert straight.shape == (8, 4, 16, 16, 2)
    np.testing.assert_array_equal(batches(0, 8), straight)
    np.testing.assert_array_equal(batches(5, 3), straight[5:])
    assert not np.array_equal(batches(0, 1, crop_from=None)[0], straight[0])  # crops differ


def test_record_source_stream_is_resumable(tmp_path):
    from colorization_tf.data.prepared import prepare_dataset

    out = str(tmp_path / "records")
    prepare_dataset(DataConfig(dataset="samples", image_size=32, max_examples=20), out,
                    shard_size=8)
    config = DataConfig(dataset=f"tfrecords:{out}", image_size=32)

    def batches(skip, count):
        stream = iter(make_dataset(config, "train", 4, training=True, skip_batches=skip))
        return np.stack([next(stream)["ab"].numpy() for _ in range(count)])

    straight = batches(0, 12)  # 20 images: two epochs and more
    np.testing.assert_array_equal(batches(7, 5), straight[7:])
    assert not np.array_equal(straight[:5], straight[5:10])  # epochs are reshuffled


def test_eval_examples_are_a_fixed_spread_subset(tiny_data):
    every = np.concatenate([b["ab"].numpy() for b in make_dataset(tiny_data, "val", 8)])
    subset = np.concatenate([b["ab"].numpy()
                             for b in make_dataset(tiny_data, "val", 8, examples=5)])
    picks = pipeline.spread_positions(len(every), 5)
    assert len(subset) == 5 and picks[0] == 0 and picks[-1] == len(every) - 1
    np.testing.assert_array_equal(subset, every[picks])


@pytest.mark.parametrize("flag, value", [("steps_per_epoch", 0), ("steps_per_epoch", -3),
                                         ("eval_examples", 0), ("image_size", 40)])
def test_bad_bounds_are_refused_with_the_flag_named(flag, value):
    with pytest.raises(ConfigError, match=f"--{flag}={value}"):
        apply_flags(presets.get("unet_l1"), **{flag: value})


@pytest.mark.parametrize("name", ["unet_l1_256", "cgan_256"])
def test_photo_presets_are_256_px_with_crops(name):
    config = presets.get(name).validate()
    assert config.data.image_size == 256 and config.runtime.crop_scale > 1
    from colorization_tf.training.config import input_multiple
    assert input_multiple(config.method) == 256  # pix2pix depth: 8 stride-2 blocks to 1x1
