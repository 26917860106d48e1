"""Temporal smoothing of predicted colour for video, and the flicker it is meant to remove.

A frame-by-frame colorizer predicts each frame's ab on its own, so the colour of a still
wall wobbles from frame to frame: DeOldify's maintainer calls this flicker the fundamental
limit of a model with no notion of time. Here the predicted ab, at model resolution and
before it is joined with the full-resolution lightness, goes through a moving average over
time, in one of two modes:

``ema``: an exponential moving average at each pixel::

    s_t = alpha * s_{t-1} + (1 - alpha) * ab_t        (alpha = 0: off)

It removes flicker on still shots, but it is not motion compensated: a panning camera or a
walking person leaves colour trails, longer the higher alpha.

``flow`` (motion compensated, the default): optical flow from the current frame's lightness
to the previous frame's (:mod:`optical_flow`, OpenCV DIS) carries the previous average
along with the picture before it is blended in, with a per-pixel confidence ``c`` in
[0, 1] that drops to 0 where the warp cannot be trusted (content entering at a border,
occlusions and disocclusions found by forward-backward consistency, lightness that does not
match after warping)::

    s_t = alpha * c * warp(s_{t-1}) + (1 - alpha * c) * ab_t

On a still shot ``c`` = 1 and the flow is zero: the same average as ``ema``. Where an
object moves, its colour moves with it instead of smearing, and newly uncovered background
starts from the raw prediction.

A moving average would drag the colours of one shot into the next, so the average restarts
at every scene cut (both modes). A cut is detected from the lightness the model saw: both
frames are reduced to small thumbnails (block means, which ignore noise and small motion)
and a mean absolute difference above ``cut_threshold`` is a cut. On the cut frame the
output is the raw prediction of the new shot, exactly.

Everything here works on one frame at a time at the model's resolution and keeps one
previous frame (its average, lightness and thumbnail): memory does not grow with the clip.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable

import numpy as np

from colorization_tf.inference import optical_flow

DEFAULT_CUT_THRESHOLD = 0.15  # mean |dL| of thumbnails, model units ([-1, 1]): 7.5 L* units
DEFAULT_THUMBNAIL_SIZE = 16


def ema_step(previous: np.ndarray | None, ab: np.ndarray, alpha: float) -> np.ndarray:
    """One step of the exponential moving average (float32); ``previous=None`` starts a
    new one."""
    ab = np.asarray(ab, np.float32)
    if previous is None or alpha == 0.0:
        return ab.copy()
    return alpha * np.asarray(previous, np.float32) + (1.0 - alpha) * ab


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


MODES = ("flow", "ema")
DEFAULT_MODE = "flow"  # measured: benchmarks/video_consistency.py (docs/colorize.md)


class TemporalSmoother:
    """Moving average of predicted ab over frames, motion compensated or not (``mode``:
    ``"flow"`` or ``"ema"``), restarted at scene cuts.

    Call it once per frame, in order, with the predicted ab ``[s,s,2]`` and the lightness
    ``[s,s,1]`` the model saw (both in the model's [-1, 1] scaling); it returns the ab to
    use for that frame. ``cut`` tells whether the last frame started a new shot (the first
    frame does); in flow mode ``confidence`` is the last frame's ``[s,s]`` warp confidence
    (None on a cut, and always in ema mode). The ab returned is float32. Flow mode needs
    OpenCV (:class:`optical_flow.OpenCVMissing` if it is missing; :func:`create` falls
    back to ``ema`` instead). With ``alpha`` = 0 no flow is computed.
    """

    def __init__(self, alpha: float = 0.0, cut_threshold: float = DEFAULT_CUT_THRESHOLD,
                 thumbnail_size: int = DEFAULT_THUMBNAIL_SIZE, mode: str = "ema",
                 flow_config: optical_flow.FlowConfig | None = None):
        if not 0.0 <= alpha < 1.0:
            raise ValueError(f"temporal smoothing alpha must be in [0, 1), got {alpha}")
        if cut_threshold <= 0.0:
            raise ValueError(f"cut_threshold must be positive, got {cut_threshold}")
        if mode not in MODES:
            raise ValueError(f"temporal mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.alpha = float(alpha)
        self.cut_threshold = float(cut_threshold)
        self.thumbnail_size = int(thumbnail_size)
        self.mode = mode
        self._flow = (optical_flow.FlowEstimator(flow_config)
                      if mode == "flow" and self.alpha > 0 else None)
        self.cut = False
        self.confidence: np.ndarray | None = None
        self.reset()

    def reset(self) -> None:
        """Forgets the past: the next frame starts a new shot."""
        self._average: np.ndarray | None = None
        self._thumbnail: np.ndarray | None = None
        self._lightness: np.ndarray | None = None

    def state_bytes(self) -> int:
        """Bytes held between frames (constant over a clip: one frame's worth)."""
        held = (self._average, self._thumbnail, self._lightness)
        return sum(array.nbytes for array in held if array is not None)

    def __call__(self, ab: np.ndarray, lightness: np.ndarray) -> np.ndarray:
        current = thumbnail(lightness, self.thumbnail_size)
        self.cut = self._is_cut(current)
        if self.cut:
            self._average = None
        self._thumbnail = current
        if self._flow is None:
            self._average = ema_step(self._average, ab, self.alpha)
            return self._average
        self._average = self._compensated_step(np.asarray(ab, np.float32),
                                               optical_flow.lightness_u8(lightness))
        return self._average

    def _compensated_step(self, ab: np.ndarray, lightness: np.ndarray) -> np.ndarray:
        previous, self._lightness = self._lightness, lightness
        if self._average is None or previous is None or previous.shape != lightness.shape:
            self.confidence = None
            return ab.copy()
        backward = self._flow(lightness, previous)  # current -> previous frame
        forward = self._flow(previous, lightness)
        self.confidence = optical_flow.confidence(
            _model_units(lightness), _model_units(previous), backward, forward,
            self._flow.config)
        weight = (self.alpha * self.confidence)[..., None]
        warped = optical_flow.warp(self._average, backward)
        return (weight * warped + (1.0 - weight) * ab).astype(np.float32)

    def _is_cut(self, current: np.ndarray) -> bool:
        if self._thumbnail is None or self._thumbnail.shape != current.shape:
            return True
        return lightness_change(self._thumbnail, current) > self.cut_threshold


def _model_units(lightness_u8: np.ndarray) -> np.ndarray:
    return lightness_u8.astype(np.float32) / 127.5 - 1.0


def create(alpha: float, mode: str = DEFAULT_MODE,
           cut_threshold: float = DEFAULT_CUT_THRESHOLD,
           note: Callable[[str], None] | None = None) -> TemporalSmoother:
    """The smoother ``colorize`` uses: ``mode`` as asked, except that flow mode without
    OpenCV falls back to ``ema`` and says so once, in one line, through ``note`` (default:
    stderr)."""
    try:
        return TemporalSmoother(alpha, cut_threshold=cut_threshold, mode=mode)
    except optical_flow.OpenCVMissing as err:
        (note or _note_once)(f"--temporal_mode=flow: {err}; smoothing without motion "
                             "compensation (ema) instead")
        return TemporalSmoother(alpha, cut_threshold=cut_threshold, mode="ema")


@functools.lru_cache(maxsize=4)
def _note_once(message: str) -> None:
    print(message, file=sys.stderr)


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
