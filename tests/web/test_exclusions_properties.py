"""Exclusion rules (web/exclusions.py) against a reference written from the module's
docstring, over generated studies (hypothesis), plus each rule's boundary: attention below
(not at) the share, straight-lining at (not below) the share once 10 test answers exist,
a median response time below (not at) the limit; practice trials never judged."""

from __future__ import annotations

import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from colorization_tf.web import exclusions
from colorization_tf.web.exclusions import ExclusionRules

ANSWERS = ("real", "colorized", "left", "right")

rows_strategy = st.lists(st.fixed_dictionaries({
    "participant": st.sampled_from(["p1", "p2", "p3", "p4"]),
    "practice": st.booleans(),
    "attention": st.booleans(),
    "answer": st.sampled_from(ANSWERS),
    "correct": st.sampled_from([0, 1, True, False]),
    "response_ms": st.one_of(st.none(), st.floats(0, 2000, allow_nan=False)),
}), max_size=60)

# shares exact in binary, so share * count is exact and the reference's division agrees
rules_strategy = st.builds(
    ExclusionRules,
    min_attention_accuracy=st.sampled_from([0.0, 0.5, 0.75, 1.0]),
    max_same_answer_share=st.sampled_from([0.625, 0.875, 1.0]),
    min_median_response_ms=st.sampled_from([0.0, 300.0, 1000.0]))


def _reference(rows, rules: ExclusionRules) -> dict[str, dict[str, bool]]:
    """The rules as the docstring states them, written independently."""
    result = {}
    for who in sorted({row["participant"] for row in rows if not row["practice"]}):
        mine = [row for row in rows if row["participant"] == who and not row["practice"]]
        checks = [bool(row["correct"]) for row in mine if row["attention"]]
        attention = len(checks) > 0 and sum(checks) / len(checks) < rules.min_attention_accuracy
        most = max(sum(1 for row in mine if row["answer"] == value) for value in ANSWERS)
        straight = len(mine) >= 10 and most / len(mine) >= rules.max_same_answer_share
        times = [row["response_ms"] for row in mine if row["response_ms"] is not None]
        fast = len(times) > 0 and statistics.median(times) < rules.min_median_response_ms
        result[who] = {"attention": attention, "straight_lining": straight, "fast": fast}
    return result


@given(rows=rows_strategy, rules=rules_strategy)
def test_flags_follow_the_documented_rules(rows, rules):
    got = exclusions.flags(rows, rules)
    want = _reference(rows, rules)
    assert got == want
    assert exclusions.excluded(got) == {who for who, f in want.items() if any(f.values())}
    tally = exclusions.counts(got)
    assert tally == {**{rule: sum(f[rule] for f in want.values()) for rule in exclusions.RULES},
                     "any": len(exclusions.excluded(got))}


def _row(answer="real", correct=1, attention=False, practice=False, response_ms=1000.0,
         who="p"):
    return {"participant": who, "practice": practice, "attention": attention,
            "answer": answer, "correct": correct, "response_ms": response_ms}


def test_attention_flags_below_the_share_not_at_it():
    rules = ExclusionRules()
    at = [_row(attention=True, correct=c) for c in (1, 1, 1, 0)]  # 0.75 exactly
    below = [_row(attention=True, correct=c) for c in (1, 1, 0, 0)]
    assert exclusions.flags(at, rules)["p"]["attention"] is False
    assert exclusions.flags(below, rules)["p"]["attention"] is True
    assert exclusions.flags([_row()], rules)["p"]["attention"] is False  # no checks: nobody


def test_straight_lining_needs_ten_answers_and_the_share():
    rules = ExclusionRules()
    nine_alike = [_row("real")] * 9 + [_row("colorized")]  # 0.9 of 10: flagged
    eight_alike = [_row("real")] * 8 + [_row("colorized")] * 2
    nine_answers = [_row("real")] * 9
    assert exclusions.flags(nine_alike, rules)["p"]["straight_lining"] is True
    assert exclusions.flags(eight_alike, rules)["p"]["straight_lining"] is False
    assert exclusions.flags(nine_answers, rules)["p"]["straight_lining"] is False
    assert exclusions.STRAIGHT_LINING_MIN_ANSWERS == 10


def test_fast_flags_a_median_below_the_limit_and_ignores_missing_times():
    rules = ExclusionRules()
    at = [_row(response_ms=t) for t in (100.0, 300.0, 900.0)]
    below = [_row(response_ms=t) for t in (100.0, 299.0, 900.0, None)]
    assert exclusions.flags(at, rules)["p"]["fast"] is False
    assert exclusions.flags(below, rules)["p"]["fast"] is True
    assert exclusions.flags([_row(response_ms=None)], rules)["p"]["fast"] is False


def test_practice_trials_are_never_judged():
    practice = [_row(practice=True, attention=True, correct=0, response_ms=1.0)] * 12
    assert exclusions.flags(practice, ExclusionRules()) == {}
    mixed = practice + [_row(who="p")]
    assert exclusions.flags(mixed, ExclusionRules()) == {
        "p": {"attention": False, "straight_lining": False, "fast": False}}


def test_counts_and_excluded():
    flagged = {"a": {"attention": True, "straight_lining": True, "fast": False},
               "b": {"attention": False, "straight_lining": False, "fast": True},
               "c": {"attention": False, "straight_lining": False, "fast": False}}
    assert exclusions.excluded(flagged) == {"a", "b"}
    assert exclusions.counts(flagged) == {"attention": 1, "straight_lining": 1, "fast": 1,
                                          "any": 2}


def test_defaults_are_the_documented_ones():
    assert ExclusionRules() == ExclusionRules(0.75, 0.9, 300.0)
    ExclusionRules(0.0, 1.0, 0.0).validate()
    ExclusionRules(1.0, 0.51, 5000.0).validate()


@pytest.mark.parametrize("rules, message", [
    (ExclusionRules(min_attention_accuracy=1.5),
     "--exclude_attention_below=1.5: expected a share in [0, 1]"),
    (ExclusionRules(min_attention_accuracy=-0.1),
     "--exclude_attention_below=-0.1: expected a share in [0, 1]"),
    (ExclusionRules(max_same_answer_share=0.5),
     "--exclude_same_answer_at=0.5: expected a share in (0.5, 1]"),
    (ExclusionRules(max_same_answer_share=1.01),
     "--exclude_same_answer_at=1.01: expected a share in (0.5, 1]"),
    (ExclusionRules(min_median_response_ms=-1.0),
     "--exclude_median_rt_below_ms=-1.0: expected >= 0 (0: off)"),
])
def test_validate_names_the_flag(rules, message):
    with pytest.raises(ValueError) as error:
        rules.validate()
    assert str(error.value) == message
