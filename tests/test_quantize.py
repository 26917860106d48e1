"""ab bins, soft-encoding, rebalancing and decoders, against numpy and scikit-image."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import tensorflow as tf
from skimage import color as skcolor

from colorization_tf.color import quantize

BIN_SETS = {"gamut": (lambda: quantize.gamut_bins(10), 10.0),
            "grid": (lambda: quantize.grid_bins(12, -110, 118), 12.0)}


@pytest.fixture(params=sorted(BIN_SETS))
def bins(request):
    make, grid = BIN_SETS[request.param]
    return make().numpy(), grid


def test_bin_counts_and_lattice():
    gamut = quantize.gamut_bins(10).numpy()
    grid = quantize.grid_bins(12, -110, 118).numpy()
    assert gamut.shape == (229, 2) and grid.shape == (361, 2)
    assert np.all(gamut % 10 == 0)
    assert grid.min() == -104 and grid.max() == 112  # cell centres of [-110, 118)
    assert quantize.make_bins({"kind": "grid", "grid": 12, "range": [-110, 118]}).shape[0] == 361
    with pytest.raises(ValueError, match="whole number"):
        quantize.grid_bins(12, -110, 120)


def _skimage_in_gamut(centres: np.ndarray) -> np.ndarray:
    """True where a centre's colour is in sRGB for one of the lightness values the project
    samples: scikit-image's lab2rgb clips out-of-gamut colours, so those fail to round-trip."""
    lightness = np.linspace(0, 100, quantize.GAMUT_LIGHTNESS_STEPS)
    lab = np.concatenate([np.broadcast_to(lightness[None, :, None], (len(centres), len(lightness), 1)),
                          np.broadcast_to(centres[:, None, :], (len(centres), len(lightness), 2))],
                         axis=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = skcolor.rgb2lab(skcolor.lab2rgb(lab))
    return np.any(np.abs(back - lab).max(-1) < 1e-3, axis=1)


def test_gamut_bins_match_scikit_image():
    candidates = quantize.gamut_candidates(10).numpy()
    kept = quantize.gamut_bins(10).numpy()
    inside = {tuple(c) for c in kept}
    reference = _skimage_in_gamut(candidates)
    expected = {tuple(c) for c, ok in zip(candidates, reference, strict=True) if ok}
    assert inside == expected
    assert len(candidates) > len(kept)  # some lattice points really are dropped


def _soft_encode_dense(ab_units, centres, neighbours=quantize.NEIGHBOURS,
                       sigma=quantize.SOFT_SIGMA) -> tf.Tensor:
    """``quantize.soft_encode`` spread over all bins ``[..., Q]``."""
    indices, weights = quantize.soft_encode(ab_units, centres, neighbours, sigma)
    one_hot = tf.one_hot(indices, tf.shape(centres)[0], dtype=tf.float32)
    return tf.reduce_sum(one_hot * weights[..., None], axis=-2)


def test_mode_of_encoded_centres_is_exact(bins):
    centres, _ = bins
    encoded = _soft_encode_dense(centres, centres)
    decoded = quantize.decode_mode(tf.math.log(encoded + 1e-12), centres).numpy()
    np.testing.assert_array_equal(decoded, centres)


def test_mode_of_encoded_ab_is_within_half_a_bin(bins):
    centres, grid = bins
    rng = np.random.default_rng(0)
    ab = centres[rng.integers(len(centres), size=500)] + rng.uniform(-grid / 2, grid / 2,
                                                                    (500, 2))
    encoded = _soft_encode_dense(ab.astype(np.float32), centres)
    decoded = quantize.decode_mode(tf.math.log(encoded + 1e-12), centres).numpy()
    assert np.linalg.norm(decoded - ab, axis=-1).max() <= grid * math.sqrt(2) / 2 + 1e-4


def test_soft_encoding_five_nearest_gaussian(bins):
    centres, _ = bins
    rng = np.random.default_rng(1)
    ab = rng.uniform(-100, 100, (4, 3, 2)).astype(np.float32)
    dense = _soft_encode_dense(ab, centres, neighbours=5, sigma=5.0).numpy()
    assert dense.shape == (4, 3, len(centres))
    np.testing.assert_array_equal((dense > 0).sum(-1), 5)
    np.testing.assert_allclose(dense.sum(-1), 1.0, rtol=1e-6)
    distances = np.linalg.norm(ab[..., None, :] - centres, axis=-1)
    np.testing.assert_array_equal(dense.argmax(-1), distances.argmin(-1))
    # Hand computation for one pixel: Gaussian of the 5 smallest distances, normalized.
    d = distances[2, 1]
    nearest = np.argsort(d)[:5]
    weights = np.exp(-d[nearest] ** 2 / 50.0)
    np.testing.assert_allclose(dense[2, 1, nearest], weights / weights.sum(), rtol=1e-4,
                               atol=1e-6)


def test_soft_encoding_far_from_every_bin_is_finite():
    centres = quantize.grid_bins(12, -110, 118)
    _, weights = quantize.soft_encode([[127.0, -128.0]], centres)
    assert np.all(np.isfinite(weights.numpy())) and weights.numpy()[0, 0] > 0.2


def test_rebalancing_weights():
    prior = np.random.default_rng(2).dirichlet(np.full(50, 0.3)).astype(np.float32)
    weights = quantize.rebalancing_weights(prior, 0.5).numpy()
    assert np.sum(prior * weights) == pytest.approx(1.0, rel=1e-5)
    order = np.argsort(prior)
    assert np.all(np.diff(weights[order]) <= 1e-6)  # rarer bins, larger weights
    assert weights[order[0]] > weights[order[-1]] * 2
    expected = 1.0 / (0.5 * prior + 0.5 / 50)
    np.testing.assert_allclose(weights, expected / np.sum(prior * expected), rtol=1e-5)
    np.testing.assert_allclose(quantize.rebalancing_weights(prior, 1.0).numpy(), 1.0, rtol=1e-5)


def test_smooth_prior_spreads_mass_with_the_gaussian():
    centres = quantize.grid_bins(10, -50, 50)  # 10 x 10 cells, centres -45 ... 45
    counts = np.zeros(100, np.float32)
    centre = 4 * 10 + 4  # a = -5, b = -5: an interior bin
    counts[centre] = 7.0
    prior = quantize.smooth_prior(counts, centres, sigma=5.0).numpy()
    assert prior.sum() == pytest.approx(1.0, rel=1e-6)
    # Neighbours 10 units away get exp(-10^2 / (2 * 5^2)) = e^-2 of the centre's share.
    for neighbour in (centre - 1, centre + 1, centre - 10, centre + 10):
        assert prior[neighbour] / prior[centre] == pytest.approx(math.exp(-2.0), rel=1e-5)
    assert prior[centre + 11] / prior[centre] == pytest.approx(math.exp(-4.0), rel=1e-5)


def test_bin_counts_hand_example():
    centres = tf.constant([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    ab = tf.constant([[[1.0, 1.0], [9.0, 0.0]], [[2.0, 8.0], [-3.0, 0.0]]])
    np.testing.assert_array_equal(quantize.bin_counts(ab, centres).numpy(), [2, 1, 1])


def _random_logits(bins: int) -> np.ndarray:
    rng = np.random.default_rng(3)
    return (rng.normal(size=(2, 3, bins)) * 3).astype(np.float32)


def test_decoders_against_numpy(bins):
    centres, _ = bins
    logits = _random_logits(len(centres))
    probabilities = np.exp(logits - logits.max(-1, keepdims=True))
    probabilities /= probabilities.sum(-1, keepdims=True)
    mode = centres[logits.argmax(-1)]
    mean = probabilities @ centres
    np.testing.assert_array_equal(quantize.decode(logits, centres, "mode").numpy(), mode)
    np.testing.assert_allclose(quantize.decode(logits, centres, "mean").numpy(), mean,
                               rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(quantize.decode_annealed(logits, centres, 1.0).numpy(), mean,
                               rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(quantize.decode_annealed(logits, centres, 1e-3).numpy(), mode,
                               atol=1e-3)
    np.testing.assert_array_equal(quantize.decode_topk(logits, centres, 1).numpy(), mode)
    np.testing.assert_allclose(quantize.decode_topk(logits, centres, len(centres)).numpy(),
                               mean, rtol=1e-4, atol=1e-3)
    top = np.argsort(-logits, axis=-1)[..., :3]
    chosen = np.take_along_axis(probabilities, top, -1)
    expected = (chosen[..., None] * centres[top]).sum(-2) / chosen.sum(-1, keepdims=True)
    np.testing.assert_allclose(quantize.decode(logits, centres, "topk", k=3).numpy(), expected,
                               rtol=1e-4, atol=1e-3)
    annealed = quantize.decode(logits, centres, "annealed", temperature=0.38).numpy()
    assert np.linalg.norm(annealed, axis=-1).mean() > np.linalg.norm(mean, axis=-1).mean()


def test_decode_rejects_bad_arguments():
    centres = quantize.grid_bins()
    logits = tf.zeros([1, 361])
    with pytest.raises(ValueError, match="--decode='median'"):
        quantize.decode(logits, centres, "median")
    with pytest.raises(ValueError, match="--temperature"):
        quantize.decode(logits, centres, "annealed", temperature=0.0)
    assert quantize.DEFAULT_DECODER in quantize.DECODERS


def test_make_bins_reads_each_key_of_the_spec():
    """A preset's ``bins`` spec: every key it gives is used (not the default)."""
    np.testing.assert_array_equal(quantize.make_bins({"kind": "gamut", "grid": 20}),
                                  quantize.gamut_bins(20))
    assert quantize.make_bins({"kind": "gamut", "grid": 20}).shape[0] < 229
    small = quantize.make_bins({"kind": "grid", "grid": 5, "range": [-10, 10]}).numpy()
    want = [(a, b) for a in (-7.5, -2.5, 2.5, 7.5) for b in (-7.5, -2.5, 2.5, 7.5)]
    np.testing.assert_array_equal(small, np.array(want, np.float32))


def test_a_grid_of_one_cell_has_one_centre():
    np.testing.assert_array_equal(quantize.grid_bins(10, 0, 10), [[5.0, 5.0]])
    with pytest.raises(ValueError, match="whole number"):
        quantize.grid_bins(10, 0, 4)


@pytest.mark.parametrize("grid", [1, 8, 43])
def test_gamut_candidates_are_every_multiple_inside_the_ab_byte_range(grid):
    """Multiples of ``grid`` in [-128, 127], by counting (-128 is one when grid divides it,
    128 never is)."""
    values = np.unique(quantize.gamut_candidates(grid).numpy())
    want = [v for v in range(-128, 128) if v % grid == 0]
    np.testing.assert_array_equal(values, want)
    assert quantize.gamut_candidates(grid).shape == (len(want) ** 2, 2)


def test_float64_input_is_taken_as_float32():
    """numpy's float64 (the default of np.array) works as well as float32 does."""
    bins = quantize.grid_bins(12, -110, 118)
    ab = np.array([[3.0, -40.0], [100.0, 5.0]])
    np.testing.assert_array_equal(quantize.nearest_bin(ab, bins),
                                  quantize.nearest_bin(ab.astype(np.float32), bins))
    lab = np.array([[50.0, 10.0, 10.0], [50.0, 100.0, -100.0]])
    np.testing.assert_array_equal(quantize.in_srgb_gamut(lab), [True, False])


def test_in_gamut_means_moved_strictly_less_than_the_tolerance():
    """A colour whose round trip moves it by exactly the tolerance is out; a hair more
    tolerance lets it in."""
    from colorization_tf import color

    lab = tf.constant([[60.0, 20.0, -30.0]])
    moved = float(tf.reduce_max(tf.abs(color.rgb_to_lab(color.lab_to_rgb(lab)) - lab)))
    assert moved > 0.0
    assert not bool(quantize.in_srgb_gamut(lab, tolerance=moved)[0])
    assert bool(quantize.in_srgb_gamut(lab, tolerance=float(np.nextafter(
        np.float32(moved), np.float32(1.0))))[0])
