"""Simulated user hints (Zhang et al. 2017): the point count is geometric from 0, the
locations follow the configured law, every patch carries its true mean ab, the global hint
is the nearest-bin histogram, and the draws are a function of (seed, position) only, so
the tf.data pipeline gives a resumed run the hints of a plain one."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from colorization_tf import color
from colorization_tf.color import global_hint
from colorization_tf.data import DataConfig, hints, make_dataset

P = 0.125


def _counts(draws: int, p: float = P) -> np.ndarray:
    seeds = tf.stack([tf.zeros([draws], tf.int64), tf.range(draws, dtype=tf.int64)], axis=1)
    # tf.data traces the function (tests run tf.functions eagerly), so 4000 draws are fast
    counts = tf.data.Dataset.from_tensor_slices(seeds).map(
        lambda seed: hints.point_count(seed, p)).batch(draws)
    return next(iter(counts)).numpy()


def test_point_count_is_geometric_from_zero():
    counts = _counts(4000)
    # Mean (1 - p) / p = 7, standard deviation sqrt(1 - p) / p = 7.48: standard error 0.12.
    assert abs(counts.mean() - (1 - P) / P) < 0.5
    assert counts.min() == 0 and counts.max() <= hints.MAX_POINTS
    for k in range(6):  # P(k) = (1 - p)^k p, each within 4 standard errors
        expected = (1 - P) ** k * P
        tolerance = 4 * np.sqrt(expected * (1 - expected) / len(counts))
        assert abs(np.mean(counts == k) - expected) < tolerance, k
    assert (_counts(50, p=1.0) == 0).all()  # p = 1: nobody gives a point


@pytest.mark.parametrize("locations", ["gaussian", "uniform"])
def test_patches_lie_inside_the_image_with_sizes_1_to_9(locations):
    points = hints.draw_points([5, 6], 40, 50, locations=locations, count=3000)
    corners, sizes = points["corners"].numpy(), points["sizes"].numpy()
    assert points["active"].numpy().all()
    assert set(sizes) == set(range(1, 10))
    assert (corners >= 0).all()
    assert (corners[:, 0] + sizes <= 40).all() and (corners[:, 1] + sizes <= 50).all()


def test_gaussian_locations_centre_on_the_image_and_uniform_ones_spread():
    extent = np.array([64, 64])
    law = {}
    for locations in ("gaussian", "uniform"):
        points = hints.draw_points([1, 2], 64, 64, locations=locations, count=4000)
        span = extent[None, :] - points["sizes"].numpy()[:, None] + 1
        law[locations] = (points["corners"].numpy() + 0.5) / span  # in (0, 1) of the span
    gaussian, uniform = law["gaussian"], law["uniform"]
    # Gaussian: mean 1/2, standard deviation 1/4 of the span (clipped at 2 sigma: 0.22).
    np.testing.assert_allclose(gaussian.mean(axis=0), 0.5, atol=0.02)
    assert ((gaussian.std(axis=0) > 0.19) & (gaussian.std(axis=0) < 0.25)).all()
    # Uniform over the span: mean 1/2, standard deviation 1/sqrt(12) = 0.29.
    np.testing.assert_allclose(uniform.mean(axis=0), 0.5, atol=0.02)
    np.testing.assert_allclose(uniform.std(axis=0), 12 ** -0.5, atol=0.02)


def test_each_patch_carries_its_mean_ab_and_later_patches_win():
    ab = np.zeros([6, 6, 2], np.float32)
    ab[1:3, 2:4, 0] = [[0.1, 0.3], [0.5, 0.7]]  # mean 0.4
    ab[1:3, 2:4, 1] = -0.2
    ab[4, 4] = [0.9, -0.9]
    ab[3:6, 3:6, 1] += 0.3
    corners = tf.constant([[1, 2], [4, 4], [0, 0], [3, 3]], tf.int32)
    sizes = tf.constant([2, 1, 6, 3], tf.int32)
    active = tf.constant([True, False, False, True])  # the 6x6 patch is not given
    hint_ab, hint_mask = hints.rasterise(ab, corners, sizes, active)
    expected_mask = np.zeros([6, 6], np.float32)
    expected_mask[1:3, 2:4] = 1
    expected_mask[3:6, 3:6] = 1
    np.testing.assert_array_equal(hint_mask.numpy()[..., 0], expected_mask)
    np.testing.assert_allclose(hint_ab.numpy()[1:3, 2:4], np.broadcast_to([0.4, -0.2], [2, 2, 2]),
                               atol=1e-6)
    # The 3x3 patch at (3, 3): a = 0.9 / 9 = 0.1, b = (-0.9 + 9 * 0.3) / 9 = 0.2.
    np.testing.assert_allclose(hint_ab.numpy()[3:6, 3:6], np.broadcast_to([0.1, 0.2], [3, 3, 2]),
                               atol=1e-6)
    assert (hint_ab.numpy()[expected_mask == 0] == 0).all()
    # Overlap: the later (active) patch paints over the earlier one.
    over_ab, _ = hints.rasterise(ab, tf.constant([[3, 3], [4, 4]]), tf.constant([3, 1]),
                                 tf.constant([True, True]))
    np.testing.assert_allclose(over_ab.numpy()[4, 4], [0.9, -0.6], atol=1e-6)
    np.testing.assert_allclose(over_ab.numpy()[3, 3], [0.1, 0.2], atol=1e-6)


def test_simulated_patches_are_patch_means_of_a_random_image():
    ab = tf.random.stateless_uniform([24, 24, 2], seed=[3, 4], minval=-0.5, maxval=0.5)
    points = hints.draw_points([7, 8], 24, 24, count=1)
    (top, left), size = points["corners"].numpy()[0], int(points["sizes"].numpy()[0])
    hint_ab, hint_mask = hints.simulate_hints(ab, [7, 8], count=1)
    assert hint_mask.numpy().sum() == size * size
    want = ab.numpy()[top:top + size, left:left + size].mean(axis=(0, 1))
    np.testing.assert_allclose(hint_ab.numpy()[top, left], want, atol=1e-5)


def test_simulation_is_a_function_of_the_seed():
    ab = tf.random.stateless_uniform([32, 32, 2], seed=[0, 1], minval=-0.5, maxval=0.5)
    first = hints.simulate_hints(ab, [3, 17])
    again = hints.simulate_hints(ab, [3, 17])
    other = hints.simulate_hints(ab, [3, 18])
    np.testing.assert_array_equal(first[0].numpy(), again[0].numpy())
    np.testing.assert_array_equal(first[1].numpy(), again[1].numpy())
    assert not np.array_equal(first[1].numpy(), other[1].numpy())


def _nearest_bin_histogram(ab_units: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Reference: brute-force nearest centre per pixel, then a numpy histogram."""
    flat = ab_units.reshape(-1, 2).astype(np.float64)
    nearest = np.argmin(((flat[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    counts, _ = np.histogram(nearest, bins=np.arange(len(centres) + 1))
    return counts / len(flat)


def test_global_hint_is_the_bin_histogram_saturation_and_flag():
    centres = global_hint.bin_array().astype(np.float64)
    units = np.zeros([4, 4, 2])
    units[:2] = [40.0, 20.0]  # half the image one colour
    units[2:, :2] = [-31.0, 48.0]  # a quarter another
    units[2:, 2:] = [3.0, -2.0]  # a quarter nearly gray
    ab = color.lab_units_to_ab(tf.constant(units, tf.float32))
    hint = hints.global_hint(ab).numpy()
    assert hint.shape == (hints.global_hint_size(),) == (len(centres) + 2,)
    np.testing.assert_allclose(hint[:-2].sum(), 1.0, atol=1e-6)
    np.testing.assert_allclose(hint[:-2], _nearest_bin_histogram(units, centres), atol=1e-6)
    assert np.count_nonzero(hint[:-2]) == 3
    chroma = np.hypot(units[..., 0], units[..., 1]).mean() / 127.5
    np.testing.assert_allclose(hint[-2], chroma, atol=1e-4)
    assert hint[-1] == 1.0


def test_global_hint_of_a_random_map_matches_numpy():
    units = np.random.default_rng(0).uniform(-60, 60, [9, 7, 2])
    hint = hints.global_hint(color.lab_units_to_ab(tf.constant(units, tf.float32))).numpy()
    centres = global_hint.bin_array().astype(np.float64)
    np.testing.assert_allclose(hint[:-2], _nearest_bin_histogram(units, centres), atol=1e-6)
    with pytest.raises(ValueError, match=r"global_hint: expected one ab map \[H,W,2\]"):
        hints.global_hint(tf.zeros([2, 4, 4, 2]))


def test_the_global_hint_is_dropped_at_the_configured_rate():
    ab = tf.random.stateless_uniform([8, 8, 2], seed=[0, 0], minval=-0.3, maxval=0.3)
    full = hints.global_hint(ab).numpy()
    kept = 0
    seeds = tf.stack([tf.fill([400], tf.constant(9, tf.int64)), tf.range(400, dtype=tf.int64)], 1)
    vectors = next(iter(tf.data.Dataset.from_tensor_slices(seeds).map(
        lambda seed: hints.simulated_global_hint(ab, seed, drop=0.5)).batch(400))).numpy()
    for vector in vectors:
        if vector[-1] == 1.0:
            kept += 1
            np.testing.assert_array_equal(vector, full)
        else:
            assert not vector.any()  # dropped: all zeros, flag included
    assert abs(kept / 400 - 0.5) < 0.1  # 4 standard errors
    assert not hints.simulated_global_hint(ab, [9, 0], drop=1.0).numpy().any()


@pytest.fixture
def hint_data(tiny_data) -> DataConfig:
    return dataclasses.replace(tiny_data, features=("hints", "global_hint"))


def _take(dataset, count):
    return [{k: v.numpy() for k, v in batch.items()} for batch in dataset.take(count)]


@pytest.mark.slow
def test_pipeline_adds_hints_that_depend_on_seed_and_position_only(hint_data):
    batches = _take(make_dataset(hint_data, "train", 4, training=True), 4)
    first = batches[0]
    assert first["hint_ab"].shape == (4, 32, 32, 2) and first["hint_mask"].shape == (4, 32, 32, 1)
    assert first["hint_global"].shape == (4, hints.global_hint_size())
    assert set(np.unique(first["hint_mask"])) <= {0.0, 1.0}
    assert not first["hint_ab"][first["hint_mask"][..., 0] == 0].any()
    assert "position" not in first
    # Resuming at batch 2 sees the hints of the uninterrupted stream's batches 2 and 3.
    resumed = _take(make_dataset(hint_data, "train", 4, training=True, skip_batches=2), 2)
    for key in ("hint_ab", "hint_mask", "hint_global", "ab"):
        np.testing.assert_array_equal(resumed[0][key], batches[2][key])
        np.testing.assert_array_equal(resumed[1][key], batches[3][key])
    # Another seed: other hints.
    other = _take(make_dataset(dataclasses.replace(hint_data, seed=1), "train", 4,
                               training=True), 1)[0]
    assert not np.array_equal(other["hint_mask"], first["hint_mask"])
    # Evaluation batches carry fixed hints (the same on every pass).
    val = [_take(make_dataset(hint_data, "val", 4), 1)[0] for _ in range(2)]
    np.testing.assert_array_equal(val[0]["hint_mask"], val[1]["hint_mask"])


def test_simulated_hints_in_the_pipeline_are_patch_means_of_the_example(hint_data):
    config = dataclasses.replace(hint_data, features=("hints",))
    batch = _take(make_dataset(config, "train", 8, training=True), 1)[0]
    assert "hint_global" not in batch
    mask, hint_ab, ab = batch["hint_mask"][..., 0] > 0, batch["hint_ab"], batch["ab"]
    # Every hinted value is the mean of a 1x1..9x9 window of the true ab that contains it.
    for image in range(8):
        rows, cols = np.nonzero(mask[image])
        for row, col in list(zip(rows, cols, strict=True))[:20]:
            found = False
            for size in range(1, 10):
                for top in range(max(0, row - size + 1), min(row, 32 - size) + 1):
                    for left in range(max(0, col - size + 1), min(col, 32 - size) + 1):
                        window = ab[image, top:top + size, left:left + size].mean(axis=(0, 1))
                        found = found or np.allclose(window, hint_ab[image, row, col],
                                                     atol=1e-5)
            assert found, (image, row, col)


def test_hint_settings_are_validated():
    with pytest.raises(ValueError, match="--hint_locations=edges"):
        DataConfig(hint_locations="edges").validate()
    with pytest.raises(ValueError, match="--hint_p=0"):
        DataConfig(hint_p=0.0).validate()
    with pytest.raises(ValueError, match="data features \\['strokes'\\]"):
        DataConfig(features=("strokes",)).validate()


@pytest.mark.slow
def test_record_stream_hints_resume_exactly(tmp_path):
    from colorization_tf.data.prepared import prepare_dataset

    out = str(tmp_path / "records")
    prepare_dataset(DataConfig(dataset="samples", image_size=32, max_examples=12), out,
                    shard_size=8)
    config = DataConfig(dataset=f"tfrecords:{out}", image_size=32, features=("hints",))

    def masks(skip, count):
        stream = iter(make_dataset(config, "train", 4, training=True, skip_batches=skip))
        return np.stack([next(stream)["hint_mask"].numpy() for _ in range(count)])

    straight = masks(0, 6)  # 12 images: two epochs
    np.testing.assert_array_equal(masks(4, 2), straight[4:])
    assert not np.array_equal(straight[:3], straight[3:])  # each epoch draws new hints


@pytest.mark.parametrize("sides", [(1, 1), (2, 5)])
def test_patch_sizes_follow_the_configured_range(sides):
    points = hints.draw_points([5, 7], 32, 32, locations="uniform", count=2000,
                               patch_sizes=sides)
    sizes = points["sizes"].numpy()
    assert set(sizes) == set(range(sides[0], sides[1] + 1))
    ab = tf.random.stateless_uniform([32, 32, 2], seed=[1, 2], minval=-0.5, maxval=0.5)
    hint_ab, hint_mask = hints.simulate_hints(ab, [5, 7], count=1, patch_sizes=sides)
    side = int(hints.draw_points([5, 7], 32, 32, count=1, patch_sizes=sides)["sizes"][0])
    assert hint_mask.numpy().sum() == side * side
    with pytest.raises(ValueError, match="hint patch sizes"):
        hints.draw_points([0, 0], 8, 8, patch_sizes=(3, 2))


def test_single_pixel_hints_reveal_the_true_ab_at_their_pixel():
    ab = tf.random.stateless_uniform([16, 16, 2], seed=[2, 3], minval=-0.5, maxval=0.5)
    hint_ab, hint_mask = hints.simulate_hints(ab, [4, 4], locations="uniform", count=30,
                                              patch_sizes=(1, 1))
    mask = hint_mask.numpy()[..., 0] > 0
    assert 0 < mask.sum() <= 30
    # (summed-area-table arithmetic: float32 rounding only)
    np.testing.assert_allclose(hint_ab.numpy()[mask], ab.numpy()[mask], atol=1e-6)


def test_new_hint_settings_are_validated_and_saved():
    with pytest.raises(ValueError, match="hint_patch_sizes"):
        DataConfig(hint_patch_sizes=(0, 3)).validate()
    with pytest.raises(ValueError, match="hint_patch_sizes"):
        DataConfig(hint_patch_sizes=(5, 3)).validate()
    config = DataConfig(hint_patch_sizes=(1, 3))
    assert DataConfig.from_dict(config.to_dict()) == config


def test_training_and_evaluation_draw_points_through_the_one_sampler(hint_data, monkeypatch):
    """The simulated users of training and the points revealed by the evaluation come from
    ``draw_points`` (a spy replacing it sees both; either bypassing it fails here)."""
    from colorization_tf.evaluation import hint_points

    calls = []
    original = hints.draw_points

    def spy(*args, **kwargs):
        calls.append(kwargs.get("locations", "gaussian"))
        return original(*args, **kwargs)

    monkeypatch.setattr(hints, "draw_points", spy)
    batch = next(iter(make_dataset(hint_data, "train", 2, training=True)))
    assert calls == ["gaussian"]  # traced once by tf.data's map_fn
    assert batch["hint_mask"].shape == (2, 32, 32, 1)
    hint_ab, mask = hint_points.sample_hints(np.zeros([8, 8, 2], np.float32), 3, 0, 0)
    assert calls == ["gaussian", "distinct"] and mask.sum() == 3


def test_distinct_points_are_a_prefix_of_one_permutation_and_never_repeat():
    key = tf.constant([5, 2], tf.int64)
    ten = hints.draw_points(key, 6, 7, locations="distinct", count=10, patch_sizes=(1, 1))
    forty_two = hints.draw_points(key, 6, 7, locations="distinct", count=100,
                                  patch_sizes=(1, 1))
    corners = forty_two["corners"].numpy()
    assert corners.shape == (42, 2) and forty_two["active"].numpy().all()
    assert len({tuple(c) for c in corners}) == 42  # every pixel once: without replacement
    np.testing.assert_array_equal(ten["corners"].numpy(), corners[:10])  # nested
    centred = hints.draw_points(key, 6, 7, locations="distinct", count=10,
                                patch_sizes=(5, 5))
    np.testing.assert_array_equal(centred["corners"].numpy(), corners[:10] - 2)


@pytest.mark.parametrize("side", [1, 3, 5])
def test_training_patches_equal_the_user_hints_rasterizer(side):
    """A square patch of side 1, 3 or 5 is exactly a hints-file point of radius
    ``(side - 1) / 2 * sqrt(2)`` (the disc then covers the square and nothing more), so the
    maps training sees are the maps a user's points give, clipped borders included."""
    from colorization_tf.inference import hints as user_hints

    colours = ["#c03020", "#2060d0", "#30a040", "#d0b020"]
    centres = [(0, 0), (5, 5), (2, 10), (7, 11)]  # (row, col), apart; three are clipped
    ab_colours = user_hints.hex_to_ab(colours)
    truth = np.zeros([8, 12, 2], np.float32)  # flat patches of the hint colours
    half = (side - 1) // 2
    for (row, col), ab in zip(centres, ab_colours, strict=True):
        truth[max(row - half, 0):row + half + 1, max(col - half, 0):col + half + 1] = ab
    corners = np.array(centres) - half
    trained_ab, trained_mask = hints.rasterise(
        truth, tf.constant(corners, tf.int32), tf.fill([4], side), tf.fill([4], True))
    parsed = user_hints.Hints(points=tuple(
        user_hints.Point(x=col, y=row, color=colour, radius=half * np.sqrt(2))
        for (row, col), colour in zip(centres, colours, strict=True)))
    user_ab, user_mask = user_hints.rasterize(parsed, (8, 12))
    np.testing.assert_array_equal(trained_mask.numpy(), user_mask)
    np.testing.assert_allclose(trained_ab.numpy(), user_ab, atol=1e-6)
