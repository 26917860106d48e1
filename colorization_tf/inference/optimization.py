"""Colorization using Optimization (Levin, Lischinski and Weiss 2004): spreads a few user
colour hints over a photo, with no training, so that neighbouring pixels of similar
lightness get similar colours.

For each ab channel ``U``, every pixel ``r`` without a hint satisfies
``U(r) = sum_s w_rs U(s)`` over its 3x3 neighbours ``s``, with
``w_rs ~ exp(-(Y(r) - Y(s))^2 / (2 sigma_r^2))`` normalised to sum to 1, and every hinted
pixel keeps its hint. ``Y`` is the lightness ``L* / 100``; ``2 sigma_r^2`` is 0.6 times the
variance of ``Y`` in ``r``'s 3x3 window (centre included), raised where needed so that
``r``'s most similar neighbour keeps a weight of at least 0.01 and never below 2e-6: the
constants of the authors' released code (Levin et al. 2004), which make a sharp edge all
but opaque (a neighbour across a step edge weighs about ``exp(-7.5)`` of one on the same
side). The hinted unknowns are eliminated and the remaining sparse system (the same matrix
for a and b) is factorised once by SuperLU (``scipy.sparse.linalg.splu``) and solved for
both channels.

A direct solve grows faster than the pixel count (0.7 s at 256 x 160, 7 s at 512 x 320 on
two shared cores); incomplete-LU-preconditioned GMRES and BiCGStab and pyamg's multigrid
were slower still on these ill-conditioned systems (``benchmarks/hints_latency.py
--compare_solvers``), so photos are solved at a long side of :data:`DEFAULT_SOLVE_SIZE`
pixels and the ab is upsampled and joined with the photo's full-resolution L exactly as
the networks' ab is (:func:`full_resolution.fast_recombine`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from colorization_tf import color
from colorization_tf.inference import full_resolution, hints

DEFAULT_SOLVE_SIZE = 256  # long side of the grid the system is solved on
MAX_SOLVE_PIXELS = 1024 * 1024  # the direct solve takes about a minute and GBs at 1 MP
VARIANCE_FACTOR = 0.6  # 2 sigma_r^2 = 0.6 x local variance (Levin et al. 2004's code)
MIN_NEIGHBOUR_WEIGHT = 0.01  # the most similar neighbour keeps at least this weight
MIN_TWO_SIGMA2 = 2e-6
_OFFSETS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]


def neighbour_weights(luminance: np.ndarray) -> np.ndarray:
    """Normalised weights ``[8, H, W]`` of each pixel's 3x3 neighbours (order of
    ``_OFFSETS``; 0 for neighbours outside the image) from luminance ``Y [H, W]``."""
    y = np.asarray(luminance, np.float64)
    height, width = y.shape
    padded = np.pad(y, 1, constant_values=np.nan)
    window = np.stack([padded[1 + dy:1 + dy + height, 1 + dx:1 + dx + width]
                       for dy in (-1, 0, 1) for dx in (-1, 0, 1)])
    inside = ~np.isnan(window)
    count = inside.sum(0)
    mean = np.nansum(window, 0) / count
    variance = np.nansum((window - mean) ** 2, 0) / count
    neighbours = np.delete(window, 4, axis=0)
    valid = np.delete(inside, 4, axis=0)
    distance2 = np.where(valid, (neighbours - y) ** 2, 0.0)
    closest = np.where(valid, distance2, np.inf).min(0)
    two_sigma2 = np.maximum(VARIANCE_FACTOR * variance, closest / -np.log(MIN_NEIGHBOUR_WEIGHT))
    two_sigma2 = np.maximum(two_sigma2, MIN_TWO_SIGMA2)
    weights = np.where(valid, np.exp(-distance2 / two_sigma2), 0.0)
    return weights / weights.sum(0)


def system_matrix(luminance: np.ndarray, fixed: np.ndarray) -> scipy.sparse.csr_matrix:
    """The ``N x N`` matrix (``N = H * W``, row-major pixels) of the equations: row ``r`` is
    ``U(r) - sum_s w_rs U(s)``, or just ``U(r)`` where ``fixed [H, W]`` (a hint) is set."""
    weights = neighbour_weights(luminance)
    height, width = weights.shape[1:]
    index = np.arange(height * width).reshape(height, width)
    padded = np.pad(index, 1, constant_values=-1)
    free = ~np.asarray(fixed, bool)
    rows, cols, values = [index.ravel()], [index.ravel()], [np.ones(height * width)]
    for k, (dy, dx) in enumerate(_OFFSETS):
        neighbour = padded[1 + dy:1 + dy + height, 1 + dx:1 + dx + width]
        use = free & (weights[k] > 0)
        rows.append(index[use])
        cols.append(neighbour[use])
        values.append(-weights[k][use])
    return scipy.sparse.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
        shape=(height * width, height * width))


def solve_ab(lightness: np.ndarray, hint_ab: np.ndarray, hint_mask: np.ndarray) -> np.ndarray:
    """Scaled ab ``[H, W, 2]`` (float32) spreading ``hint_ab`` where ``hint_mask`` is 1 over
    the image whose scaled L (``[H, W]`` or ``[H, W, 1]``, in [-1, 1]) is ``lightness``.
    With no hint at all the result is colourless (a* = b* = 0)."""
    lightness = np.asarray(lightness, np.float64).reshape(np.shape(hint_mask)[:2])
    fixed = np.asarray(hint_mask).reshape(lightness.shape) > 0.5
    height, width = lightness.shape
    if not fixed.any():
        return np.full([height, width, 2], color.AB_OFFSET / color.AB_HALF_RANGE, np.float32)
    matrix = system_matrix((lightness + 1.0) / 2.0, fixed)
    known = np.asarray(hint_ab, np.float64).reshape(-1, 2)
    fixed_flat, free = fixed.ravel(), ~fixed.ravel()
    ab = np.where(fixed_flat[:, None], known, 0.0)
    if free.any():
        free_matrix = matrix[free][:, free].tocsc()
        rhs = -(matrix[free][:, fixed_flat] @ known[fixed_flat])
        ab[free] = scipy.sparse.linalg.splu(free_matrix).solve(rhs)
    return ab.reshape(height, width, 2).astype(np.float32)


def solve_shape(height: int, width: int, solve_size: int = DEFAULT_SOLVE_SIZE
                ) -> tuple[int, int]:
    """The grid a ``height`` x ``width`` photo is solved on: long side ``solve_size`` with
    the photo's aspect ratio, never larger than the photo; 0 means full resolution. A grid
    of more than ``MAX_SOLVE_PIXELS`` is refused (``ValueError``)."""
    if solve_size < 0:
        raise ValueError(f"--render_size must be 0 (full resolution) or positive, got "
                         f"{solve_size}")
    shape = _scaled(height, width, solve_size)
    if shape[0] * shape[1] > MAX_SOLVE_PIXELS:
        largest = int((MAX_SOLVE_PIXELS * max(height, width) / min(height, width)) ** 0.5)
        while np.prod(_scaled(height, width, largest)) > MAX_SOLVE_PIXELS:
            largest -= 1
        raise ValueError(f"--render_size={solve_size}: a {shape[1]}x{shape[0]} solve grid is "
                         f"too large for the direct solver (at most {MAX_SOLVE_PIXELS} "
                         f"pixels); give --render_size={largest} or less")
    return shape


def _scaled(height: int, width: int, solve_size: int) -> tuple[int, int]:
    long_side = max(height, width)
    if solve_size == 0 or solve_size >= long_side:
        return height, width
    scale = solve_size / long_side
    return max(int(round(height * scale)), 1), max(int(round(width * scale)), 1)


def lightness_at(codes: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Scaled L ``[h, w]`` of sRGB codes (uint8 or uint16) ``[H, W, 3]`` resized (antialiased) to
    ``shape``, as :func:`full_resolution.model_input` computes it for the networks."""
    return full_resolution.fast_model_input(np.asarray(codes), tuple(shape))[..., 0]


def colorize_codes(codes: np.ndarray, photo_hints: hints.Hints,
                   solve_size: int = DEFAULT_SOLVE_SIZE) -> np.ndarray:
    """Colorizes one photo (sRGB codes ``[H, W, 3]``, uint8 or uint16, see ``user_images.read_codes``) with
    ``photo_hints`` (checked against its size here): uint8 RGB ``[H, W, 3]`` keeping the
    photo's own L."""
    height, width = np.shape(codes)[:2]
    photo_hints.check_inside(width, height)
    shape = solve_shape(height, width, solve_size)
    hint_ab, hint_mask = hints.rasterize(photo_hints, (height, width), shape)
    ab = solve_ab(lightness_at(codes, shape), hint_ab, hint_mask)
    return full_resolution.fast_recombine(np.asarray(codes), ab)
