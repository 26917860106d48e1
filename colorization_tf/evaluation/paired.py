"""Paired comparisons: for two runs scored on the same images, the difference of a metric
with its paired-bootstrap interval (the same images resampled for both runs), and which
best value a report may bold.

A difference is ``a - b`` of the two means over the images where both values are finite;
for a metric whose best value is the one closest to the ground truth's (colorfulness) it
is ``|a - truth| - |b - truth|`` of the means, so negative always means "a is closer".
A pair whose interval contains 0 is "not distinguishable on these images": neither run
is called better, and no best value is bolded on its strength.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from colorization_tf.evaluation.intervals import BootstrapConfig, bootstrap_interval

NOT_DISTINGUISHABLE = "not distinguishable on these images"
BETTER = ("lower", "higher", "closer")


def _difference(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(a, axis=axis) - np.mean(b, axis=axis)


def _closeness(a: np.ndarray, b: np.ndarray, truth: np.ndarray, axis: int = -1) -> np.ndarray:
    target = np.mean(truth, axis=axis)
    return np.abs(np.mean(a, axis=axis) - target) - np.abs(np.mean(b, axis=axis) - target)


def paired_difference(a, b, better: str = "lower", config: BootstrapConfig | None = None,
                      truth=None) -> dict:
    """``{"difference", "low", "high", "n", "distinguishable", "a_better"}`` of per-image
    values ``a`` and ``b`` of the same images (equal length, image i in both): the paired
    bootstrap interval of the difference (module docstring). ``better`` is "lower",
    "higher" or "closer" (to ``truth``, the ground truth's per-image values).
    ``a_better`` is None when the two are not distinguishable."""
    if better not in BETTER:
        raise ValueError(f"better={better!r}: expected 'lower', 'higher' or 'closer'")
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"paired values must cover the same images: {a.size} vs {b.size}")
    config = config or BootstrapConfig()
    if better == "closer":
        if truth is None:
            raise ValueError("better='closer' needs the ground truth's values")
        truth = np.asarray(truth, np.float64).ravel()
        keep = np.isfinite(a) & np.isfinite(b) & np.isfinite(truth)
        data, statistic = (a[keep], b[keep], truth[keep]), _closeness
    else:
        keep = np.isfinite(a) & np.isfinite(b)
        data, statistic = (a[keep], b[keep]), _difference
    count = int(keep.sum())
    if count == 0:
        return {"difference": None, "low": None, "high": None, "n": 0,
                "distinguishable": False, "a_better": None}
    difference = float(statistic(*[d[None] for d in data])[0])
    low, high = bootstrap_interval(data, statistic, config, paired=True)
    distinguishable = low is not None and (low > 0.0 or high < 0.0)
    a_better = None
    if distinguishable:
        a_better = difference > 0.0 if better == "higher" else difference < 0.0
    return {"difference": difference, "low": low, "high": high, "n": count,
            "distinguishable": bool(distinguishable), "a_better": a_better}


def compare_rows(rows: dict[str, np.ndarray], better: str,
                 config: BootstrapConfig | None = None, truth=None,
                 same: Callable[[str, str], bool] | None = None) -> list[dict]:
    """Every pair ``(a, b)`` of ``rows`` (name -> per-image values, in report order) whose
    images are the same (``same(a, b)``, default: equal counts): the paired difference of
    each, with the two names. ``truth`` (for "closer") is one array for every row or a
    dict of each row's own."""
    out = []
    for a, b in itertools.combinations(rows, 2):
        if (same(a, b) if same else len(rows[a]) == len(rows[b])):
            own = truth.get(a) if isinstance(truth, dict) else truth
            out.append({"a": a, "b": b, **paired_difference(rows[a], rows[b], better, config,
                                                            own)})
    return out


def verdict(pair: dict) -> str:
    """"`a` better", "`b` better" or ``NOT_DISTINGUISHABLE``."""
    if not pair.get("distinguishable"):
        return NOT_DISTINGUISHABLE
    return f"`{pair['a'] if pair['a_better'] else pair['b']}` better"


def distinguishable_best(names: list[str], pairs: list[dict]) -> set[str]:
    """The row of ``names`` that is distinguishably better than every other row (a paired
    comparison with each, all in its favour), as a one-element set; empty when there is no
    such row, when a pair was not compared (other images), or with a single row."""
    if len(names) < 2:
        return set()
    wins: dict[str, int] = dict.fromkeys(names, 0)
    for pair in pairs:
        if pair["a"] in wins and pair["b"] in wins and pair.get("distinguishable"):
            wins[pair["a"] if pair["a_better"] else pair["b"]] += 1
    return {name for name, count in wins.items() if count == len(names) - 1}
