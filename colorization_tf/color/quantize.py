"""Quantized ab space for classification colorizers (Li and Wang, Kumar et al., Tran and Ly, after Zhang et al.).

Bins, soft-encoding of ab into bin distributions, class-rebalancing weights from a
training-set prior, and the decoders that turn per-pixel bin logits back into ab. All of
it works in CIELAB units (a*, b*); convert to and from the model's scaling with
``color.ab_to_lab_units`` / ``color.lab_units_to_ab``. Everything is TF ops.

Two bin sets:

* ``gamut``: centres on the multiples of ``grid`` whose colour lies inside sRGB for at least
  one lightness. With grid 10 this gives 229 bins, not the 313 of Zhang et al.: testing
  the centre alone keeps fewer bins than keeping every 10x10 cell that touches the gamut
  (262 here), and Zhang's 313 come from a looser hull than the sRGB gamut.
* ``grid``: every cell of size ``grid`` over ``[low, high)`` on both axes (Tran and Ly 2024:
  size 12 over [-110, 118] gives 19 x 19 = 361 bins), centred in its cell.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import tensorflow as tf

from colorization_tf import color

GAMUT_GRID = 10
FULL_GRID, FULL_RANGE = 12, (-110.0, 118.0)
NEIGHBOURS = 5
SOFT_SIGMA = 5.0
PRIOR_SIGMA = 5.0
REBALANCE_LAMBDA = 0.5
ANNEAL_TEMPERATURE = 0.38
TOP_K = 5
# Decoder names accepted by ``decode``; the first is the default.
DECODERS = ("annealed", "mode", "mean", "topk")
DEFAULT_DECODER = DECODERS[0]

# The gamut test samples this many lightness values in [0, 100] and accepts a colour whose
# Lab -> sRGB (clipped) -> Lab round trip moves it less than this many Lab units: in-gamut
# colours come back within ~1e-4, the nearest out-of-gamut centre (grid 10) moves ~0.6.
GAMUT_LIGHTNESS_STEPS = 1001
GAMUT_TOLERANCE = 0.01


def _as_units(ab_units) -> tf.Tensor:
    return tf.convert_to_tensor(ab_units, tf.float32)


def in_srgb_gamut(lab: tf.Tensor, tolerance: float = GAMUT_TOLERANCE) -> tf.Tensor:
    """True where a Lab colour ``[..., 3]`` is an sRGB colour with channels in [0, 1]:
    ``color.lab_to_rgb`` clips out-of-gamut colours, so only those fail to round-trip."""
    lab = tf.convert_to_tensor(lab, tf.float32)
    back = color.rgb_to_lab(color.lab_to_rgb(lab))
    return tf.reduce_max(tf.abs(back - lab), axis=-1) < tolerance


def lattice(values: np.ndarray) -> tf.Tensor:
    """All (a, b) pairs of ``values`` x ``values`` as ``[Q, 2]``, a varying slowest."""
    a, b = np.meshgrid(values, values, indexing="ij")
    return tf.constant(np.stack([a.ravel(), b.ravel()], axis=-1), tf.float32)


def gamut_bins(grid: float = GAMUT_GRID,
               lightness_steps: int = GAMUT_LIGHTNESS_STEPS) -> tf.Tensor:
    """Centres ``[Q, 2]`` on the multiples of ``grid`` in [-128, 127] whose colour is in the
    sRGB gamut for at least one of ``lightness_steps`` lightness values in [0, 100]."""
    return tf.constant(_gamut_bins(float(grid), int(lightness_steps)))


def gamut_candidates(grid: float = GAMUT_GRID) -> tf.Tensor:
    """Every point ``[N, 2]`` of the lattice of multiples of ``grid`` inside [-128, 127]."""
    steps = np.arange(math.ceil(-128 / grid), math.floor(127 / grid) + 1)
    return lattice(steps * float(grid))


@functools.lru_cache(maxsize=8)
def _gamut_bins(grid: float, lightness_steps: int) -> np.ndarray:
    candidates = gamut_candidates(grid)
    lightness = tf.linspace(0.0, 100.0, lightness_steps)
    count = tf.shape(candidates)[0]
    lab = tf.concat([
        tf.broadcast_to(lightness[None, :, None], [count, lightness_steps, 1]),
        tf.broadcast_to(candidates[:, None, :], [count, lightness_steps, 2]),
    ], axis=-1)
    keep = tf.reduce_any(in_srgb_gamut(lab), axis=1)
    return tf.boolean_mask(candidates, keep).numpy()


def grid_bins(grid: float = FULL_GRID, low: float = FULL_RANGE[0],
              high: float = FULL_RANGE[1]) -> tf.Tensor:
    """Centres ``[Q, 2]`` of the cells of size ``grid`` tiling ``[low, high)`` on a and b."""
    cells = round((high - low) / grid)
    if cells < 1 or not math.isclose(cells * grid, high - low):
        raise ValueError(f"bins range [{low}, {high}) is not a whole number of {grid}-cells")
    return lattice(low + grid * (np.arange(cells) + 0.5))


def make_bins(spec: dict) -> tf.Tensor:
    """Bin centres from a preset's ``bins`` spec: ``{"kind": "gamut", "grid": 10}`` or
    ``{"kind": "grid", "grid": 12, "range": [-110, 118]}``."""
    kind = spec.get("kind", "gamut")
    if kind == "gamut":
        return gamut_bins(spec.get("grid", GAMUT_GRID))
    if kind == "grid":
        low, high = spec.get("range", FULL_RANGE)
        return grid_bins(spec.get("grid", FULL_GRID), low, high)
    raise ValueError(f"bins kind {kind!r}: expected 'gamut' or 'grid'")


def squared_distances(ab_units, centres: tf.Tensor) -> tf.Tensor:
    """Squared Euclidean distances ``[..., Q]`` from each ab (``[..., 2]``) to each centre,
    without materialising ``[..., Q, 2]`` differences."""
    ab_units = _as_units(ab_units)
    centres = tf.cast(centres, tf.float32)
    cross = tf.tensordot(ab_units, tf.transpose(centres), axes=1)
    norms = tf.reduce_sum(tf.square(ab_units), axis=-1, keepdims=True)
    return tf.maximum(norms - 2.0 * cross + tf.reduce_sum(tf.square(centres), axis=-1), 0.0)


def nearest_bin(ab_units, centres: tf.Tensor) -> tf.Tensor:
    """Index (int32) of the closest bin centre for each ab ``[..., 2]``."""
    return tf.argmin(squared_distances(ab_units, centres), axis=-1, output_type=tf.int32)


def soft_encode(ab_units, centres: tf.Tensor, neighbours: int = NEIGHBOURS,
                sigma: float = SOFT_SIGMA) -> tuple[tf.Tensor, tf.Tensor]:
    """Zhang's soft-encoding, sparse: the ``neighbours`` nearest bins (int32, nearest first)
    and Gaussian weights ``exp(-d^2 / 2 sigma^2)`` over them, normalized to sum to 1."""
    distances = squared_distances(ab_units, centres)
    negative, indices = tf.math.top_k(-distances, k=neighbours)
    # Shifting by the nearest distance leaves the normalized weights unchanged and keeps
    # them from underflowing for ab far from every centre.
    logits = (negative - negative[..., :1]) / (2.0 * sigma * sigma)
    return indices, tf.nn.softmax(logits, axis=-1)


def bin_counts(ab_units, centres: tf.Tensor) -> tf.Tensor:
    """How many of the ab values fall nearest to each bin (float32 ``[Q]``)."""
    nearest = tf.reshape(nearest_bin(ab_units, centres), [-1])
    counts = tf.math.bincount(nearest, minlength=tf.shape(centres)[0],
                              maxlength=tf.shape(centres)[0])
    return tf.cast(counts, tf.float32)


def smooth_prior(counts: tf.Tensor, centres: tf.Tensor,
                 sigma: float = PRIOR_SIGMA) -> tf.Tensor:
    """The empirical bin distribution smoothed in ab space: each bin's mass is spread over
    the bins with a Gaussian kernel of ``sigma`` Lab units (mass-preserving), sums to 1."""
    counts = tf.cast(counts, tf.float32)
    kernel = tf.exp(-squared_distances(centres, centres) / (2.0 * sigma * sigma))
    kernel = kernel / tf.reduce_sum(kernel, axis=1, keepdims=True)  # row r: where r's mass goes
    smoothed = tf.linalg.matvec(kernel, counts, transpose_a=True)
    return smoothed / tf.reduce_sum(smoothed)


def rebalancing_weights(prior: tf.Tensor, lam: float = REBALANCE_LAMBDA) -> tf.Tensor:
    """Zhang's class-rebalancing weights ``w ∝ ((1 - lam) p + lam / Q)^-1``, scaled so that
    their expectation under ``prior`` is 1; rare colours get large weights."""
    prior = tf.cast(prior, tf.float32)
    bins = tf.cast(tf.shape(prior)[0], tf.float32)
    weights = 1.0 / ((1.0 - lam) * prior + lam / bins)
    return weights / tf.reduce_sum(prior * weights)


def decode_mode(logits: tf.Tensor, centres: tf.Tensor) -> tf.Tensor:
    """The centre of the most probable bin (Li and Wang §4.1.2, Tran and Ly 2024 'centroid')."""
    return tf.gather(tf.cast(centres, tf.float32), tf.argmax(logits, axis=-1))


def decode_mean(logits: tf.Tensor, centres: tf.Tensor) -> tf.Tensor:
    """The expectation of the bin centres under the predicted distribution."""
    return decode_annealed(logits, centres, 1.0)


def decode_annealed(logits: tf.Tensor, centres: tf.Tensor,
                    temperature: float = ANNEAL_TEMPERATURE) -> tf.Tensor:
    """Annealed mean (Li and Wang §4.1.3): the mean under ``f_T(z) ∝ exp(log z / T)``, which
    for ``z = softmax(logits)`` is ``softmax(logits / T)``. T=1 is the mean, T->0 the mode."""
    if isinstance(temperature, (int, float)) and temperature <= 0:
        raise ValueError(f"--temperature={temperature}: expected a positive number")
    probabilities = tf.nn.softmax(tf.cast(logits, tf.float32) / temperature, axis=-1)
    return tf.tensordot(probabilities, tf.cast(centres, tf.float32), axes=1)


def decode_topk(logits: tf.Tensor, centres: tf.Tensor, k: int = TOP_K) -> tf.Tensor:
    """Tran and Ly's 'softmax' decoding: the centres of the ``k`` most probable bins weighted
    by their softmax probabilities renormalized over those ``k``."""
    values, indices = tf.math.top_k(tf.cast(logits, tf.float32), k=k)
    weights = tf.nn.softmax(values, axis=-1)
    chosen = tf.gather(tf.cast(centres, tf.float32), indices)
    return tf.reduce_sum(weights[..., None] * chosen, axis=-2)


def decode(logits: tf.Tensor, centres: tf.Tensor, method: str = DEFAULT_DECODER,
           temperature: float = ANNEAL_TEMPERATURE, k: int = TOP_K) -> tf.Tensor:
    """ab in Lab units ``[..., 2]`` from bin logits ``[..., Q]`` with decoder ``method``
    (one of ``DECODERS``); ``temperature`` is for 'annealed', ``k`` for 'topk'."""
    if method == "mode":
        return decode_mode(logits, centres)
    if method == "mean":
        return decode_mean(logits, centres)
    if method == "annealed":
        return decode_annealed(logits, centres, temperature)
    if method == "topk":
        return decode_topk(logits, centres, k)
    raise ValueError(f"--decode={method!r}: expected one of {', '.join(DECODERS)}")
