"""Simulated user hints for the learned-hints methods (Zhang et al. 2017, "Real-Time
User-Guided Image Colorization with Learned Deep Priors"), as TF ops for tf.data.

Local hints (Zhang et al. 2017 §3.1): the number of points follows a geometric
distribution from 0 (keep adding a point with probability ``1 - p``; p = 1/8, mean
``(1 - p) / p`` = 7), each point a square patch of 1x1 to 9x9 pixels (``patch_sizes``,
``DataConfig.hint_patch_sizes``: the smallest and largest side, uniform between; (1, 1)
gives single revealed pixels, as ``evaluation/hint_points.py`` scores) whose top-left corner
is drawn from a Gaussian centred on the image (standard deviation a quarter of the free
span, clipped to it) or uniformly, and the patch carries the mean ab of the true image
over the patch. Later patches overwrite earlier ones where they overlap. Two maps come
out:

* ``hint_ab`` float32 ``[H,W,2]`` in the model's ab scaling (``color.py``), 0 where no hint;
* ``hint_mask`` float32 ``[H,W,1]``, 1 on hinted pixels, 0 elsewhere.

Global hint (Zhang et al. 2017 §3.3): ``hint_global`` float32 ``[Q+2]``: the image's
distribution over the package's ab bins (the in-gamut grid-10 bins of the classification
methods, ``quantize.py``; each pixel counted in its nearest bin, summing to 1), then the
mean saturation, then a 0/1 "given" flag. A dropped global hint is all zeros. The
saturation here is the mean CIELAB chroma ``sqrt(a*^2 + b*^2) / 127.5`` clipped to 1 (the
paper uses HSV saturation, which needs the lightness too; chroma is its counterpart in
ab alone, so a reference photo and a training image give the same feature from ab).

Every draw is stateless and keyed by (seed, position of the example in the stream), so a
resumed or distributed run sees the hints of a plain run.
"""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from colorization_tf import color
from colorization_tf.color import quantize
from colorization_tf.data.config import check_patch_sizes

# The bins of the classification methods (MethodConfig's default): 229 in-gamut centres.
GLOBAL_BINS = {"kind": "gamut", "grid": quantize.GAMUT_GRID}
POINT_P = 0.125
PATCH_SIZES = (1, 9)  # smallest and largest patch side, in pixels
# The geometric count is capped here: P(count > 64) = (7/8)^65 < 2e-4 at p = 1/8.
MAX_POINTS = 64
LOCATIONS = ("gaussian", "uniform")
GLOBAL_DROP = 0.5
# Stateless-RNG streams: training examples, evaluation examples (fixed hints per position).
TRAIN_SALT, EVAL_SALT = 3, 4


@functools.lru_cache(maxsize=1)
def _bin_array() -> np.ndarray:
    # a numpy value (not a tensor), so no graph that first asked for it owns the cache;
    # computed eagerly even when first asked for inside a tf.data function
    with tf.init_scope():
        return np.asarray(quantize.make_bins(GLOBAL_BINS).numpy(), np.float32)


def _bins() -> tf.Tensor:
    return tf.constant(_bin_array())


def global_bins() -> tf.Tensor:
    """The ab bin centres ``[Q, 2]`` (Lab units) the global hint is a distribution over."""
    return _bins()


def global_hint_size() -> int:
    """Q + 2: the length of ``hint_global``."""
    return int(_bin_array().shape[0]) + 2


def global_hint(ab: tf.Tensor) -> tf.Tensor:
    """The global hint ``[Q+2]`` of one scaled ab map ``[H,W,2]``: nearest-bin distribution
    (sums to 1), mean chroma / 127.5 (clipped to 1), and the flag 1 ("given")."""
    ab = tf.convert_to_tensor(ab, tf.float32)
    if ab.shape.rank != 3 or ab.shape[-1] != 2:
        raise ValueError(f"global_hint: expected one ab map [H,W,2], got shape {ab.shape}")
    units = color.ab_to_lab_units(ab)
    counts = quantize.bin_counts(units, _bins())
    distribution = counts / tf.maximum(tf.reduce_sum(counts), 1.0)
    chroma = tf.sqrt(tf.reduce_sum(tf.square(units), axis=-1))
    saturation = tf.minimum(tf.reduce_mean(chroma) / color.AB_HALF_RANGE, 1.0)
    return tf.concat([distribution, [saturation, 1.0]], axis=0)


def point_count(seed: tf.Tensor, p: float = POINT_P) -> tf.Tensor:
    """How many points one simulated user gives: geometric from 0 with success
    probability ``p`` (inverse-CDF of one stateless uniform), capped at ``MAX_POINTS``."""
    uniform = tf.random.stateless_uniform([], seed=seed, minval=1e-12, maxval=1.0)
    if p >= 1.0:
        return tf.constant(0, tf.int32)
    count = tf.floor(tf.math.log(uniform) / tf.math.log1p(-p))
    return tf.cast(tf.minimum(count, MAX_POINTS), tf.int32)


def draw_points(seed: tf.Tensor, height: int | tf.Tensor, width: int | tf.Tensor, *,
                p: float = POINT_P, locations: str = "gaussian",
                count: int | None = None,
                patch_sizes: tuple[int, int] = PATCH_SIZES) -> dict[str, tf.Tensor]:
    """One simulated user: ``{"corners": int32 [K,2] (row, col of the top-left pixel),
    "sizes": int32 [K] (patch side), "active": bool [K]}``; the first ``count`` points
    are active (with ``count=None``, a geometric number of them, see ``point_count``)."""
    if locations not in LOCATIONS:
        raise ValueError(f"hint locations {locations!r}: expected one of {LOCATIONS}")
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 4)
    slots = MAX_POINTS if count is None else max(int(count), 1)
    number = point_count(seeds[0], p) if count is None else tf.constant(int(count), tf.int32)
    extent = tf.cast(tf.stack([height, width]), tf.int32)
    smallest, largest = check_patch_sizes(patch_sizes)
    sizes = tf.random.stateless_uniform([slots], seed=seeds[1], minval=smallest,
                                        maxval=largest + 1, dtype=tf.int32)
    sizes = tf.minimum(sizes, tf.reduce_min(extent))
    span = tf.cast(extent[None, :] - sizes[:, None] + 1, tf.float32)  # corner choices
    if locations == "gaussian":
        offsets = span / 2.0 + tf.random.stateless_normal([slots, 2], seed=seeds[2]) * span / 4.0
    else:
        offsets = tf.random.stateless_uniform([slots, 2], seed=seeds[2]) * span
    corners = tf.cast(tf.clip_by_value(tf.floor(offsets), 0.0, span - 1.0), tf.int32)
    return {"corners": corners, "sizes": sizes, "active": tf.range(slots) < number}


def rasterise(ab: tf.Tensor, corners: tf.Tensor, sizes: tf.Tensor,
              active: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """``(hint_ab [H,W,2], hint_mask [H,W,1])`` for the active patches of ``ab``: each
    patch filled with its mean ab (from a summed-area table), later patches on top."""
    ab = tf.convert_to_tensor(ab, tf.float32)
    height, width = tf.shape(ab)[0], tf.shape(ab)[1]
    table = tf.pad(tf.cumsum(tf.cumsum(ab, axis=0), axis=1), [[1, 0], [1, 0], [0, 0]])
    top, left = corners[:, 0], corners[:, 1]
    bottom, right = top + sizes, left + sizes

    def at(rows, cols):
        return tf.gather_nd(table, tf.stack([rows, cols], axis=-1))

    sums = at(bottom, right) - at(top, right) - at(bottom, left) + at(top, left)
    means = sums / tf.cast(tf.square(sizes), tf.float32)[:, None]
    rows, cols = tf.range(height), tf.range(width)
    in_rows = (rows[None, :] >= top[:, None]) & (rows[None, :] < bottom[:, None])
    in_cols = (cols[None, :] >= left[:, None]) & (cols[None, :] < right[:, None])
    covered = in_rows[:, :, None] & in_cols[:, None, :] & active[:, None, None]  # [K,H,W]
    order = tf.range(1, tf.shape(sizes)[0] + 1)[:, None, None]
    last = tf.reduce_max(tf.where(covered, order, 0), axis=0)  # 1-based, 0 = no hint
    hinted = last > 0
    hint_ab = tf.where(hinted[..., None], tf.gather(means, tf.maximum(last - 1, 0)), 0.0)
    return hint_ab, tf.cast(hinted, tf.float32)[..., None]


def simulate_hints(ab: tf.Tensor, seed: tf.Tensor, *, p: float = POINT_P,
                   locations: str = "gaussian", count: int | None = None,
                   patch_sizes: tuple[int, int] = PATCH_SIZES) -> tuple[tf.Tensor, tf.Tensor]:
    """Simulated local hints ``(hint_ab, hint_mask)`` of one true ab map ``[H,W,2]``
    (``count`` points, or a geometric number of them when None)."""
    ab = tf.convert_to_tensor(ab, tf.float32)
    points = draw_points(seed, tf.shape(ab)[0], tf.shape(ab)[1], p=p, locations=locations,
                         count=count, patch_sizes=patch_sizes)
    return rasterise(ab, points["corners"], points["sizes"], points["active"])


def simulated_global_hint(ab: tf.Tensor, seed: tf.Tensor,
                          drop: float = GLOBAL_DROP) -> tf.Tensor:
    """``global_hint(ab)``, or all zeros with probability ``drop`` (training)."""
    seed = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 5)[4]
    keep = tf.random.stateless_uniform([], seed=seed) >= drop
    return global_hint(ab) * tf.cast(keep, tf.float32)


def add_simulated_hints(batch: dict, positions: tf.Tensor, *, seed: int, salt: int,
                        local: bool = True, with_global: bool = False, p: float = POINT_P,
                        locations: str = "gaussian", global_drop: float = GLOBAL_DROP,
                        count: int | None = None,
                        patch_sizes: tuple[int, int] = PATCH_SIZES) -> dict:
    """A Lab batch plus simulated ``hint_ab``/``hint_mask`` (``local``) and
    ``hint_global`` (``with_global``), each example's draws keyed by ``[seed * 16 + salt,
    position]`` (``positions``: int64 ``[B]``, the examples' places in their stream)."""
    ab = batch["ab"]

    def one(args):
        example_ab, position = args
        key = tf.stack([tf.constant(seed * 16 + salt, tf.int64), tf.cast(position, tf.int64)])
        out = {}
        if local:
            out["hint_ab"], out["hint_mask"] = simulate_hints(
                example_ab, key, p=p, locations=locations, count=count,
                patch_sizes=patch_sizes)
        if with_global:
            out["hint_global"] = simulated_global_hint(example_ab, key, global_drop)
        return out

    signature = {}
    if local:
        signature["hint_ab"] = tf.TensorSpec(ab.shape[1:3] + [2], tf.float32)
        signature["hint_mask"] = tf.TensorSpec(ab.shape[1:3] + [1], tf.float32)
    if with_global:
        signature["hint_global"] = tf.TensorSpec([global_hint_size()], tf.float32)
    hints = tf.map_fn(one, (ab, positions), fn_output_signature=signature)
    return {**batch, **hints}


def resize_hints(hint_ab: tf.Tensor, hint_mask: tf.Tensor,
                 size) -> tuple[tf.Tensor, tf.Tensor]:
    """Hint maps ``[...,H,W,2]`` / ``[...,H,W,1]`` at another resolution ``size`` ([h, w]):
    each output pixel averages the hinted input pixels it covers (area resampling of
    ``ab * mask`` over ``mask``), and is hinted if any of them is, so a 1-pixel hint on a
    large photo survives the network's smaller render size."""
    hint_mask = tf.cast(hint_mask, tf.float32)
    weight = tf.image.resize(hint_mask, size, method="area")
    total = tf.image.resize(tf.cast(hint_ab, tf.float32) * hint_mask, size, method="area")
    hinted = weight > 0.0
    return (tf.where(hinted, tf.math.divide_no_nan(total, weight), 0.0),
            tf.cast(hinted, tf.float32))


__all__ = ["GLOBAL_BINS", "MAX_POINTS", "add_simulated_hints", "draw_points", "global_bins",
           "global_hint", "global_hint_size", "point_count", "rasterise", "resize_hints",
           "simulate_hints", "simulated_global_hint"]
