"""Temporal smoothing of predicted colour for video, and the flicker it is meant to remove.

A frame-by-frame colorizer predicts each frame's ab on its own, so the colour of a still
wall wobbles from frame to frame: DeOldify's maintainer calls this flicker the fundamental
limit of a model with no notion of time. Here the predicted ab, at model resolution and
before it is joined with the full-resolution lightness, goes through an exponential moving
average over time::

    ema_t = alpha * ema_{t-1} + (1 - alpha) * ab_t        (alpha = 0: off)

A moving average would drag the colours of one shot into the next, so the average restarts
at every scene cut. A cut is detected from the lightness the model saw: both frames are
reduced to small thumbnails (block means, which ignore noise and small motion) and a mean
absolute difference above ``cut_threshold`` is a cut. On the cut frame the output is the raw
prediction of the new shot, exactly.

High alpha leaves colour trails behind fast-moving objects (the average is not motion
compensated); 0.5 to 0.8 removes most flicker with little trailing.

Everything here is numpy on one frame at a time: memory does not grow with the clip.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

DEFAULT_CUT_THRESHOLD = 0.15  # mean |dL| of thumbnails, model units ([-1, 1]): 7.5 L* units
DEFAULT_THUMBNAIL_SIZE = 16


def ema_step(previous: np.ndarray | None, ab: np.ndarray, alpha: float) -> np.ndarray:
    """One step of the exponential moving average; ``previous=None`` starts a new one."""
    ab = np.asarray(ab, np.float32)
    if previous is None or alpha == 0.0:
        return ab.copy()
    return alpha * previous + (1.0 - alpha) * ab


def thumbnail(lightness: np.ndarray, size: int = DEFAULT_THUMBNAIL_SIZE) -> np.ndarray:
    """Block means of a ``[H,W]`` or ``[H,W,1]`` lightness map on a grid of at most
    ``size x size`` blocks (any H, W; blocks differ by at most one pixel)."""
    lightness = np.asarray(lightness, np.float32)
    if lightness.ndim == 3:
        lightness = lightness[..., 0]
    rows = _block_starts(lightness.shape[0], size)
    cols = _block_starts(lightness.shape[1], size)
    sums = np.add.reduceat(np.add.reduceat(lightness, rows, axis=0), cols, axis=1)
    counts = np.outer(np.diff(rows, append=lightness.shape[0]),
                      np.diff(cols, append=lightness.shape[1]))
    return sums / counts


def _block_starts(length: int, blocks: int) -> np.ndarray:
    return np.unique(np.linspace(0, length, min(blocks, length) + 1).astype(int)[:-1])


def lightness_change(previous_thumbnail: np.ndarray, current_thumbnail: np.ndarray) -> float:
    """Mean absolute difference of two thumbnails (the scene-cut statistic)."""
    return float(np.mean(np.abs(current_thumbnail - previous_thumbnail)))


class TemporalSmoother:
    """Exponential moving average of predicted ab over frames, restarted at scene cuts.

    Call it once per frame, in order, with the predicted ab ``[s,s,2]`` and the lightness
    ``[s,s,1]`` the model saw (both in the model's [-1, 1] scaling); it returns the ab to
    use for that frame. ``cut`` tells whether the last frame started a new shot (the first
    frame does).
    """

    def __init__(self, alpha: float = 0.0, cut_threshold: float = DEFAULT_CUT_THRESHOLD,
                 thumbnail_size: int = DEFAULT_THUMBNAIL_SIZE):
        if not 0.0 <= alpha < 1.0:
            raise ValueError(f"temporal smoothing alpha must be in [0, 1), got {alpha}")
        if cut_threshold <= 0.0:
            raise ValueError(f"cut_threshold must be positive, got {cut_threshold}")
        self.alpha = float(alpha)
        self.cut_threshold = float(cut_threshold)
        self.thumbnail_size = int(thumbnail_size)
        self.cut = False
        self.reset()

    def reset(self) -> None:
        """Forgets the past: the next frame starts a new shot."""
        self._average: np.ndarray | None = None
        self._thumbnail: np.ndarray | None = None

    def __call__(self, ab: np.ndarray, lightness: np.ndarray) -> np.ndarray:
        current = thumbnail(lightness, self.thumbnail_size)
        self.cut = self._is_cut(current)
        if self.cut:
            self._average = None
        self._thumbnail = current
        self._average = ema_step(self._average, ab, self.alpha)
        return self._average

    def _is_cut(self, current: np.ndarray) -> bool:
        if self._thumbnail is None or self._thumbnail.shape != current.shape:
            return True
        return lightness_change(self._thumbnail, current) > self.cut_threshold


class FlickerMeter:
    """Streaming flicker: the mean absolute ab change between consecutive frames, over all
    pixels and both channels, without holding the clip. A frame added with ``cut=True``
    starts a new shot: its change from the previous frame is not flicker and is not
    counted."""

    def __init__(self):
        self._previous: np.ndarray | None = None
        self._total = 0.0
        self._count = 0

    def add(self, ab: np.ndarray, cut: bool = False) -> None:
        ab = np.asarray(ab, np.float64)
        if self._previous is not None and not cut and self._previous.shape == ab.shape:
            self._total += float(np.mean(np.abs(ab - self._previous)))
            self._count += 1
        self._previous = ab

    @property
    def value(self) -> float:
        """Mean |delta ab| per frame pair, in the units of the ab given; 0 before two frames."""
        return self._total / self._count if self._count else 0.0


def flicker(ab_sequence: Iterable[np.ndarray]) -> float:
    """Mean absolute ab change between consecutive frames of a sequence of ``[H,W,2]`` maps
    (or a ``[T,H,W,2]`` array), in the units of the input."""
    meter = FlickerMeter()
    for ab in ab_sequence:
        meter.add(ab)
    return meter.value
