"""The study's statistics, checked directly against independent references: the Wilson
score interval from scipy (``binomtest(...).proportion_ci(method="wilson")``), the same
interval as the roots of its defining quadratic, textbook closed forms at 0 and n
successes, and hand-counted tallies of answered trials."""

from __future__ import annotations

import math

import pytest
import scipy.stats

from colorization_tf.web import statistics


def _wilson_by_quadratic(correct: int, shown: int, z: float) -> tuple[float, float]:
    """The Wilson interval from its definition: the shares p with
    (p_hat - p)^2 = z^2 p (1 - p) / n, i.e. the roots of
    (n + z^2) p^2 - (2 n p_hat + z^2) p + n p_hat^2 = 0."""
    p_hat = correct / shown
    a = shown + z * z
    b = -(2 * shown * p_hat + z * z)
    c = shown * p_hat * p_hat
    root = math.sqrt(b * b - 4 * a * c)
    return (-b - root) / (2 * a), (-b + root) / (2 * a)


def _scipy_wilson(correct: int, shown: int, confidence: float = 0.95) -> tuple[float, float]:
    found = scipy.stats.binomtest(correct, shown).proportion_ci(
        confidence_level=confidence, method="wilson")
    return float(found.low), float(found.high)


def test_z_95_is_the_975_percent_normal_quantile():
    assert statistics.Z_95 == pytest.approx(scipy.stats.norm.ppf(0.975), rel=1e-15, abs=0)


@pytest.mark.parametrize("correct, shown", [(3, 10), (1, 3), (7, 9), (50, 100), (1, 1),
                                            (12, 40), (99, 250), (2, 5)])
def test_wilson_interval_matches_scipy_and_the_defining_quadratic(correct, shown):
    low, high = statistics.wilson_interval(correct, shown)
    ref_low, ref_high = _scipy_wilson(correct, shown)
    assert low == pytest.approx(ref_low, rel=1e-12, abs=1e-15)
    assert high == pytest.approx(ref_high, rel=1e-12, abs=1e-15)
    quad_low, quad_high = _wilson_by_quadratic(correct, shown, statistics.Z_95)
    assert (low, high) == pytest.approx((quad_low, quad_high), rel=1e-9)
    assert low < correct / shown < high or correct in (0, shown)


def test_wilson_interval_of_another_level_uses_its_z():
    z_90 = float(scipy.stats.norm.ppf(0.95))
    low, high = statistics.wilson_interval(4, 11, z=z_90)
    assert (low, high) == pytest.approx(_scipy_wilson(4, 11, 0.90), rel=1e-12)
    wide = statistics.wilson_interval(4, 11)
    assert wide[0] < low and high < wide[1]  # 95% is wider than 90%


def test_wilson_interval_at_no_or_every_success_has_its_closed_form():
    """0 of n: [0, z^2 / (n + z^2)]; n of n: [n / (n + z^2), 1] (the textbook forms)."""
    z2 = statistics.Z_95 ** 2
    for shown in (1, 2, 10, 16, 27, 40):
        low, high = statistics.wilson_interval(0, shown)
        assert low == pytest.approx(0.0, abs=1e-15)
        assert high == pytest.approx(z2 / (shown + z2), rel=1e-12)
        low, high = statistics.wilson_interval(shown, shown)
        assert low == pytest.approx(shown / (shown + z2), rel=1e-12)
        assert high == pytest.approx(1.0, abs=1e-15)
    assert statistics.wilson_interval(0, 10)[1] == pytest.approx(0.27753, abs=1e-5)


def test_wilson_interval_stays_inside_zero_one_where_rounding_would_leave_it():
    # at these counts centre -/+ half rounds to just below 0 / just above 1 in float64
    assert statistics.wilson_interval(0, 27)[0] == 0.0
    assert statistics.wilson_interval(16, 16)[1] == 1.0
    for shown in range(1, 120):
        for correct in (0, 1, shown - 1, shown):
            if 0 <= correct <= shown:
                low, high = statistics.wilson_interval(correct, shown)
                assert 0.0 <= low <= high <= 1.0
                assert low - 1e-15 <= correct / shown <= high + 1e-15


def test_wilson_interval_of_nothing_shown_is_none():
    assert statistics.wilson_interval(0, 0) is None
    assert statistics.wilson_interval(0, -1) is None


def test_share_figures_of_one_group():
    found = statistics.share_figures(3, 10)
    low, high = _scipy_wilson(3, 10)
    assert set(found) == {"shown", "accuracy", "fooled_rate", "ci_low", "ci_high"}
    assert found["shown"] == 10
    assert found["accuracy"] == pytest.approx(0.3, abs=1e-15)
    assert found["fooled_rate"] == pytest.approx(0.7, abs=1e-15)
    assert found["ci_low"] == pytest.approx(low, rel=1e-12)
    assert found["ci_high"] == pytest.approx(high, rel=1e-12)


def test_share_figures_of_a_single_trial():
    found = statistics.share_figures(1, 1)
    z2 = statistics.Z_95 ** 2
    assert found["shown"] == 1
    assert found["accuracy"] == 1.0
    assert found["fooled_rate"] == 0.0
    assert found["ci_low"] == pytest.approx(1 / (1 + z2), rel=1e-12)
    assert found["ci_high"] == pytest.approx(1.0, abs=1e-15)


def test_share_figures_of_nothing_shown_are_none():
    empty = {"shown": 0, "accuracy": None, "fooled_rate": None, "ci_low": None,
             "ci_high": None}
    assert statistics.share_figures(0, 0) == empty
    assert statistics.share_figures(0, -3) == empty


def _row(participant, run, correct, practice=False, attention=False):
    return {"participant": participant, "practice": practice, "attention": attention,
            "run": run, "correct": correct}


def test_figures_count_only_test_trials_of_included_participants():
    rows = [
        _row("p1", "run_a", 1), _row("p1", "run_a", 0), _row("p1", "run_b", 1),
        _row("p1", None, 1),
        _row("p2", "run_a", True), _row("p2", "run_b", False), _row("p2", None, 0),
        _row("p2", "run_a", 1, practice=True),  # practice: never counts
        _row("p2", "run_b", 0, attention=True),  # attention check: never counts
        _row("p2", None, 1, practice=True, attention=True),
        _row("p3", "run_a", 0), _row("p3", None, 0),  # left out below
        _row("p1", "run_x", 1),  # a run not asked for: ignored
    ]
    found = statistics.figures(rows, ["run_b", "run_a", "run_c"], left_out={"p3"})
    # hand counts: run_a 2 of 3 (p1: 1, 0; p2: 1), run_b 1 of 2, originals 1 of 2
    assert list(found["runs"]) == ["run_b", "run_a", "run_c"]
    assert found["runs"]["run_a"] == statistics.share_figures(2, 3)
    assert found["runs"]["run_a"]["shown"] == 3
    assert found["runs"]["run_a"]["accuracy"] == pytest.approx(2 / 3)
    assert found["runs"]["run_b"]["shown"] == 2
    assert found["runs"]["run_b"]["accuracy"] == pytest.approx(1 / 2)
    assert found["runs"]["run_c"] == statistics.share_figures(0, 0)
    assert found["originals"]["shown"] == 2
    assert found["originals"]["accuracy"] == pytest.approx(1 / 2)
    assert set(found) == {"runs", "originals"}


def test_figures_without_left_out_count_everyone():
    rows = [_row("p1", "run_a", 1), _row("p2", "run_a", 1), _row("p3", "run_a", 0),
            _row("p3", None, 1)]
    found = statistics.figures(rows, ["run_a"])
    assert found["runs"]["run_a"]["shown"] == 3
    assert found["runs"]["run_a"]["accuracy"] == pytest.approx(2 / 3)
    low, high = _scipy_wilson(2, 3)
    assert found["runs"]["run_a"]["ci_low"] == pytest.approx(low, rel=1e-12)
    assert found["runs"]["run_a"]["ci_high"] == pytest.approx(high, rel=1e-12)
    assert found["originals"]["shown"] == 1
    assert found["originals"]["accuracy"] == 1.0


@pytest.mark.parametrize("practice, attention, left", [(True, False, False),
                                                       (False, True, False),
                                                       (False, False, True)])
def test_figures_drop_a_trial_for_each_reason_alone(practice, attention, left):
    rows = [_row("p1", "run_a", 1), _row("p2", "run_a", 0, practice, attention),
            _row("p2", None, 0, practice, attention)]
    found = statistics.figures(rows, ["run_a"], left_out={"p2"} if left else set())
    assert found["runs"]["run_a"]["shown"] == 1
    assert found["runs"]["run_a"]["accuracy"] == 1.0
    assert found["originals"]["shown"] == 0


def test_figures_count_the_trials_after_a_dropped_one():
    rows = [_row("p1", "run_a", 1, practice=True), _row("p2", "run_a", 0),
            _row("p1", "run_a", 1, attention=True), _row("p3", None, 1),
            _row("gone", "run_a", 1), _row("p2", "run_a", 1)]
    found = statistics.figures(rows, ["run_a"], left_out={"gone"})
    assert found["runs"]["run_a"]["shown"] == 2  # p2's two test trials
    assert found["runs"]["run_a"]["accuracy"] == pytest.approx(1 / 2)
    assert found["originals"]["shown"] == 1


def test_figures_of_no_rows():
    found = statistics.figures([], ["run_a"])
    assert found == {"runs": {"run_a": statistics.share_figures(0, 0)},
                     "originals": statistics.share_figures(0, 0)}
