"""Properties of ab quantization (color/quantize.py) over generated ab values and logits
(hypothesis), against numpy written from the definitions: squared distances and the
nearest bin by brute force; soft-encoding's neighbours are the nearest bins, its weights
a normalized Gaussian; encode -> decode returns a point within half a cell's diagonal;
decoders' defaults and every error message exact."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from colorization_tf.color import quantize

# Tran and Ly's 361 centres (cells of 12 over [-110, 118)), built with numpy: no TensorFlow
# op runs when the module is imported (mutmut forks mutants from a process that imported it)
_CENTRES = -110.0 + 12.0 * (np.arange(19) + 0.5)
GRID = np.stack(np.meshgrid(_CENTRES, _CENTRES, indexing="ij"), -1).reshape(-1, 2)
GRID = GRID.astype(np.float32)
ab_values = hnp.arrays(np.float32, st.tuples(st.integers(1, 6), st.just(2)),
                       elements=st.floats(-110.0, 117.0, allow_nan=False, width=32,
                                          allow_subnormal=False))


def _distances(ab: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return ((ab[:, None, :].astype(np.float64) - centres[None]) ** 2).sum(-1)


@given(ab=ab_values)
def test_distances_and_nearest_bin_are_brute_force(ab):
    want = _distances(ab, GRID)
    got = quantize.squared_distances(ab, GRID).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=0.05)
    assert got.min() >= 0.0
    nearest = quantize.nearest_bin(ab, GRID).numpy()
    assert nearest.dtype == np.int32
    # the chosen bin is as near as the nearest (ties may pick either)
    np.testing.assert_allclose(want[np.arange(len(ab)), nearest], want.min(-1), atol=0.05)


@given(ab=ab_values, neighbours=st.integers(1, 8), sigma=st.floats(1.0, 20.0))
def test_soft_encoding_is_a_gaussian_over_the_nearest_bins(ab, neighbours, sigma):
    indices, weights = quantize.soft_encode(ab, GRID, neighbours=neighbours, sigma=sigma)
    indices, weights = indices.numpy(), weights.numpy().astype(np.float64)
    assert indices.shape == weights.shape == (len(ab), neighbours)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
    distances = _distances(ab, GRID)
    chosen = np.take_along_axis(distances, indices, -1)
    kth = np.sort(distances, -1)[:, neighbours - 1]
    assert np.all(chosen <= kth[:, None] + 0.05)  # the nearest ones, nearest first
    assert np.all(np.diff(chosen, axis=-1) >= -0.05)
    gaussian = np.exp(-(chosen - chosen[:, :1]) / (2 * sigma * sigma))
    np.testing.assert_allclose(weights, gaussian / gaussian.sum(-1, keepdims=True),
                               rtol=1e-3, atol=1e-5)
    assert all(len(set(row)) == neighbours for row in indices.tolist())  # distinct bins


def _dense(ab: np.ndarray) -> np.ndarray:
    """soft_encode as a distribution over all bins (what the classification loss reads)."""
    indices, weights = quantize.soft_encode(ab, GRID)
    dense = np.zeros((len(ab), len(GRID)), np.float32)
    np.put_along_axis(dense, indices.numpy(), weights.numpy(), -1)
    return dense


@given(ab=ab_values)
def test_encode_then_decode_stays_within_half_a_cell(ab):
    logits = tf.math.log(_dense(ab) + 1e-12)
    half_diagonal = 12 * math.sqrt(2) / 2 + 1e-3
    for method in ("mode", "topk", "annealed"):
        decoded = quantize.decode(logits, GRID, method).numpy()
        if method == "mode":
            assert np.linalg.norm(decoded - ab, axis=-1).max() <= half_diagonal
        else:  # a blend of the 5 nearest centres: within the next ring of cells
            assert np.linalg.norm(decoded - ab, axis=-1).max() <= 2 * half_diagonal


@given(logits=hnp.arrays(np.float32, (3, 361),
                         elements=st.floats(-20, 20, allow_nan=False, width=32,
                                             allow_subnormal=False)),  # oneDNN flushes them
       temperature=st.floats(0.05, 3.0))
def test_decoders_are_expectations_under_their_distributions(logits, temperature):
    scaled = logits.astype(np.float64) / temperature
    p = np.exp(scaled - scaled.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    np.testing.assert_allclose(quantize.decode_annealed(logits, GRID, temperature).numpy(),
                               p @ GRID, atol=2e-2)
    np.testing.assert_allclose(quantize.decode(logits, GRID, "annealed",
                                               temperature=temperature).numpy(),
                               p @ GRID, atol=2e-2)
    mode = quantize.decode(logits, GRID, "mode").numpy()
    assert np.all(np.isin(mode, GRID))
    np.testing.assert_array_equal(mode, GRID[np.argmax(logits, -1)])


def test_decode_defaults():
    logits = np.random.default_rng(0).normal(size=(2, 361)).astype(np.float32) * 4
    assert quantize.DEFAULT_DECODER == "annealed" and quantize.ANNEAL_TEMPERATURE == 0.38
    np.testing.assert_allclose(quantize.decode(logits, GRID).numpy(),
                               quantize.decode_annealed(logits, GRID, 0.38).numpy(), atol=1e-5)
    np.testing.assert_allclose(quantize.decode(logits, GRID, "topk").numpy(),
                               quantize.decode_topk(logits, GRID, 5).numpy(), atol=1e-5)
    np.testing.assert_allclose(quantize.decode_annealed(logits, GRID).numpy(),
                               quantize.decode_annealed(logits, GRID, 0.38).numpy(), atol=1e-5)
    np.testing.assert_allclose(quantize.decode_topk(logits, GRID).numpy(),
                               quantize.decode_topk(logits, GRID, 5).numpy(), atol=1e-5)
    np.testing.assert_allclose(quantize.decode_mean(logits, GRID).numpy(),
                               quantize.decode_annealed(logits, GRID, 1.0).numpy(), atol=1e-5)
    indices, _ = quantize.soft_encode(np.zeros((1, 2), np.float32), GRID)
    assert indices.shape == (1, quantize.NEIGHBOURS) == (1, 5)


@pytest.mark.parametrize("call, message", [
    (lambda: quantize.decode(tf.zeros([1, 361]), GRID, "median"),
     "--decode='median': expected one of annealed, mode, mean, topk"),
    (lambda: quantize.decode_annealed(tf.zeros([1, 361]), GRID, 0.0),
     "--temperature=0.0: expected a positive number"),
    (lambda: quantize.decode_annealed(tf.zeros([1, 361]), GRID, -1),
     "--temperature=-1: expected a positive number"),
    (lambda: quantize.grid_bins(12, -110, 120),
     "bins range [-110, 120) is not a whole number of 12-cells"),
    (lambda: quantize.grid_bins(12, 0, 0), "bins range [0, 0) is not a whole number of 12-cells"),
    (lambda: quantize.make_bins({"kind": "hex"}), "bins kind 'hex': expected 'gamut' or 'grid'"),
])
def test_errors_name_the_setting(call, message):
    with pytest.raises(ValueError) as error:
        call()
    assert str(error.value) == message


def test_make_bins_defaults_and_grid_layout():
    np.testing.assert_array_equal(quantize.grid_bins(12, -110, 118).numpy(), GRID)
    np.testing.assert_array_equal(quantize.make_bins({"kind": "grid"}).numpy(), GRID)
    np.testing.assert_array_equal(quantize.make_bins({}).numpy(),
                                  quantize.gamut_bins(10).numpy())
    np.testing.assert_array_equal(quantize.make_bins({"kind": "gamut", "grid": 10}).numpy(),
                                  quantize.gamut_bins().numpy())
    np.testing.assert_array_equal(quantize.grid_bins().numpy(), GRID)
    assert GRID[0].tolist() == [-104.0, -104.0] and GRID[1].tolist() == [-104.0, -92.0]
    lattice = quantize.lattice(np.array([1.0, 2.0])).numpy()
    assert lattice.tolist() == [[1.0, 1.0], [1.0, 2.0], [2.0, 1.0], [2.0, 2.0]]
    candidates = quantize.gamut_candidates(10).numpy()
    assert candidates.min() == -120 and candidates.max() == 120 and len(candidates) == 25 ** 2


def test_in_srgb_gamut_at_the_tolerance():
    inside = tf.constant([[50.0, 0.0, 0.0], [53.24, 80.09, 67.20]])  # gray, sRGB red
    outside = tf.constant([[50.0, 120.0, 0.0], [95.0, -100.0, 100.0]])
    assert quantize.in_srgb_gamut(inside).numpy().tolist() == [True, True]
    assert quantize.in_srgb_gamut(outside).numpy().tolist() == [False, False]
    assert quantize.GAMUT_TOLERANCE == 0.01
    # red moves ~0.01 Lab units through the float32 round trip: a looser bound accepts it
    assert quantize.in_srgb_gamut(outside, tolerance=1000.0).numpy().tolist() == [True, True]


def test_bin_counts_cover_every_bin_and_sum_to_the_values():
    ab = np.random.default_rng(5).uniform(-100, 100, (7, 9, 2)).astype(np.float32)
    counts = quantize.bin_counts(ab, GRID).numpy()
    assert counts.shape == (361,) and counts.dtype == np.float32 and counts.sum() == 63
    want = np.bincount(_distances(ab.reshape(-1, 2), GRID).argmin(-1), minlength=361)
    np.testing.assert_array_equal(counts, want)
    prior = quantize.smooth_prior(counts, GRID)
    np.testing.assert_allclose(prior.numpy().sum(), 1.0, rtol=1e-5)
    np.testing.assert_allclose(quantize.smooth_prior(counts, GRID, 5.0).numpy(), prior.numpy())
    weights = quantize.rebalancing_weights(prior).numpy()
    np.testing.assert_allclose(weights, quantize.rebalancing_weights(prior, 0.5).numpy())


@given(counts=hnp.arrays(np.float32, (361,), elements=st.sampled_from([0.0, 1.0, 5.0, 40.0])),
       sigma=st.sampled_from([3.0, 5.0, 12.0]))
def test_smooth_prior_spreads_each_bins_mass_by_its_own_gaussian(counts, sigma):
    """Each bin's count spread over the bins by a Gaussian normalized over *its own* row
    (mass-preserving, also at the lattice's edges), then the whole made to sum to 1."""
    if counts.sum() == 0:
        counts[180] = 1.0
    kernel = np.exp(-_distances(GRID, GRID) / (2 * sigma * sigma))
    kernel /= kernel.sum(axis=1, keepdims=True)
    want = kernel.T @ counts.astype(np.float64)
    np.testing.assert_allclose(quantize.smooth_prior(counts, GRID, sigma).numpy(),
                               want / want.sum(), rtol=2e-3, atol=1e-7)
