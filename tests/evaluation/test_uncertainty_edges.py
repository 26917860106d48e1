"""Edges of the uncertainty code (intervals, paired comparisons, seed spreads) that mutation
testing showed unguarded: the interval is scipy's bootstrap with the config's settings
(resamples, level, seed, paired or not) on both of its paths, its memory stays bounded, no
warning of a degenerate sample reaches the caller, the exact ends of every range, and the
seed table's every cell. References: ``scipy.stats.bootstrap`` called directly with a
plain (non-vectorized) statistic, and hand-made examples."""

from __future__ import annotations

import math
import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.stats

from colorization_tf.evaluation import intervals, paired, seeds

ODD = intervals.BootstrapConfig(resamples=137, confidence=0.8, seed=5)


def _scipy(data, statistic, config, method="BCa", paired_=False):
    """The reference: scipy's bootstrap of a plain statistic, one resample at a time."""
    found = scipy.stats.bootstrap(data, statistic, n_resamples=config.resamples,
                                  confidence_level=config.confidence, method=method,
                                  paired=paired_, vectorized=False,
                                  rng=np.random.default_rng(config.seed))
    return float(found.confidence_interval.low), float(found.confidence_interval.high)


def _closeness(a, b, truth):
    return abs(a.mean() - truth.mean()) - abs(b.mean() - truth.mean())


@pytest.fixture
def runs():
    rng = np.random.default_rng(3)
    a = rng.normal(1.0, 1.0, 40)
    return a, a + rng.normal(0.3, 0.5, 40), rng.normal(0.5, 1.0, 40)


# ------------------------------------------------------------------ intervals


def test_the_interval_is_scipys_bootstrap_with_the_configs_settings(runs):
    a, b, _ = runs
    assert intervals.mean_interval(a, ODD).bounds == pytest.approx(
        list(_scipy((a,), np.mean, ODD)), abs=1e-12)
    # two samples: unpaired unless asked (each run resampled on its own)
    unpaired = intervals.bootstrap_interval((a, b), paired._difference, ODD)
    found = scipy.stats.bootstrap((a, b), lambda x, y, axis: x.mean(axis) - y.mean(axis),
                                  n_resamples=137, confidence_level=0.8, vectorized=True,
                                  batch=intervals.BATCH,  # the draws' order, unpaired
                                  rng=np.random.default_rng(5))
    assert unpaired == pytest.approx(tuple(found.confidence_interval), abs=1e-12)
    together = intervals.bootstrap_interval((a, b), paired._difference, ODD, paired=True)
    assert together == pytest.approx(
        _scipy((a, b), lambda x, y: x.mean() - y.mean(), ODD, paired_=True), abs=1e-12)
    # b is a plus noise: pairing removes a's spread, so the paired interval is narrower
    assert together[1] - together[0] < 0.7 * (unpaired[1] - unpaired[0])


def test_a_degenerate_bca_interval_falls_back_to_scipys_percentile_quietly(runs):
    a, _, truth = runs
    data = (a, a.copy(), truth)  # identical runs: every resample's closeness is 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # BCa's nan and scipy's warning stay inside
        found = intervals.bootstrap_interval(data, paired._closeness, ODD, paired=True)
    assert found == _scipy(data, _closeness, ODD, method="percentile", paired_=True)
    assert found == (0.0, 0.0)


def test_the_fallback_honours_the_level_and_the_seed():
    # the truth is 0, a is -1 or 1 and b -0.5 or 0.5 on every image: leaving any one out
    # gives the same closeness |mean(a)| - |mean(b)|, so BCa's acceleration is 0 / 0 (nan
    # bounds), while the resamples' closeness spreads and so do the percentiles
    a, b = np.array([-1.0, 1.0] * 20), np.array([-0.5, -0.5, 0.5, 0.5] * 10)
    data = (a, b, np.zeros_like(a))
    found = []
    for config in (ODD, intervals.BootstrapConfig(resamples=137, confidence=0.8, seed=9),
                   intervals.BootstrapConfig(resamples=61, confidence=0.5, seed=9)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", scipy.stats.DegenerateDataWarning)
            reference = _scipy(data, _closeness, config, method="percentile", paired_=True)
        with np.errstate(invalid="ignore"):
            bca = scipy.stats.bootstrap(data, paired._closeness, n_resamples=config.resamples,
                                        paired=True, vectorized=True,
                                        rng=np.random.default_rng(config.seed))
        assert not math.isfinite(bca.confidence_interval.low)  # the fallback's case
        found.append(intervals.bootstrap_interval(data, paired._closeness, config,
                                                  paired=True))
        assert found[-1] == pytest.approx(reference, abs=1e-12)
        assert found[-1][1] > found[-1][0]
    assert len(set(found)) == 3  # the seed and the level matter


def test_warnings_of_the_callers_own_statistic_still_reach_it():
    def noisy_mean(sample, axis=-1):
        warnings.warn("from the statistic", UserWarning, stacklevel=2)
        return np.mean(sample, axis=axis)

    data = (np.array([0.0, 1.0, 3.0, 4.0, 7.0]),)
    with pytest.warns(UserWarning, match="from the statistic"):
        intervals.bootstrap_interval(data, noisy_mean, ODD)
    degenerate = (np.arange(6.0), np.arange(6.0), np.ones(6))

    def noisy_closeness(a, b, truth, axis=-1):
        warnings.warn("from the statistic", UserWarning, stacklevel=2)
        return paired._closeness(a, b, truth, axis=axis)

    with pytest.warns(UserWarning, match="from the statistic"):
        intervals.bootstrap_interval(degenerate, noisy_closeness, ODD, paired=True)


def test_resamples_are_drawn_in_vectorized_batches_on_both_paths(runs):
    a, b, truth = runs
    calls = []

    def counted(statistic):
        def call(*data, axis=-1):
            calls.append(1)
            return statistic(*data, axis=axis)
        return call

    config = intervals.BootstrapConfig(resamples=1000)
    intervals.bootstrap_interval((a,), counted(intervals._mean), config)
    assert len(calls) < 40  # one call per batch of 100 and the jackknife, not per resample
    calls.clear()
    intervals.bootstrap_interval((a, a.copy(), truth), counted(paired._closeness), config,
                                 paired=True)  # BCa degenerate, then the percentile
    assert 0 < len(calls) < 60


def test_memory_stays_bounded_by_the_batch_on_both_paths():
    """2000 resamples of 5000 images: about 15 MiB in batches of 100, 480 MiB at once."""
    values = np.random.default_rng(0).normal(size=5000)
    tracemalloc.start()
    try:
        intervals.bootstrap_interval((values,), intervals._mean, intervals.BootstrapConfig())
        first = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        intervals.bootstrap_interval((values, values.copy(), values + 1.0), paired._closeness,
                                     intervals.BootstrapConfig(), paired=True)
        second = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert first < 64 * 2**20 and second < 96 * 2**20


def test_a_constant_sample_gives_its_own_statistic_not_just_its_value():
    constant = (np.full(3, 2.0),)
    assert intervals.bootstrap_interval(constant, np.sum, ODD) == (6.0, 6.0)
    assert intervals.bootstrap_interval(constant, intervals._mean, ODD) == (2.0, 2.0)
    # a spread of exactly 1 is no constant
    low, high = intervals.bootstrap_interval((np.array([0.0, 1.0] * 5),), intervals._mean, ODD)
    assert low < 0.5 < high


def test_finite_gives_float64_of_any_nesting_and_scalars():
    assert intervals.finite(3).tolist() == [3.0] and intervals.finite(3).dtype == np.float64
    assert intervals.finite(np.array([1, 2], np.int32)).dtype == np.float64
    assert intervals.finite([np.array([1, 2], np.int32), [np.inf, 4]]).dtype == np.float64
    assert intervals.finite([np.array([1, 2], np.int32), [3]]).dtype == np.float64
    assert intervals.finite([np.array([1, 2], np.int32), [np.inf, 4]]).tolist() == [1, 2, 4]
    assert intervals.finite(np.array([[1.0, np.nan], [2.0, 3.0]])).tolist() == [1, 2, 3]


def test_the_config_accepts_exactly_its_documented_ranges():
    assert intervals.BootstrapConfig(resamples=1).resamples == 1
    with pytest.raises(ValueError, match=r"--bootstrap_resamples=0: expected a positive "
                                         r"integer \(e\.g\. 2000\)"):
        intervals.BootstrapConfig(resamples=0)
    for level in (0.0, 1.0, 1.5, -0.1):
        with pytest.raises(ValueError, match=rf"confidence={level}: expected a level in "
                                             r"\(0, 1\)"):
            intervals.BootstrapConfig(confidence=level)
    assert intervals.BootstrapConfig(confidence=0.999).confidence == 0.999
    assert intervals.BootstrapConfig(resamples=7, confidence=0.9, seed=3,
                                     bca_limit=50).describe() == {
        "resamples": 7, "confidence": 0.9, "seed": 3,
        "method": "BCa up to 50 images, percentile above"}


def test_an_interval_contains_its_own_ends():
    estimate = intervals.Estimate(0.5, 0.25, 0.75, 10)
    assert estimate.contains(0.25) and estimate.contains(0.75) and estimate.contains(0.5)
    assert not estimate.contains(0.2499) and not estimate.contains(0.7501)
    assert intervals.Estimate(0.5, None, None, 1).contains(0.5) is None


# ------------------------------------------------------------------ paired


def test_the_paired_difference_is_scipys_paired_bootstrap(runs):
    a, b, truth = runs
    lower = paired.paired_difference(a, b, "lower", ODD)
    assert [lower["low"], lower["high"]] == pytest.approx(
        list(_scipy((a, b), lambda x, y: x.mean() - y.mean(), ODD, paired_=True)), abs=1e-12)
    closer = paired.paired_difference(a, b, "closer", ODD, truth=truth)
    assert closer["difference"] == pytest.approx(_closeness(a, b, truth), abs=1e-12)
    assert [closer["low"], closer["high"]] == pytest.approx(
        list(_scipy((a, b, truth), _closeness, ODD, paired_=True)), abs=1e-12)


def test_float32_and_integer_values_are_compared_in_float64():
    rng = np.random.default_rng(6)  # a above its truth, b below: the truth's mean counts
    a32, b32, t32 = (rng.normal(mean, 0.3, 40).astype(np.float32) for mean in (1.0, 0.4, 0.7))
    wide = [x.astype(np.float64) for x in (a32, b32, t32)]
    assert paired.paired_difference(a32, b32, "lower", ODD) == \
        paired.paired_difference(wide[0], wide[1], "lower", ODD)
    assert paired.paired_difference(a32, b32, "closer", ODD, truth=t32) == \
        paired.paired_difference(wide[0], wide[1], "closer", ODD, truth=wide[2])
    # integers: float64 means, not integer ones
    assert paired.paired_difference([1, 2], [2, 2], "lower", ODD)["difference"] == -0.5


def test_an_image_missing_from_either_run_or_the_truth_is_left_out_of_both(runs):
    a, b, truth = (x.copy() for x in runs)
    a[0], b[1], truth[2] = np.nan, np.inf, np.nan
    # "lower" reads no truth, so its nan (image 2) counts only for "closer"
    assert paired.paired_difference(a, b, "lower", ODD) == \
        paired.paired_difference(a[2:], b[2:], "lower", ODD)
    assert paired.paired_difference(a, b, "closer", ODD, truth=truth) == \
        paired.paired_difference(a[3:], b[3:], "closer", ODD, truth=truth[3:])


def test_no_image_in_common_and_a_single_image(runs):
    nothing = paired.paired_difference([np.nan, 1.0], [1.0, np.nan], "lower", ODD)
    assert nothing == {"difference": None, "low": None, "high": None, "n": 0,
                       "distinguishable": False, "a_better": None}
    one = paired.paired_difference([3.0], [1.0], "lower", ODD)
    assert one == {"difference": 2.0, "low": None, "high": None, "n": 1,
                   "distinguishable": False, "a_better": None}


def test_the_config_given_is_the_config_used(runs):
    a, b, _ = runs
    first = paired.paired_difference(a, b, "lower", intervals.BootstrapConfig(seed=1))
    again = paired.paired_difference(a, b, "lower", intervals.BootstrapConfig(seed=1))
    other = paired.paired_difference(a, b, "lower", intervals.BootstrapConfig(seed=2))
    assert first == again and first["low"] != other["low"]


def test_better_must_be_one_of_three_words(runs):
    a, b, _ = runs
    with pytest.raises(ValueError, match="better='hihger': expected 'lower', 'higher' or "
                                         "'closer'"):
        paired.paired_difference(a, b, "hihger", ODD)
    with pytest.raises(ValueError, match="^better='closer' needs the ground truth's values$"):
        paired.paired_difference(a, b, "closer", ODD)
    assert paired.paired_difference(a, b, config=ODD) == \
        paired.paired_difference(a, b, "lower", ODD)


def test_higher_is_better_names_the_run_that_is_higher_by_any_margin():
    rng = np.random.default_rng(4)
    base = rng.normal(0.0, 0.1, 60)
    higher = paired.paired_difference(base + 0.5, base, "higher", ODD)
    assert higher["distinguishable"] and higher["a_better"] is True
    assert paired.paired_difference(base, base + 0.5, "higher", ODD)["a_better"] is False
    assert paired.paired_difference(base, base + 0.5, "lower", ODD)["a_better"] is True
    assert paired.paired_difference(base + 0.5, base, "lower", ODD)["a_better"] is False


def test_compare_rows_passes_its_settings_to_every_pair(runs):
    a, b, truth = runs
    c = b + 0.2
    rows = {"x": a, "y": b, "z": c}
    own = {"x": truth, "y": truth + 0.1, "z": truth - 0.1}
    found = paired.compare_rows(rows, "closer", ODD, truth=own)
    expected = [{"a": x, "b": y, **paired.paired_difference(rows[x], rows[y], "closer", ODD,
                                                            own[x])}
                for x, y in (("x", "y"), ("x", "z"), ("y", "z"))]
    assert found == expected
    shared = paired.compare_rows(rows, "closer", ODD, truth=truth)
    assert shared[0] == {"a": "x", "b": "y",
                         **paired.paired_difference(a, b, "closer", ODD, truth)}
    higher = paired.compare_rows(rows, "higher", ODD)
    assert higher[0] == {"a": "x", "b": "y", **paired.paired_difference(a, b, "higher", ODD)}
    asked = []

    def same(first, second):
        asked.append((first, second))
        return (first, second) != ("x", "z")

    assert [(p["a"], p["b"]) for p in paired.compare_rows(rows, "lower", ODD, same=same)] \
        == [("x", "y"), ("y", "z")]
    assert asked == [("x", "y"), ("x", "z"), ("y", "z")]


def test_verdicts_and_the_best_of_two_name_the_second_run_too():
    pair = {"a": "x", "b": "y", "distinguishable": True, "a_better": False}
    assert paired.verdict(pair) == "`y` better"
    assert paired.verdict({**pair, "a_better": True}) == "`x` better"
    assert paired.verdict({**pair, "distinguishable": False}) == paired.NOT_DISTINGUISHABLE
    assert paired.distinguishable_best(["x", "y"], [pair]) == {"y"}
    assert paired.distinguishable_best(["x", "y"], [{**pair, "a_better": True}]) == {"x"}
    assert paired.distinguishable_best(["x"], []) == set()


# ------------------------------------------------------------------ seeds


def test_spread_leaves_out_missing_and_infinite_values():
    assert seeds.spread([None, math.inf, 1.0, 3.0, -math.inf, math.nan]) == {
        "mean": 2.0, "std": math.sqrt(2.0), "min": 1.0, "max": 3.0, "n": 2}
    assert seeds.spread([None, math.inf]) == {"mean": None, "std": None, "min": None,
                                               "max": None, "n": 0}
    assert seeds.spread([4.0]) == {"mean": 4.0, "std": None, "min": 4.0, "max": 4.0, "n": 1}


def _entry(name, scale):
    return {"name": name, "mae": {"train": 0.1 * scale, "val": 0.2 * scale},
            "mae_ci": {"val": [0.19 * scale, 0.21 * scale]},
            "metrics": {"mae": 9.0, "psnr": 20.0 * scale, "psnr_rgb": 25.0 * scale,
                        "ci": {"psnr": [19.0, 21.0], "psnr_rgb": [24.0, 26.0]}},
            "distribution": {"vgg16": {"accuracy": 0.5 * scale, "accuracy_ci": [0.4, 0.6]},
                             "broken": "not scored", "none": {"accuracy": None}}}


def test_each_figure_of_a_run_is_found_with_its_interval():
    figures = seeds._figures(_entry("r", 1.0), "val")
    assert figures == [
        ("Train (MAE)", 0.1, None), ("Validation (MAE)", 0.2, [0.19, 0.21]),
        ("Test (MAE)", None, None),
        ("PSNR (dB) (val)", 20.0, [19.0, 21.0]),
        ("PSNR of the RGB output (val)", 25.0, [24.0, 26.0]),
        ("Accuracy (vgg16 classifier)", 0.5, [0.4, 0.6])]
    assert seeds._figures({"name": "bare"}, "val") == [
        ("Train (MAE)", None, None), ("Validation (MAE)", None, None),
        ("Test (MAE)", None, None)]
    no_ci = _entry("r", 1.0)
    del no_ci["metrics"]["ci"]
    assert ("PSNR of the RGB output (val)", 25.0, None) in seeds._figures(no_ci, "val")


def test_a_seed_summary_skips_absent_methods_and_runs_missing_a_figure():
    fuller, lacking = _entry("m-seed0", 1.0), _entry("m-seed1", 2.0)
    del lacking["metrics"]["psnr_rgb"], lacking["distribution"]
    results = {"split": "val", "runs": [fuller, lacking]}
    summary = seeds.seed_summary(results, {"gone": ["nobody"], "m": ["m-seed0", "m-seed1"]})
    assert list(summary["groups"]) == ["m"]
    rows = {row["label"]: row for row in summary["groups"]["m"]["rows"]}
    assert list(rows)[-2:] == ["PSNR of the RGB output (val)", "Accuracy (vgg16 classifier)"]
    assert rows["PSNR (dB) (val)"]["n"] == 2 and rows["PSNR (dB) (val)"]["mean"] == 30.0
    assert rows["PSNR of the RGB output (val)"]["per_seed"] == [
        {"run": "m-seed0", "value": 25.0, "ci": [24.0, 26.0]}]
    assert rows["Accuracy (vgg16 classifier)"]["n"] == 1


def test_numbers_in_the_seed_table():
    assert [seeds._num(v) for v in (None, math.inf, 10.0, 10.5, 9.99994, -12.345, 0.12345)] \
        == ["-", "inf", "10.00", "10.50", "9.9999", "-12.35", "0.1235"]


def test_the_seed_table_cell_by_cell():
    first, second = _entry("m-seed0", 1.0), _entry("m-seed1", 2.0)
    del second["metrics"]["psnr_rgb"]
    summary = seeds.seed_summary({"split": "val", "runs": [first, second]},
                                 {"m": ["m-seed0", "m-seed1"], "k": ["m-seed1"]})
    summary["groups"]["m"]["rows"][0]["per_seed"].pop(0)  # one seed lacks a figure
    assert seeds.markdown(summary) == "\n".join([
        "## Spread over training seeds",
        "",
        "Each method trained once per seed on the same data; mean and standard deviation "
        "(ddof 1) over the seeds and their range [min, max], then each seed's own value "
        "with its bootstrap interval over the images.",
        "",
        "### `m`: 2 seed(s)",
        "",
        "| Figure | Mean over seeds | Std over seeds | Range | `m-seed0` | `m-seed1` |",
        "|---|---|---|---|---|---|",
        "| Train (MAE) | 0.1500 | 0.0707 | [0.1000, 0.2000] | - | 0.2000 |",
        "| Validation (MAE) | 0.3000 | 0.1414 | [0.2000, 0.4000] | 0.2000 [0.1900, 0.2100] "
        "| 0.4000 [0.3800, 0.4200] |",
        "| Test (MAE) | - | - | [-, -] | - | - |",
        "| PSNR (dB) (val) | 30.00 | 14.14 | [20.00, 40.00] | 20.00 [19.00, 21.00] "
        "| 40.00 [19.00, 21.00] |",
        "| PSNR of the RGB output (val) | 25.00 | - | [25.00, 25.00] | 25.00 [24.00, 26.00] "
        "| - |",
        "| Accuracy (vgg16 classifier) | 0.7500 | 0.3536 | [0.5000, 1.0000] "
        "| 0.5000 [0.4000, 0.6000] | 1.0000 [0.4000, 0.6000] |",
        "",
        "### `k`: 1 seed(s)",
        "",
        "| Figure | Mean over seeds | Std over seeds | Range | `m-seed1` |",
        "|---|---|---|---|---|",
        "| Train (MAE) | 0.2000 | - | [0.2000, 0.2000] | 0.2000 |",
        "| Validation (MAE) | 0.4000 | - | [0.4000, 0.4000] | 0.4000 [0.3800, 0.4200] |",
        "| Test (MAE) | - | - | [-, -] | - |",
        "| PSNR (dB) (val) | 40.00 | - | [40.00, 40.00] | 40.00 [19.00, 21.00] |",
        "| Accuracy (vgg16 classifier) | 1.0000 | - | [1.0000, 1.0000] "
        "| 1.0000 [0.4000, 0.6000] |"])


def test_a_half_missing_interval_is_not_printed():
    summary = {"groups": {"m": {"runs": ["r"], "rows": [
        {"label": "x", "mean": 1.0, "std": None, "min": 1.0, "max": 1.0, "n": 1,
         "per_seed": [{"run": "r", "value": 1.0, "ci": [None, None]}]}]}}}
    assert seeds.markdown(summary).endswith("| x | 1.0000 | - | [1.0000, 1.0000] | 1.0000 |")
