"""The study's statistics: per-group shares of correct judgements with Wilson intervals.

Per run, ``shown`` test judgements of its colorizations, ``accuracy`` (share of correct
judgements: the primary paper's Turing column, lower is better), ``fooled_rate``
(1 - accuracy: Zhang et al.'s figure) and a Wilson 95% interval ``ci_low``-``ci_high`` on
the accuracy (the fooled rate's interval is ``1 - ci_high`` .. ``1 - ci_low``). Practice
trials and attention checks never count. Standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

Z_95 = 1.959963984540054  # the 97.5% quantile of the standard normal


def wilson_interval(correct: int, shown: int, z: float = Z_95) -> tuple[float, float] | None:
    """Wilson score interval for a binomial share ``correct / shown`` (95% by default);
    None when nothing was shown. Unlike the normal interval it stays inside [0, 1] and is
    sensible for shares near 0 or 1 and small counts."""
    if shown <= 0:
        return None
    share = correct / shown
    z2 = z * z
    denominator = 1.0 + z2 / shown
    centre = (share + z2 / (2 * shown)) / denominator
    half = z / denominator * math.sqrt(share * (1 - share) / shown + z2 / (4 * shown * shown))
    return max(0.0, centre - half), min(1.0, centre + half)


def share_figures(correct: int, shown: int) -> dict[str, Any]:
    """``{"shown", "accuracy", "fooled_rate", "ci_low", "ci_high"}`` of one group (None
    figures when nothing was shown)."""
    if shown <= 0:
        return {"shown": 0, "accuracy": None, "fooled_rate": None, "ci_low": None,
                "ci_high": None}
    low, high = wilson_interval(correct, shown)
    accuracy = correct / shown
    return {"shown": shown, "accuracy": accuracy, "fooled_rate": 1.0 - accuracy,
            "ci_low": low, "ci_high": high}


def figures(rows: Sequence[Mapping[str, Any]], runs: Sequence[str],
            left_out: set[str] = frozenset()) -> dict[str, Any]:
    """``{"runs": {run: share_figures}, "originals": share_figures}`` of the test trials
    (attention checks aside) of participants not in ``left_out``. ``rows`` are answered
    trials (``participant``, ``practice``, ``attention``, ``run``, ``correct``)."""
    tallies = {name: [0, 0] for name in runs}
    originals = [0, 0]
    for row in rows:
        if row["practice"] or row["attention"] or row["participant"] in left_out:
            continue
        counts = originals if row["run"] is None else tallies.get(row["run"])
        if counts is not None:
            counts[0] += int(row["correct"])
            counts[1] += 1
    return {"runs": {name: share_figures(*tallies[name]) for name in runs},
            "originals": share_figures(*originals)}
