"""Bootstrap intervals, paired differences and seed spreads: coverage of a known mean at
about the nominal rate, agreement with the t interval on normal data (an independent,
analytic reference), a paired comparison that detects a known shift and calls identical
runs not distinguishable, and properties over generated inputs (hypothesis)."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from colorization_tf.evaluation import intervals, paired, seeds

FAST = intervals.BootstrapConfig(resamples=499)


def test_the_interval_covers_a_known_mean_at_about_the_nominal_rate():
    """400 samples of 40 images from N(0.15, 0.05^2), each with its 95% interval (999
    resamples, seeds fixed): the share that covers 0.15 must lie in [0.91, 0.98]. The
    binomial standard error of a share near 0.95 over 400 trials is 0.011; the band is
    about +-3 of them, a little wider below because the bootstrap is known to undercover
    slightly with 40 observations."""
    config = intervals.BootstrapConfig(resamples=999)
    rng = np.random.default_rng(1234)
    covered = 0
    for _ in range(400):
        found = intervals.mean_interval(rng.normal(0.15, 0.05, 40), config)
        covered += found.contains(0.15)
    assert 0.91 <= covered / 400 <= 0.98
    # a 50% interval covers about half as often: the level is really used
    half = intervals.BootstrapConfig(resamples=999, confidence=0.5)
    rng = np.random.default_rng(1234)
    share = np.mean([intervals.mean_interval(rng.normal(0.15, 0.05, 40), half).contains(0.15)
                     for _ in range(200)])
    assert 0.38 <= share <= 0.62


def test_the_interval_agrees_with_the_t_interval_on_normal_data():
    sample = np.random.default_rng(7).normal(20.0, 3.0, 2000)
    found = intervals.mean_interval(sample)
    low, high = scipy.stats.t.interval(0.95, len(sample) - 1, loc=sample.mean(),
                                       scale=scipy.stats.sem(sample))
    width = high - low
    assert found.value == pytest.approx(sample.mean())
    assert found.low == pytest.approx(low, abs=0.05 * width)
    assert found.high == pytest.approx(high, abs=0.05 * width)
    assert found.n == 2000


def test_the_interval_is_reproducible_and_its_seed_matters():
    sample = np.random.default_rng(3).exponential(1.0, 50)
    first = intervals.mean_interval(sample, FAST)
    assert intervals.mean_interval(sample, FAST) == first
    other = intervals.mean_interval(sample, intervals.BootstrapConfig(resamples=499, seed=1))
    assert other.bounds != first.bounds


def test_infinite_values_are_left_out_and_tiny_samples_have_no_interval():
    assert intervals.finite_mean([np.array([1.0, np.inf]), np.array([3.0])]) == 2.0
    assert intervals.finite_mean([np.inf, np.inf]) == math.inf
    assert intervals.mean_interval([5.0]).bounds == [None, None]
    assert intervals.mean_interval([np.inf]) == intervals.Estimate(math.inf, None, None, 0)
    assert intervals.mean_interval([2.0, 2.0, 2.0]).bounds == [2.0, 2.0]
    with pytest.raises(ValueError, match="--bootstrap_resamples=0"):
        intervals.BootstrapConfig(resamples=0)


def test_bca_gives_way_to_the_percentile_interval_on_large_samples():
    config = intervals.BootstrapConfig(bca_limit=100)
    assert config.method(100) == "BCa" and config.method(101) == "percentile"


# ------------------------------------------------------------------ paired


def test_a_paired_comparison_detects_a_known_shift():
    """Per-image values vary far more between images (sd 0.05) than the shift between
    the two runs (0.01): the runs' own intervals overlap, the paired one excludes 0."""
    rng = np.random.default_rng(0)
    images = rng.normal(0.15, 0.05, 60)
    a = images + rng.normal(0.0, 0.002, 60)
    b = images + 0.01 + rng.normal(0.0, 0.002, 60)
    own_a, own_b = intervals.mean_interval(a, FAST), intervals.mean_interval(b, FAST)
    assert own_a.high > own_b.low  # unpaired, the two would look alike
    found = paired.paired_difference(a, b, "lower", FAST)
    assert found["difference"] == pytest.approx(a.mean() - b.mean())
    assert -0.012 < found["low"] < found["difference"] < found["high"] < -0.006
    assert found["distinguishable"] and found["a_better"] is True
    higher = paired.paired_difference(a, b, "higher", FAST)
    assert higher["distinguishable"] and higher["a_better"] is False
    assert paired.verdict({"a": "x", "b": "y", **found}) == "`x` better"


def test_identical_runs_are_not_distinguishable():
    values = np.random.default_rng(5).normal(25.0, 4.0, 30)
    found = paired.paired_difference(values, values.copy(), "higher", FAST)
    assert found == {"difference": 0.0, "low": 0.0, "high": 0.0, "n": 30,
                     "distinguishable": False, "a_better": None}
    assert paired.verdict({"a": "x", "b": "y", **found}) == paired.NOT_DISTINGUISHABLE
    # two runs that differ only by noise are not distinguishable either
    rng = np.random.default_rng(6)
    noisy = values + rng.normal(0.0, 1.0, 30)
    assert not paired.paired_difference(values, noisy, "higher", FAST)["distinguishable"]


def test_closeness_to_the_ground_truth_compares_distances():
    rng = np.random.default_rng(2)
    truth = rng.normal(30.0, 5.0, 80)
    near = truth + rng.normal(-1.0, 1.0, 80)   # about 1 below the truth's colorfulness
    far = truth * 0.5                          # about 15 below
    found = paired.paired_difference(near, far, "closer", FAST, truth)
    expected = abs(near.mean() - truth.mean()) - abs(far.mean() - truth.mean())
    assert found["difference"] == pytest.approx(expected)
    assert found["distinguishable"] and found["a_better"] is True
    with pytest.raises(ValueError, match="ground truth"):
        paired.paired_difference(near, far, "closer", FAST)
    with pytest.raises(ValueError, match="same images"):
        paired.paired_difference(near, far[:10], "lower", FAST)


def test_only_a_distinguishable_best_is_named():
    rng = np.random.default_rng(9)
    base = rng.normal(0.2, 0.05, 50)
    rows = {"good": base - 0.03, "same_a": base, "same_b": base + rng.normal(0, 0.01, 50)}
    pairs = paired.compare_rows(rows, "lower", FAST)
    assert [(p["a"], p["b"]) for p in pairs] == [("good", "same_a"), ("good", "same_b"),
                                                 ("same_a", "same_b")]
    assert paired.distinguishable_best(list(rows), pairs) == {"good"}
    no_good = paired.compare_rows({k: rows[k] for k in ("same_a", "same_b")}, "lower", FAST)
    assert paired.distinguishable_best(["same_a", "same_b"], no_good) == set()
    assert paired.distinguishable_best(["good"], []) == set()
    # rows scored on other images are not compared, so nothing can be called best
    apart = paired.compare_rows(rows, "lower", FAST, same=lambda a, b: "same_b" not in (a, b))
    assert paired.distinguishable_best(list(rows), apart) == set()


# ------------------------------------------------------------------ seeds


def test_the_seed_spread_of_a_hand_made_evaluation():
    def run(name, mae, ci):
        return {"name": name, "mae": {"train": mae, "val": mae, "test": mae},
                "mae_ci": {"test": ci}, "metrics": {"mae": mae, "psnr": 20.0 + mae}}

    results = {"split": "test", "runs": [run("m", 0.10, [0.09, 0.11]),
                                         run("m-seed1", 0.12, [0.11, 0.13]),
                                         run("m-seed2", 0.14, [0.13, 0.15])]}
    summary = seeds.seed_summary(results, {"m": ["m", "m-seed1", "m-seed2"]})
    test = next(r for r in summary["groups"]["m"]["rows"] if r["label"] == "Test (MAE)")
    assert test["mean"] == pytest.approx(0.12) and test["std"] == pytest.approx(0.02)
    assert (test["min"], test["max"], test["n"]) == (0.10, 0.14, 3)
    assert [s["ci"] for s in test["per_seed"]] == [[0.09, 0.11], [0.11, 0.13], [0.13, 0.15]]
    text = seeds.markdown(summary)
    assert "| Test (MAE) | 0.1200 | 0.0200 | [0.1000, 0.1400] | 0.1000 [0.0900, 0.1100] |" \
        in text
    assert "### `m`: 3 seed(s)" in text


# ------------------------------------------------------------------ properties

samples = hnp.arrays(np.float64, st.integers(2, 40),
                     elements=st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False))


@settings(max_examples=40, deadline=None)
@given(samples)
def test_property_the_interval_lies_within_the_data_and_holds_its_mean(values):
    found = intervals.mean_interval(values, FAST)
    assert found.value == pytest.approx(float(np.mean(values)), abs=1e-9)
    tolerance = 1e-9 * (1.0 + np.abs(values).max())
    assert values.min() - tolerance <= found.low <= found.high <= values.max() + tolerance


@settings(max_examples=30, deadline=None)
@given(samples, st.floats(-100.0, 100.0))
def test_property_shifting_the_data_shifts_the_interval(values, shift):
    """Every resample mean moves by the same amount, so the percentile interval does too.
    (BCa's bias correction counts resample means strictly below the observed one, which
    rounding flips on data with ties, so the property is stated for the percentile
    method.)"""
    percentile = intervals.BootstrapConfig(resamples=499, bca_limit=0)
    before = intervals.mean_interval(values, percentile)
    after = intervals.mean_interval(values + shift, percentile)
    scale = 1e-6 * (1.0 + np.abs(values).max() + abs(shift))
    assert after.low == pytest.approx(before.low + shift, abs=scale)
    assert after.high == pytest.approx(before.high + shift, abs=scale)


@settings(max_examples=30, deadline=None)
@given(samples, st.lists(st.sampled_from([np.inf, -np.inf, np.nan]), max_size=5))
def test_property_non_finite_values_never_change_the_figure(values, bad):
    assert intervals.finite_mean([values, np.array(bad, np.float64)]) == pytest.approx(
        intervals.finite_mean(values))


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.float64, st.integers(3, 30),
                  elements=st.floats(-10.0, 10.0, allow_nan=False)), st.data())
def test_property_swapping_the_runs_negates_the_difference(a, data):
    b = data.draw(hnp.arrays(np.float64, a.shape, elements=st.floats(-10.0, 10.0,
                                                                     allow_nan=False)))
    ab = paired.paired_difference(a, b, "lower", FAST)
    ba = paired.paired_difference(b, a, "lower", FAST)
    assert ab["difference"] == pytest.approx(-ba["difference"], abs=1e-9)
    assert ab["distinguishable"] == ba["distinguishable"]
    if ab["distinguishable"]:
        assert ab["a_better"] != ba["a_better"]
    assert ab["low"] <= ab["difference"] + 1e-9 or not ab["distinguishable"]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=10))
def test_property_the_seed_spread_matches_the_statistics_module(values):
    found = seeds.spread(values)
    assert found["mean"] == pytest.approx(statistics.fmean(values), abs=1e-9)
    assert found["min"] <= found["mean"] + 1e-9 and found["mean"] <= found["max"] + 1e-9
    if len(values) > 1:
        assert found["std"] == pytest.approx(statistics.stdev(values), rel=1e-6, abs=1e-9)
    else:
        assert found["std"] is None
