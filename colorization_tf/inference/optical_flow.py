"""Optical flow between consecutive frames, warping along it, and how far a warp can be
trusted: the motion-compensation step of video smoothing (:mod:`temporal`).

Flow comes from OpenCV's DIS optical flow (Kroeger et al., ECCV 2016, "Fast Optical Flow
using Dense Inverse Search"), computed on the lightness the model saw, at the model's
resolution (shrunk to at most ``FlowConfig.max_size``, 256 px, above it): a few
milliseconds a frame pair on a CPU at 128x128, no weights, no GPU.
OpenCV is an optional extra (``pip install "colorization_tf[video]"``) imported on first
use, so nothing else in the package pays for it.

Conventions: a flow ``[H,W,2]`` (x, y in pixels) *from* image ``A`` *to* image ``B`` says
where each pixel of ``A`` is found in ``B``: ``A(p) ~ B(p + flow(p))``. So
``warp(B, flow)`` resamples ``B`` into ``A``'s frame.

A warp is trusted where three checks pass (:func:`confidence`):

* the pixel it fetches lies inside the frame (content entering at a border is new);
* forward-backward consistency (Sundaram, Brox and Keutzer, ECCV 2010): following the flow
  to the other frame and the reverse flow back lands near the start, or the pixel is
  occluded or disoccluded there;
* the warped lightness matches the current lightness (a soft Gaussian weight): where it
  does not, the flow is wrong, or the pixel changed.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

INSTALL_HINT = 'pip install "colorization_tf[video]"'
PRESETS = ("ultrafast", "fast", "medium")


class OpenCVMissing(ImportError):
    """OpenCV (``cv2``) is not installed; the message is one line naming the extra."""


@functools.lru_cache(maxsize=1)
def require_cv2():
    """Imports and returns ``cv2``, or raises :class:`OpenCVMissing` with the install
    command (one line)."""
    try:
        import cv2
    except ImportError as err:
        raise OpenCVMissing(f"motion-compensated smoothing needs OpenCV: {INSTALL_HINT} "
                            f"({err})") from None
    return cv2


def available() -> bool:
    """Whether OpenCV can be imported (flow mode works)."""
    try:
        require_cv2()
    except OpenCVMissing:
        return False
    return True


@dataclasses.dataclass(frozen=True)
class FlowConfig:
    """How flow is estimated and when a warp is trusted.

    ``preset``: DIS speed/quality preset. ``finest_scale``: pyramid level DIS stops at
    (0 = every pixel, sharper boundaries, about 2.5x the time; None = the preset's: 1 for
    medium, then upsampled). ``max_size``: the working resolution of the flow: images
    whose long side is larger are shrunk to it (area average) for the estimate and the
    flow is scaled back up (bilinear), which bounds the cost at large render sizes; None =
    always the full size.
    ``consistency_relative`` and ``consistency_absolute`` (pixels squared): a pixel is
    consistent when ``|b + f(p + b)|^2 <= relative * (|b|^2 + |f(p + b)|^2) + absolute``
    (Sundaram et al. 2010 use 0.01 and 0.5). ``lightness_tolerance``: in the model's
    lightness units ([-1, 1]; 0.1 = 5 L*), the warp's weight is ``exp(-(dL/tol)^2)``.
    """

    preset: str = "medium"
    finest_scale: int | None = None
    max_size: int | None = 256
    consistency_relative: float = 0.01
    consistency_absolute: float = 0.5
    lightness_tolerance: float = 0.15

    def __post_init__(self):
        if self.preset not in PRESETS:
            raise ValueError(f"flow preset must be one of {', '.join(PRESETS)}, "
                             f"got {self.preset!r}")
        if self.finest_scale is not None and self.finest_scale < 0:
            raise ValueError(f"finest_scale must be >= 0, got {self.finest_scale}")
        if self.consistency_relative < 0 or self.consistency_absolute <= 0:
            raise ValueError("consistency thresholds must be >= 0 (relative) and > 0 "
                             f"(absolute), got {self.consistency_relative}, "
                             f"{self.consistency_absolute}")
        if self.max_size is not None and self.max_size < 16:
            raise ValueError(f"max_size must be at least 16 pixels, got {self.max_size}")
        if self.lightness_tolerance <= 0:
            raise ValueError(f"lightness_tolerance must be positive, got "
                             f"{self.lightness_tolerance}")


def lightness_u8(lightness: np.ndarray) -> np.ndarray:
    """``[H,W]`` or ``[H,W,1]`` lightness in the model's [-1, 1] -> uint8 ``[H,W]``, the
    input DIS takes."""
    lightness = np.asarray(lightness, np.float32)
    if lightness.ndim == 3:
        lightness = lightness[..., 0]
    return np.clip(np.rint((lightness + 1.0) * 127.5), 0, 255).astype(np.uint8)


class FlowEstimator:
    """Dense flow between two uint8 ``[H,W]`` images with one reusable DIS instance."""

    def __init__(self, config: FlowConfig | None = None):
        cv2 = require_cv2()
        self.config = config or FlowConfig()
        preset = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
                  "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
                  "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}[self.config.preset]
        self._dis = cv2.DISOpticalFlow_create(preset)
        if self.config.finest_scale is not None:
            self._dis.setFinestScale(self.config.finest_scale)

    def __call__(self, source: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Flow ``[H,W,2]`` float32 from ``source`` to ``target``:
        ``source(p) ~ target(p + flow(p))``, estimated at ``config.max_size`` at most."""
        if source.shape != target.shape or source.ndim != 2:
            raise ValueError(f"flow needs two [H,W] images of one size, got "
                             f"{list(source.shape)} and {list(target.shape)}")
        height, width = source.shape
        limit = self.config.max_size
        if limit is None or max(height, width) <= limit:
            return self._dis.calc(source, target, None)
        cv2 = require_cv2()
        scale = limit / max(height, width)
        small = (max(1, round(width * scale)), max(1, round(height * scale)))
        flow = self._dis.calc(cv2.resize(source, small, interpolation=cv2.INTER_AREA),
                              cv2.resize(target, small, interpolation=cv2.INTER_AREA), None)
        flow = cv2.resize(flow, (width, height), interpolation=cv2.INTER_LINEAR)
        flow[..., 0] *= width / small[0]
        flow[..., 1] *= height / small[1]
        return flow


@functools.lru_cache(maxsize=8)
def _grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    cols, rows = np.meshgrid(np.arange(width, dtype=np.float32),
                             np.arange(height, dtype=np.float32))
    return cols, rows


def sample_points(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The absolute (x, y) each pixel fetches from: ``p + flow(p)``, float32 maps."""
    cols, rows = _grid(*flow.shape[:2])
    return cols + flow[..., 0], rows + flow[..., 1]


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``image`` ``[H,W]`` or ``[H,W,C]`` (C <= 4) resampled at ``p + flow(p)`` (bilinear,
    border pixels repeated outside: :func:`inside` says where that happened)."""
    cv2 = require_cv2()
    map_x, map_y = sample_points(flow)
    warped = cv2.remap(np.ascontiguousarray(image, np.float32), map_x, map_y,
                       interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return warped.reshape(np.shape(image))


def inside(flow: np.ndarray) -> np.ndarray:
    """Bool ``[H,W]``: the point ``p + flow(p)`` lies within the frame."""
    map_x, map_y = sample_points(flow)
    height, width = flow.shape[:2]
    return (map_x >= 0) & (map_x <= width - 1) & (map_y >= 0) & (map_y <= height - 1)


def consistent(backward: np.ndarray, forward: np.ndarray,
               config: FlowConfig | None = None) -> np.ndarray:
    """Bool ``[H,W]`` forward-backward check on the current frame's grid: ``backward``
    goes from the current frame to the previous one, ``forward`` from the previous frame
    to the current one; where the round trip misses, the pixel is occluded or
    disoccluded (or the flow is wrong)."""
    config = config or FlowConfig()
    returned = warp(forward, backward)
    miss = np.sum((backward + returned) ** 2, axis=-1)
    scale = np.sum(backward ** 2, axis=-1) + np.sum(returned ** 2, axis=-1)
    return miss <= config.consistency_relative * scale + config.consistency_absolute


def confidence(lightness: np.ndarray, previous_lightness: np.ndarray, backward: np.ndarray,
               forward: np.ndarray, config: FlowConfig | None = None) -> np.ndarray:
    """Float32 ``[H,W]`` in [0, 1]: how far the previous frame warped along ``backward``
    can stand for the current one (0 outside the frame and where the forward-backward
    check fails; a Gaussian weight of the lightness difference elsewhere). Lightness maps
    are ``[H,W]`` or ``[H,W,1]`` in the model's [-1, 1]."""
    config = config or FlowConfig()
    lightness = np.asarray(lightness, np.float32).reshape(backward.shape[:2])
    previous = np.asarray(previous_lightness, np.float32).reshape(backward.shape[:2])
    difference = warp(previous, backward) - lightness
    weight = np.exp(-np.square(difference / config.lightness_tolerance))
    trusted = inside(backward) & consistent(backward, forward, config)
    return np.where(trusted, weight, 0.0).astype(np.float32)
