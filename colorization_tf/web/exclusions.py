"""Exclusion rules of a study: which participants' answers the headline figures leave out.

Crowd studies (Prolific, MTurk) fix these before any data are seen; here they are flags of
``colorization-web``, stored with the study's config (part of its identity: a server started
with other rules serves a new, empty study) and applied when results are read. Every rule
looks at a participant's *test* trials only (practice trials are not judged):

- ``attention``: share of attention checks answered right below ``min_attention_accuracy``
  (default 0.75). An attention check is a random-hue recolouring that attentive people call
  colorized (Zhang et al. 2016 report 87% caught).
- ``straight_lining``: one answer value on ``max_same_answer_share`` (default 0.9) or more of
  the test trials, judged once at least ``STRAIGHT_LINING_MIN_ANSWERS`` were answered. This
  catches the participant who answers "colorized" to everything in single mode, whom the
  attention checks cannot catch (an obvious fake can only ever have that answer).
- ``fast``: median response time below ``min_median_response_ms`` (default 300 ms): faster
  than a person can look at a photo and decide.

A rule whose data are missing (no attention check answered, no response time) flags nobody.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

RULES = ("attention", "straight_lining", "fast")
STRAIGHT_LINING_MIN_ANSWERS = 10  # fewer: 9 of 10 alike happens by chance 2% of the time


@dataclasses.dataclass(frozen=True)
class ExclusionRules:
    """The thresholds of the three rules (see the module docstring)."""

    min_attention_accuracy: float = 0.75
    max_same_answer_share: float = 0.9
    min_median_response_ms: float = 300.0

    def validate(self) -> None:
        """Raises ValueError naming the flag whose value cannot work."""
        if not 0.0 <= self.min_attention_accuracy <= 1.0:
            raise ValueError(f"--exclude_attention_below={self.min_attention_accuracy}: "
                             "expected a share in [0, 1]")
        if not 0.5 < self.max_same_answer_share <= 1.0:
            raise ValueError(f"--exclude_same_answer_at={self.max_same_answer_share}: "
                             "expected a share in (0.5, 1]")
        if self.min_median_response_ms < 0:
            raise ValueError(f"--exclude_median_rt_below_ms={self.min_median_response_ms}: "
                             "expected >= 0 (0: off)")


def flags(rows: Sequence[Mapping[str, Any]], rules: ExclusionRules) -> dict[str, dict[str, bool]]:
    """``{participant: {rule: failed}}`` for every participant with an answered test trial.
    ``rows`` are answered trials (``participant``, ``practice``, ``attention``, ``answer``,
    ``correct``, ``response_ms``)."""
    tests: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        if not row["practice"]:
            tests.setdefault(row["participant"], []).append(row)
    return {who: _participant_flags(answers, rules) for who, answers in tests.items()}


def _participant_flags(answers: Sequence[Mapping[str, Any]],
                       rules: ExclusionRules) -> dict[str, bool]:
    checks = [int(row["correct"]) for row in answers if row["attention"]]
    attention = bool(checks) and sum(checks) < rules.min_attention_accuracy * len(checks)
    values = Counter(str(row["answer"]) for row in answers)
    straight = (len(answers) >= STRAIGHT_LINING_MIN_ANSWERS
                and max(values.values()) >= rules.max_same_answer_share * len(answers))
    times = [float(row["response_ms"]) for row in answers if row.get("response_ms") is not None]
    fast = bool(times) and statistics.median(times) < rules.min_median_response_ms
    return {"attention": attention, "straight_lining": straight, "fast": fast}


def excluded(participant_flags: Mapping[str, Mapping[str, bool]]) -> set[str]:
    """Participants failing at least one rule."""
    return {who for who, failed in participant_flags.items() if any(failed.values())}


def counts(participant_flags: Mapping[str, Mapping[str, bool]]) -> dict[str, int]:
    """How many participants each rule excludes, and ``any`` (at least one rule)."""
    tally = {rule: sum(bool(failed[rule]) for failed in participant_flags.values())
             for rule in RULES}
    tally["any"] = len(excluded(participant_flags))
    return tally
