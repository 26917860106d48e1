"""Data: samples, sources (TFDS under mock_data, folders), gray filtering, splits, and the
batched Lab pipeline."""

import numpy as np
import pytest
import skimage.color
import tensorflow as tf
import tensorflow_datasets as tfds
from PIL import Image

from colorization_tf.data import DataConfig, filtering, load_split, make_dataset, sources, splits
from colorization_tf.data import samples as samples_lib


def test_samples_are_deterministic_and_split_by_photograph():
    samples_lib.build_samples.cache_clear()
    first = samples_lib.build_samples(32)
    samples_lib.build_samples.cache_clear()
    second = samples_lib.build_samples(32)
    photos = {}
    for split in samples_lib.SPLITS:
        np.testing.assert_array_equal(first[split]["image"], second[split]["image"])
        assert first[split]["image"].shape[1:] == (32, 32, 3)
        assert first[split]["image"].dtype == np.uint8
        photos[split] = set(first[split]["photo"])
    assert not photos["train"] & photos["test"]
    assert not photos["train"] & photos["val"]
    assert not photos["val"] & photos["test"]


def test_pipeline_shapes_ranges_dtypes(tiny_data):
    batch = next(iter(make_dataset(tiny_data, "train", 8, training=True)))
    assert batch["L"].shape == (8, 32, 32, 1) and batch["L"].dtype == tf.float32
    assert batch["ab"].shape == (8, 32, 32, 2) and batch["ab"].dtype == tf.float32
    assert batch["label"].dtype == tf.int64
    for key in ("L", "ab"):
        assert -1.0 <= float(tf.reduce_min(batch[key])) and float(tf.reduce_max(batch[key])) <= 1.0


def test_lab_examples_match_skimage(tiny_data):
    images, _ = load_split(tiny_data, "test")
    raw = next(iter(images.batch(4)))["image"].numpy()
    batch = next(iter(make_dataset(tiny_data, "test", 4)))
    lab = skimage.color.rgb2lab(raw / 255.0)
    np.testing.assert_allclose(batch["L"].numpy()[..., 0], (lab[..., 0] - 50) / 50, atol=1e-4)
    np.testing.assert_allclose(batch["ab"].numpy(), (lab[..., 1:] + 0.5) / 127.5, atol=1e-4)


def test_training_stream_is_deterministic_and_resumable(tiny_data):
    def first_batches(skip, count):
        stream = iter(make_dataset(tiny_data, "train", 4, training=True, skip_batches=skip))
        return [next(stream)["ab"].numpy() for _ in range(count)]

    uninterrupted = first_batches(0, 6)
    np.testing.assert_array_equal(np.stack(first_batches(0, 6)), np.stack(uninterrupted))
    np.testing.assert_array_equal(np.stack(first_batches(3, 3)), np.stack(uninterrupted[3:]))
    assert not np.array_equal(uninterrupted[0], uninterrupted[1])


def test_gray_images_are_detected_by_chroma():
    rng = np.random.default_rng(0)
    gray = np.repeat(rng.integers(0, 256, (5, 16, 16, 1), dtype=np.uint8), 3, axis=-1)
    colourful = rng.integers(0, 256, (7, 16, 16, 3), dtype=np.uint8)
    images = tf.cast(tf.constant(np.concatenate([gray, colourful])), tf.float32)
    chroma, _ = filtering.batch_stats(tf.map_fn(filtering.thumbnail, images))
    mask = filtering.is_gray(chroma.numpy())
    np.testing.assert_array_equal(mask, [True] * 5 + [False] * 7)


def test_gray_filter_reports_dropped_images(tmp_path):
    rng = np.random.default_rng(1)
    for split, count in (("train", 12), ("test", 4)):
        (tmp_path / split).mkdir()
        for i in range(count):
            image = rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)
            if i < 3:  # three gray images in each split
                image[...] = image[..., :1]
            Image.fromarray(image).save(tmp_path / split / f"{i:02d}.png")
    config = DataConfig(dataset=f"folder:{tmp_path}", image_size=16, val_ratio=0.25)
    train, train_report = load_split(config, "train")
    _, val_report = load_split(config, "val")
    _, test_report = load_split(config, "test")
    assert train_report["pool_size"] == 12 and train_report["dropped_gray"] == 3
    assert (train_report["count"], val_report["count"]) == (7, 2)  # 9 colour images, 25% val
    assert test_report["dropped_gray"] == 3 and test_report["count"] == 1
    assert sum(1 for _ in train) == 7


@pytest.mark.parametrize("method", splits.SPLIT_METHODS)
def test_splits_are_disjoint_and_sized(method):
    hue = np.random.default_rng(0).uniform(0, 1, 1000)
    train, val = splits.split_indices(method, hue, 0.1, seed=3)
    assert len(val) == 100 and len(train) == 900
    assert not set(train) & set(val)
    assert set(train) | set(val) == set(range(1000))


def test_random_split_depends_on_seed_only():
    a = splits.random_split(50, 0.2, seed=1)[1]
    np.testing.assert_array_equal(a, splits.random_split(50, 0.2, seed=1)[1])
    assert not np.array_equal(a, splits.random_split(50, 0.2, seed=2)[1])


def test_hue_balanced_split_keeps_the_hue_histogram():
    rng = np.random.default_rng(0)
    hue = np.concatenate([rng.beta(2, 8, 700), rng.beta(9, 2, 300)])  # skewed, bimodal
    train, val = splits.hue_balanced_split(hue, 0.1)
    bins = np.linspace(0, 1, 11)
    train_hist = np.histogram(hue[train], bins)[0] / len(train)
    val_hist = np.histogram(hue[val], bins)[0] / len(val)
    assert np.abs(train_hist - val_hist).max() < 0.02
    # a seeded random split of the same data is visibly less balanced on average
    random_gaps = [np.abs(np.histogram(hue[v], bins)[0] / len(v) - train_hist).max()
                   for v in (splits.random_split(1000, 0.1, s)[1] for s in range(5))]
    assert np.abs(train_hist - val_hist).max() < np.mean(random_gaps)


def test_cifar10_through_tfds_mock(monkeypatch):
    monkeypatch.setattr(sources, "network_reachable", lambda builder, timeout=3.0: True)
    with tfds.testing.mock_data(num_examples=40):
        config = DataConfig(dataset="cifar10", image_size=32, filter_gray=False)
        source = sources.load_source("cifar10")
        assert source.num_classes == 10
        _, train_report = load_split(config, "train")
        _, val_report = load_split(config, "val")
        assert train_report["count"] + val_report["count"] == 40
        assert val_report["count"] == 4
        batch = next(iter(make_dataset(config, "test", 8)))
        assert batch["L"].shape == (8, 32, 32, 1)
        assert int(tf.reduce_max(batch["label"])) < 10


def test_offline_unprepared_tfds_dataset_fails_fast(monkeypatch, tmp_path):
    monkeypatch.setattr(sources, "network_reachable", lambda builder, timeout=3.0: False)
    with pytest.raises(sources.DatasetUnavailableError, match="cifar10.*samples"):
        sources.load_source("cifar10", data_dir=str(tmp_path))


def test_folder_source_labels_from_subfolders(tmp_path):
    rng = np.random.default_rng(2)
    for cls in ("cats", "dogs"):
        (tmp_path / "train" / cls).mkdir(parents=True)
        (tmp_path / "test" / cls).mkdir(parents=True)
        for i in range(3):
            for split in ("train", "test"):
                Image.fromarray(rng.integers(0, 256, (40, 30, 3), dtype=np.uint8)).save(
                    tmp_path / split / cls / f"{i}.jpg")
    (tmp_path / "train" / "cats" / "notes.txt").write_text("not an image")
    source = sources.load_source(f"folder:{tmp_path}")
    assert source.class_names == ("cats", "dogs")
    config = DataConfig(dataset=f"folder:{tmp_path}", image_size=16, filter_gray=False)
    test_images, _ = load_split(config, "test")
    labels = sorted(int(ex["label"]) for ex in test_images)
    assert labels == [0, 0, 0, 1, 1, 1]
    assert next(iter(test_images))["image"].shape == (16, 16, 3)


def test_missing_folder_is_named():
    with pytest.raises(FileNotFoundError, match="no-such-dir"):
        sources.load_source("folder:/no-such-dir")
