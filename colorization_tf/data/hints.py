"""Simulated user hints for the learned-hints methods (Zhang et al. 2017, "Real-Time
User-Guided Image Colorization with Learned Deep Priors"), as TF ops for tf.data, and the
one point sampler that training and the evaluation against revealed points
(``evaluation/hint_points.py``) both draw from.

The sampling protocol (:func:`draw_points`, then :func:`rasterise`):

* **how many**: a geometric number from 0 (keep adding a point with probability
  ``1 - p``; p = 1/8, mean ``(1 - p) / p`` = 7; capped at ``MAX_POINTS``) in training; a
  fixed ``count`` in the evaluation.
* **where** (``locations``):
  ``"gaussian"`` (training's default) and ``"uniform"`` draw each patch's top-left corner,
  with replacement, so the whole patch lies inside the image: a Gaussian centred on the
  image (standard deviation a quarter of the free span, clipped to it) or uniformly;
  ``"distinct"`` (the evaluation's) draws the patch centres without replacement, uniformly
  over the pixels (the first ``count`` of one seeded permutation, so 10 points contain the
  5), each patch centred on its pixel and clipped at the border.
* **how big**: square patches with sides uniform in ``patch_sizes`` (smallest, largest;
  ``DataConfig.hint_patch_sizes``, the paper's 1x1 to 9x9 in training; (1, 1), single
  pixels, in the evaluation); a patch never exceeds the image's smaller side.
* **what colour**: each patch carries the mean ab of the true image over the (clipped)
  patch; later patches overwrite earlier ones where they overlap.

Two maps come out:

* ``hint_ab`` float32 ``[H,W,2]`` in the model's ab scaling (``color.py``), 0 where no hint;
* ``hint_mask`` float32 ``[H,W,1]``, 1 on hinted pixels, 0 elsewhere.

A user's own hints (points and strokes of a hints file) become the same two maps through
``inference.hints.rasterize``; for single pixels and 3x3 or 5x5 patches the two agree
exactly (``tests/data/test_hints.py``).

Global hint (Zhang et al. 2017 §3.3): ``hint_global`` float32 ``[Q+2]``: the image's
distribution over the package's ab bins (``color.global_hint``: the in-gamut grid-10
bins of the classification methods; each pixel counted in its nearest bin, summing to 1),
then the mean saturation, then a 0/1 "given" flag. A dropped global hint is all zeros. The
saturation here is the mean CIELAB chroma ``sqrt(a*^2 + b*^2) / 127.5`` clipped to 1 (the
paper uses HSV saturation, which needs the lightness too; chroma is its counterpart in
ab alone, so a reference photo and a training image give the same feature from ab).

Every draw is stateless and keyed by (seed, position of the example in the stream), so a
resumed or distributed run sees the hints of a plain run. The defaults live in
``data/config.py`` (``HINT_P``, ``HINT_PATCH_SIZES``, ``HINT_GLOBAL_DROP``).
"""

from __future__ import annotations

import tensorflow as tf

from colorization_tf import color
from colorization_tf.color import quantize
from colorization_tf.color.global_hint import bin_array, global_hint_size
from colorization_tf.data.config import (
    HINT_GLOBAL_DROP,
    HINT_LOCATIONS,
    HINT_P,
    HINT_PATCH_SIZES,
    check_patch_sizes,
)

# The geometric count is capped here: P(count > 64) = (7/8)^65 < 2e-4 at p = 1/8.
MAX_POINTS = 64
# Stateless-RNG streams: training examples, evaluation examples (fixed hints per position),
# and the scoring against revealed points (evaluation/hint_points.py).
TRAIN_SALT, EVAL_SALT, SCORE_SALT = 3, 4, 5


def global_hint(ab: tf.Tensor) -> tf.Tensor:
    """The global hint ``[Q+2]`` of one scaled ab map ``[H,W,2]``: nearest-bin distribution
    (sums to 1), mean chroma / 127.5 (clipped to 1), and the flag 1 ("given")."""
    ab = tf.convert_to_tensor(ab, tf.float32)
    if ab.shape.rank != 3 or ab.shape[-1] != 2:
        raise ValueError(f"global_hint: expected one ab map [H,W,2], got shape {ab.shape}")
    units = color.ab_to_lab_units(ab)
    counts = quantize.bin_counts(units, tf.constant(bin_array()))
    distribution = counts / tf.maximum(tf.reduce_sum(counts), 1.0)
    chroma = tf.sqrt(tf.reduce_sum(tf.square(units), axis=-1))
    saturation = tf.minimum(tf.reduce_mean(chroma) / color.AB_HALF_RANGE, 1.0)
    return tf.concat([distribution, [saturation, 1.0]], axis=0)


def point_count(seed: tf.Tensor, p: float = HINT_P) -> tf.Tensor:
    """How many points one simulated user gives: geometric from 0 with success
    probability ``p`` (inverse-CDF of one stateless uniform), capped at ``MAX_POINTS``."""
    uniform = tf.random.stateless_uniform([], seed=seed, minval=1e-12, maxval=1.0)
    if p >= 1.0:
        return tf.constant(0, tf.int32)
    count = tf.floor(tf.math.log(uniform) / tf.math.log1p(-p))
    return tf.cast(tf.minimum(count, MAX_POINTS), tf.int32)


def draw_points(seed: tf.Tensor, height: int | tf.Tensor, width: int | tf.Tensor, *,
                p: float = HINT_P, locations: str = "gaussian",
                count: int | None = None,
                patch_sizes: tuple[int, int] = HINT_PATCH_SIZES) -> dict[str, tf.Tensor]:
    """One simulated user (the protocol in the module docstring): ``{"corners": int32
    [K,2] (row, col of the top-left pixel; outside the image where a centred patch is
    clipped), "sizes": int32 [K] (patch side), "active": bool [K]}``; the first ``count``
    points are active (with ``count=None``, a geometric number of them, see
    ``point_count``)."""
    if locations not in HINT_LOCATIONS:
        raise ValueError(f"hint locations {locations!r}: expected one of {HINT_LOCATIONS}")
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 4)
    slots = MAX_POINTS if count is None else max(int(count), 1)
    number = point_count(seeds[0], p) if count is None else tf.constant(int(count), tf.int32)
    extent = tf.cast(tf.stack([height, width]), tf.int32)
    smallest, largest = check_patch_sizes(patch_sizes)
    if locations == "distinct":  # centres without replacement: a prefix of a permutation
        order = tf.argsort(tf.random.stateless_uniform([extent[0] * extent[1]],
                                                       seed=seeds[2]))[:slots]
        slots = tf.shape(order)[0]  # a count above the pixels reveals every pixel
        sizes = tf.random.stateless_uniform([slots], seed=seeds[1], minval=smallest,
                                            maxval=largest + 1, dtype=tf.int32)
        sizes = tf.minimum(sizes, tf.reduce_min(extent))
        centres = tf.stack([order // extent[1], order % extent[1]], axis=-1)
        corners = tf.cast(centres, tf.int32) - ((sizes - 1) // 2)[:, None]
        return {"corners": corners, "sizes": sizes, "active": tf.range(slots) < number}
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
    patch, clipped to the image, filled with its mean ab (from a summed-area table),
    later patches on top."""
    ab = tf.convert_to_tensor(ab, tf.float32)
    height, width = tf.shape(ab)[0], tf.shape(ab)[1]
    # float64 sums: a 1x1 patch gives back its pixel's ab exactly
    table = tf.pad(tf.cumsum(tf.cumsum(tf.cast(ab, tf.float64), axis=0), axis=1),
                   [[1, 0], [1, 0], [0, 0]])
    corners, sizes = tf.cast(corners, tf.int32), tf.cast(sizes, tf.int32)
    top = tf.clip_by_value(corners[:, 0], 0, height)
    left = tf.clip_by_value(corners[:, 1], 0, width)
    bottom = tf.clip_by_value(corners[:, 0] + sizes, 0, height)
    right = tf.clip_by_value(corners[:, 1] + sizes, 0, width)

    def at(rows, cols):
        return tf.gather_nd(table, tf.stack([rows, cols], axis=-1))

    sums = at(bottom, right) - at(top, right) - at(bottom, left) + at(top, left)
    area = tf.cast(tf.maximum((bottom - top) * (right - left), 1), tf.float64)
    means = tf.cast(sums / area[:, None], tf.float32)
    rows, cols = tf.range(height), tf.range(width)
    in_rows = (rows[None, :] >= top[:, None]) & (rows[None, :] < bottom[:, None])
    in_cols = (cols[None, :] >= left[:, None]) & (cols[None, :] < right[:, None])
    covered = in_rows[:, :, None] & in_cols[:, None, :] & active[:, None, None]  # [K,H,W]
    order = tf.range(1, tf.shape(sizes)[0] + 1)[:, None, None]
    last = tf.reduce_max(tf.where(covered, order, 0), axis=0)  # 1-based, 0 = no hint
    hinted = last > 0
    hint_ab = tf.where(hinted[..., None], tf.gather(means, tf.maximum(last - 1, 0)), 0.0)
    return hint_ab, tf.cast(hinted, tf.float32)[..., None]


def simulate_hints(ab: tf.Tensor, seed: tf.Tensor, *, p: float = HINT_P,
                   locations: str = "gaussian", count: int | None = None,
                   patch_sizes: tuple[int, int] = HINT_PATCH_SIZES) -> tuple[tf.Tensor, tf.Tensor]:
    """Simulated local hints ``(hint_ab, hint_mask)`` of one true ab map ``[H,W,2]``
    (``count`` points, or a geometric number of them when None)."""
    ab = tf.convert_to_tensor(ab, tf.float32)
    points = draw_points(seed, tf.shape(ab)[0], tf.shape(ab)[1], p=p, locations=locations,
                         count=count, patch_sizes=patch_sizes)
    return rasterise(ab, points["corners"], points["sizes"], points["active"])


def simulated_global_hint(ab: tf.Tensor, seed: tf.Tensor,
                          drop: float = HINT_GLOBAL_DROP) -> tf.Tensor:
    """``global_hint(ab)``, or all zeros with probability ``drop`` (training)."""
    seed = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 5)[4]
    keep = tf.random.stateless_uniform([], seed=seed) >= drop
    return global_hint(ab) * tf.cast(keep, tf.float32)


def add_simulated_hints(batch: dict, positions: tf.Tensor, *, seed: int, salt: int,
                        local: bool = True, with_global: bool = False, p: float = HINT_P,
                        locations: str = "gaussian", global_drop: float = HINT_GLOBAL_DROP,
                        count: int | None = None,
                        patch_sizes: tuple[int, int] = HINT_PATCH_SIZES) -> dict:
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


__all__ = ["MAX_POINTS", "add_simulated_hints", "draw_points", "global_hint",
           "global_hint_size", "point_count", "rasterise", "simulate_hints",
           "simulated_global_hint"]
