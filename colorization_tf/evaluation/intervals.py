"""Confidence intervals of per-image metrics: a seeded bootstrap over the evaluated images
(``scipy.stats.bootstrap``), so every figure in a report comes with its uncertainty and
the same evaluation gives the same interval again.

A metric's figure is the mean of its finite per-image values (PSNR of an image
reproduced exactly is infinite and left out, see ``evaluation.metrics``); its interval is
the bootstrap interval of that mean: BCa up to ``BootstrapConfig.bca_limit`` images, the
percentile interval above it (BCa's jackknife costs O(n^2) and the two agree closely on
large samples). Paired differences between runs live in ``evaluation.paired``; the spread
over training seeds in ``evaluation.seeds``.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import scipy.stats

DEFAULT_RESAMPLES = 2000
BATCH = 100  # resamples drawn at once: bounds memory to BATCH x images floats


@dataclasses.dataclass(frozen=True)
class BootstrapConfig:
    """How intervals are computed: ``resamples`` bootstrap resamples (the evaluate flag
    ``--bootstrap_resamples``), ``confidence`` level, the generator ``seed`` (every
    interval is drawn with a fresh generator from it, so a report is reproducible), and
    the number of images up to which BCa is used."""

    resamples: int = DEFAULT_RESAMPLES
    confidence: float = 0.95
    seed: int = 0
    bca_limit: int = 10_000

    def __post_init__(self):
        if self.resamples < 1:
            raise ValueError(f"--bootstrap_resamples={self.resamples}: expected a positive "
                             "integer (e.g. 2000)")
        if not 0.0 < self.confidence < 1.0:
            raise ValueError(f"confidence={self.confidence}: expected a level in (0, 1)")

    def method(self, count: int) -> str:
        """scipy's bootstrap method for ``count`` images."""
        return "BCa" if count <= self.bca_limit else "percentile"

    def describe(self) -> dict:
        """What metrics.json records about the intervals."""
        return {"resamples": self.resamples, "confidence": self.confidence, "seed": self.seed,
                "method": f"BCa up to {self.bca_limit} images, percentile above"}


@dataclasses.dataclass(frozen=True)
class Estimate:
    """A mean over ``n`` images and its interval (``None`` bounds: fewer than 2 images)."""

    value: float
    low: float | None
    high: float | None
    n: int

    @property
    def bounds(self) -> list[float | None]:
        """``[low, high]``, how metrics.json stores an interval."""
        return [self.low, self.high]

    def contains(self, value: float) -> bool | None:
        """Whether ``value`` lies inside the interval (None without one)."""
        if self.low is None or self.high is None:
            return None
        return self.low <= value <= self.high


def finite(values) -> np.ndarray:
    """The finite entries of ``values`` (any nesting of arrays) as one float64 vector."""
    joined = (np.concatenate([np.ravel(np.asarray(v, np.float64)) for v in values])
              if isinstance(values, (list, tuple)) else np.ravel(np.asarray(values, np.float64)))
    return joined[np.isfinite(joined)]


def finite_mean(values) -> float:
    """Mean of the finite entries of ``values``; ``inf`` when there are none (every image
    reproduced exactly). The one definition of a metric's figure."""
    kept = finite(values)
    return float(kept.mean()) if kept.size else float("inf")


def _mean(sample: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(sample, axis=axis)


def bootstrap_interval(data: tuple[np.ndarray, ...], statistic, config: BootstrapConfig,
                       *, paired: bool = False) -> tuple[float | None, float | None]:
    """``(low, high)`` of ``statistic`` (vectorized over ``axis``) by
    ``scipy.stats.bootstrap`` with a generator seeded from ``config.seed``; a constant
    sample gives the degenerate interval ``(value, value)``, fewer than 2 observations
    ``(None, None)``."""
    count = len(data[0])
    if count < 2:
        return None, None
    if all(np.ptp(d) == 0 for d in data):
        value = float(statistic(*[d[None] for d in data], axis=-1)[0])
        return value, value
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        # BCa on near-constant data gives nan bounds (and warns): the percentile interval
        warnings.simplefilter("ignore", scipy.stats.DegenerateDataWarning)
        low, high = _scipy_interval(data, statistic, config, paired, config.method(count))
        if not (math.isfinite(low) and math.isfinite(high)):
            low, high = _scipy_interval(data, statistic, config, paired, "percentile")
    return low, high


def _scipy_interval(data: tuple[np.ndarray, ...], statistic, config: BootstrapConfig,
                    paired: bool, method: str) -> tuple[float, float]:
    """scipy's bootstrap interval by ``method``, drawn with a generator seeded afresh."""
    found = scipy.stats.bootstrap(
        data, statistic, n_resamples=config.resamples, batch=BATCH, vectorized=True,
        paired=paired, confidence_level=config.confidence, method=method,
        rng=np.random.default_rng(config.seed))
    return float(found.confidence_interval.low), float(found.confidence_interval.high)


def mean_interval(values, config: BootstrapConfig | None = None) -> Estimate:
    """The finite mean of ``values`` (per-image figures) and its bootstrap interval."""
    kept = finite(values)
    if not kept.size:
        return Estimate(float("inf"), None, None, 0)
    low, high = bootstrap_interval((kept,), _mean, config or BootstrapConfig())
    return Estimate(float(kept.mean()), low, high, int(kept.size))
