"""Scoring a predictor, checked directly: every per-image figure equals the metrics
module's own function applied to that batch, images stay in order across batches, the
summary is ``intervals``' finite mean and bootstrap interval of each metric, perfect
images are counted, and the options (``names``, ``on_batch``, ``progress``, ``bootstrap``)
reach the scoring. Tiny images, no training."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from colorization_tf import color
from colorization_tf.evaluation import intervals, metrics, scoring

SIZE = 12
FAST = intervals.BootstrapConfig(resamples=200, seed=3)


def _images(count: int, seed: int, gray: tuple[int, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    """Scaled (L, ab) of random sRGB images; the images numbered in ``gray`` colourless."""
    rng = np.random.default_rng(seed)
    rgb = rng.uniform(0.0, 1.0, (count, SIZE, SIZE, 3)).astype(np.float32)
    rgb[..., 0] = np.clip(rgb[..., 0] + np.linspace(0, 0.4, count)[:, None, None], 0, 1)
    lightness, ab = color.rgb_to_model(tf.constant(rgb))
    ab = ab.numpy()
    for i in gray:
        ab[i] = color.gray_ab(lightness[i]).numpy()
    return lightness.numpy(), ab


def _dataset(sizes=(3, 3, 2), gray=(1, 6)):
    """Batches of the given sizes (dicts with "L" and "ab"), and the images joined."""
    lightness, ab = _images(sum(sizes), seed=11, gray=gray)
    starts = np.cumsum((0,) + tuple(sizes))
    batches = [{"L": lightness[a:b], "ab": ab[a:b]} for a, b in zip(starts[:-1], starts[1:], strict=True)]
    dataset = tf.data.Dataset.from_generator(
        lambda: iter(batches),
        output_signature={"L": tf.TensorSpec([None, SIZE, SIZE, 1], tf.float32),
                          "ab": tf.TensorSpec([None, SIZE, SIZE, 2], tf.float32)})
    return dataset, lightness, ab


def _predict(lightness):
    """A deterministic colouring of L: some error against the truth, different per image."""
    lightness = tf.convert_to_tensor(lightness)
    return tf.concat([0.3 * lightness, -0.2 * lightness + 0.1], axis=-1)


def _reference(lightness, ab_true, ab_pred) -> dict[str, np.ndarray]:
    """Every metric of one batch from ``metrics`` called directly (Lab via ``color``)."""
    rgb_true = metrics.to_uint8_rgb(lightness, ab_true)
    rgb_pred = metrics.to_uint8_rgb(lightness, ab_pred)
    lab_true = tf.concat([tf.constant(lightness) * 50.0 + 50.0,
                          color.ab_to_lab_units(ab_true)], axis=-1)
    lab_pred = tf.concat([tf.constant(lightness) * 50.0 + 50.0,
                          color.ab_to_lab_units(ab_pred)], axis=-1)
    found = {"mae": metrics.mae(ab_true, ab_pred), "mse": metrics.mse(ab_true, ab_pred),
             "psnr": metrics.psnr(rgb_true, rgb_pred), "ssim": metrics.ssim(rgb_true, rgb_pred),
             "ciede2000": metrics.mean_ciede2000(rgb_true, rgb_pred),
             "colorfulness": metrics.colorfulness(rgb_pred),
             "colorfulness_true": metrics.colorfulness(rgb_true),
             "acc_2": metrics.pixel_accuracy(lab_true, lab_pred, 0.02),
             "acc_5": metrics.pixel_accuracy(lab_true, lab_pred, 0.05)}
    return {name: np.asarray(value, np.float64) for name, value in found.items()}


def _joined_reference(lightness, ab, predict, sizes=(3, 3, 2)) -> dict[str, np.ndarray]:
    starts = np.cumsum((0,) + tuple(sizes))
    parts = [_reference(lightness[a:b], ab[a:b], np.asarray(predict(lightness[a:b])))
             for a, b in zip(starts[:-1], starts[1:], strict=True)]
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def _assert_same(found: np.ndarray, expected: np.ndarray) -> None:
    assert found.dtype == np.float64
    assert found.shape == expected.shape
    np.testing.assert_allclose(found, expected, rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------------- per batch

def test_per_example_scores_are_the_metrics_of_the_batch():
    lightness, ab = _images(4, seed=1)
    ab_pred = np.asarray(_predict(lightness))
    found = scoring.per_example_scores(lightness, ab, ab_pred)
    expected = _reference(lightness, ab, ab_pred)
    assert set(found) == set(expected)
    for name, value in expected.items():
        assert found[name].shape == (4,)
        np.testing.assert_allclose(np.asarray(found[name], np.float64), value, rtol=1e-6,
                                   atol=1e-6, err_msg=name)
    # the two accuracies differ here (a tolerance of 2% vs 5% of each channel's range)
    assert np.all(expected["acc_2"] < expected["acc_5"])
    assert not np.allclose(expected["colorfulness"], expected["colorfulness_true"])


def test_metrics_name_every_per_image_figure_once():
    keys = [m.key for m in scoring.METRICS]
    lightness, ab = _images(2, seed=2)
    found = scoring.per_example_scores(lightness, ab, ab)
    assert len(set(keys)) == len(keys)
    assert set(keys) | {"colorfulness_true"} == set(found)


def test_each_metrics_better_direction_prefers_a_perfect_prediction():
    """A perfect prediction beats a poor one in the direction each metric declares."""
    lightness, ab = _images(3, seed=4)
    poor = np.clip(ab + np.float32(0.15), -1, 1)
    perfect_scores = scoring.per_example_scores(lightness, ab, ab)
    poor_scores = scoring.per_example_scores(lightness, ab, poor)
    for metric in scoring.METRICS:
        good = np.asarray(perfect_scores[metric.key], np.float64)
        bad = np.asarray(poor_scores[metric.key], np.float64)
        if metric.better == "lower":
            assert np.all(good < bad), metric.key
        elif metric.better == "higher":
            assert np.all(good > bad), metric.key
        else:
            assert metric.better == "closer", metric.key
            truth = np.asarray(perfect_scores["colorfulness_true"])
            assert np.all(np.abs(good - truth) < np.abs(bad - truth)), metric.key


def test_metric_labels_follow_the_reports_names():
    labels = {m.key: m.label for m in scoring.METRICS}
    # the names report.py's per-run table prints for the same metrics
    for key, label in (("colorfulness", "Colorfulness"), ("mae", "MAE"),
                       ("psnr", "PSNR (dB)")):
        assert labels[key] == label
    for key in ("mse", "ssim", "ciede2000"):  # acronyms, as the papers print them
        assert labels[key] == key.upper()
    assert labels["acc_2"] == "Acc. eps=2%"  # Nazeri et al.'s pixel accuracy, epsilon 2%
    assert labels["acc_5"] == "Acc. eps=5%"


def test_metrics_are_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        scoring.METRICS[0].key = "changed"


def test_no_colour_predicts_zero_a_and_b():
    lightness, _ = _images(2, seed=5)
    ab = scoring.no_colour(tf.constant(lightness))
    assert ab.shape == (2, SIZE, SIZE, 2)
    np.testing.assert_allclose(color.ab_to_lab_units(ab).numpy(), 0.0, atol=1e-5)


# ---------------------------------------------------------------------- over batches

def test_score_images_keeps_every_image_in_order_across_batches():
    dataset, lightness, ab = _dataset()
    found = scoring.score_images(_predict, dataset)
    expected = _joined_reference(lightness, ab, _predict)
    assert set(found) == set(expected) | {"lightness"}
    for name, value in expected.items():
        _assert_same(found[name], value)
    _assert_same(found["lightness"], lightness.astype(np.float64).mean(axis=(1, 2, 3)))


def test_score_images_of_some_metrics_only():
    dataset, lightness, ab = _dataset()
    expected = _joined_reference(lightness, ab, _predict)
    found = scoring.score_images(_predict, dataset, names=("psnr", "acc_5"))
    assert set(found) == {"lightness", "psnr", "acc_5"}
    _assert_same(found["psnr"], expected["psnr"])
    _assert_same(found["acc_5"], expected["acc_5"])
    assert found["lightness"].shape == (8,)


def test_score_images_of_mae_alone_skips_the_other_metrics(monkeypatch):
    dataset, lightness, ab = _dataset()
    expected = _joined_reference(lightness, ab, _predict)

    def every_metric(*args):
        raise AssertionError("every metric computed for MAE alone")

    monkeypatch.setattr(scoring, "_batch_scores", every_metric)
    found = scoring.score_images(_predict, dataset, names=("mae",))
    assert set(found) == {"lightness", "mae"}
    _assert_same(found["mae"], expected["mae"])
    _assert_same(found["lightness"], lightness.astype(np.float64).mean(axis=(1, 2, 3)))


class _Recorder:
    """A progress bar that records the steps it is advanced to."""

    def __init__(self, steps: list):
        self.steps = steps

    def update(self, step):
        self.steps.append(step)


def test_score_images_shows_each_batch_and_advances_the_progress_bar():
    dataset, lightness, ab = _dataset()
    seen, steps = [], []

    def on_batch(batch, ab_pred):
        seen.append((batch["L"].numpy(), np.asarray(ab_pred)))

    scoring.score_images(_predict, dataset, progress=_Recorder(steps), on_batch=on_batch)
    assert steps == [1, 2, 3]
    assert [s[0].shape[0] for s in seen] == [3, 3, 2]
    np.testing.assert_array_equal(np.concatenate([s[0] for s in seen]), lightness)
    for batch_lightness, ab_pred in seen:
        np.testing.assert_allclose(ab_pred, _predict(batch_lightness).numpy())


def test_score_images_of_no_images():
    dataset, _, _ = _dataset()
    found = scoring.score_images(_predict, dataset.take(0))
    assert set(found) == {"lightness"}
    assert found["lightness"].shape == (0,)
    summary = scoring.summarize(found, FAST)
    assert summary == {"count": 0, "ci": {}}


# ---------------------------------------------------------------------- summaries

def test_summarize_is_the_finite_mean_and_bootstrap_interval_of_each_metric():
    rng = np.random.default_rng(0)
    per_image = {"lightness": rng.uniform(-1, 1, 6),
                 "mae": rng.uniform(0, 0.3, 6),
                 "psnr": np.array([20.0, np.inf, 31.5, np.inf, 25.0, 28.0]),
                 "ssim": rng.uniform(0.5, 1, 6)}
    found = scoring.summarize(per_image, FAST)
    assert set(found) == {"count", "mae", "psnr", "psnr_perfect", "ssim", "ci"}
    assert found["count"] == 6
    assert found["psnr_perfect"] == 2
    assert found["psnr"] == pytest.approx((20.0 + 31.5 + 25.0 + 28.0) / 4)
    assert found["mae"] == pytest.approx(per_image["mae"].mean())
    assert set(found["ci"]) == {"mae", "psnr", "ssim"}
    for name in ("mae", "psnr", "ssim"):
        expected = intervals.mean_interval(per_image[name], FAST)
        assert found[name] == expected.value
        assert found["ci"][name] == expected.bounds
        low, high = found["ci"][name]
        assert low < found[name] < high
    # the interval depends on the configuration given (not the default one)
    default = intervals.mean_interval(per_image["ssim"])
    assert found["ci"]["ssim"] != default.bounds


def test_summarize_with_the_default_bootstrap():
    per_image = {"lightness": np.zeros(3), "mae": np.array([0.1, 0.2, 0.4])}
    found = scoring.summarize(per_image)
    expected = intervals.mean_interval(per_image["mae"], intervals.BootstrapConfig())
    assert found["mae"] == pytest.approx(0.7 / 3)
    assert found["ci"]["mae"] == expected.bounds
    assert "psnr_perfect" not in found


def test_summarize_counts_every_image_even_without_a_finite_figure():
    per_image = {"lightness": np.zeros(2), "psnr": np.array([np.inf, np.inf])}
    found = scoring.summarize(per_image, FAST)
    assert found == {"count": 2, "psnr": float("inf"), "psnr_perfect": 2,
                     "ci": {"psnr": [None, None]}}


def test_summarize_without_lightness_counts_no_images():
    found = scoring.summarize({"mae": np.array([0.5, 0.25])}, FAST)
    assert found["count"] == 0
    assert found["mae"] == pytest.approx(0.375)


def test_score_summarizes_the_images_with_every_option():
    dataset, lightness, ab = _dataset()
    steps, batches = [], []

    found = scoring.score(_predict, dataset, progress=_Recorder(steps),
                          on_batch=lambda batch, ab_pred: batches.append(batch),
                          names=("mae", "psnr"), bootstrap=FAST)
    expected = _joined_reference(lightness, ab, _predict)
    assert steps == [1, 2, 3] and len(batches) == 3
    assert set(found) == {"count", "mae", "psnr", "psnr_perfect", "ci"}
    assert found["count"] == 8
    for name in ("mae", "psnr"):
        reference = intervals.mean_interval(expected[name], FAST)
        assert found[name] == pytest.approx(reference.value, rel=1e-6)
        assert found["ci"][name] == pytest.approx(reference.bounds, rel=1e-5)
    assert found["psnr_perfect"] == 0


def test_score_of_the_baseline_counts_its_perfect_images():
    dataset, lightness, ab = _dataset(gray=(1, 6))
    found = scoring.score(scoring.no_colour, dataset, bootstrap=FAST)
    expected = _joined_reference(lightness, ab, scoring.no_colour)
    assert found["count"] == 8
    assert found["psnr_perfect"] == 2  # the two gray images are reproduced exactly
    assert found["psnr"] == pytest.approx(expected["psnr"][np.isfinite(expected["psnr"])].mean(),
                                          rel=1e-6)
    for name in ("mae", "ssim", "ciede2000", "colorfulness", "colorfulness_true", "acc_2"):
        reference = intervals.mean_interval(expected[name], FAST)
        assert found[name] == pytest.approx(reference.value, rel=1e-6, abs=1e-9), name
        assert found["ci"][name] == pytest.approx(reference.bounds, rel=1e-5, abs=1e-9), name


def test_score_with_baseline_scores_the_model_and_no_colour_on_the_same_images():
    dataset, lightness, ab = _dataset(sizes=(2, 2), gray=(3,))
    found = scoring.score_with_baseline(_predict, dataset)
    assert set(found) == {"model", "no_colour"}
    for key, predict in (("model", _predict), ("no_colour", scoring.no_colour)):
        expected = _joined_reference(lightness, ab, predict, sizes=(2, 2))
        assert found[key]["count"] == 4
        for name, values in expected.items():
            reference = intervals.mean_interval(values)  # the default bootstrap
            assert found[key][name] == pytest.approx(reference.value, rel=1e-6, abs=1e-9)
            assert found[key]["ci"][name] == pytest.approx(reference.bounds, rel=1e-5,
                                                           abs=1e-9)
    assert found["no_colour"]["psnr_perfect"] == 1
    assert found["model"]["psnr_perfect"] == 0
