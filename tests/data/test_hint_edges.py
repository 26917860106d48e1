"""Edges of the hint simulation that mutation testing showed unguarded: the Gaussian
locations' spread (the share of corners within one standard deviation, which clipping at
two does not touch), the documented key of every example's draws, the location law
reaching the sampler, float64 input, and the global hint's static shape in a traced
pipeline."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf

from colorization_tf.data import hints


def test_gaussian_corners_have_a_quarter_span_standard_deviation():
    shares = []
    for seed in range(3):
        points = hints.draw_points([seed, 7], 256, 256, locations="gaussian", count=3000)
        span = 256 - points["sizes"].numpy()[:, None] + 1
        where = (points["corners"].numpy() + 0.5) / span
        shares.append(np.mean(np.abs(where - 0.5) < 0.25))
    # within one sigma of a normal: 68.3%; a fifth of the span instead would give 78.9%
    expected = math.erf(1 / math.sqrt(2))
    assert abs(np.mean(shares) - expected) < 0.015, shares


def test_each_examples_draws_are_keyed_by_seed_times_16_plus_salt_and_position():
    ab = tf.random.stateless_uniform([3, 12, 12, 2], seed=[0, 1], minval=-0.5, maxval=0.5)
    positions = tf.constant([5, 0, 11], tf.int64)
    batch = hints.add_simulated_hints({"ab": ab}, positions, seed=2, salt=3,
                                      with_global=True, global_drop=0.5)
    for i, position in enumerate(positions.numpy()):
        key = tf.constant([2 * 16 + 3, position], tf.int64)
        hint_ab, hint_mask = hints.simulate_hints(ab[i], key)
        np.testing.assert_array_equal(batch["hint_ab"][i], hint_ab)
        np.testing.assert_array_equal(batch["hint_mask"][i], hint_mask)
        np.testing.assert_array_equal(batch["hint_global"][i],
                                      hints.simulated_global_hint(ab[i], key, 0.5))


@pytest.mark.compiled  # traced, as tf.data traces it
def test_the_global_hint_keeps_its_static_size_in_a_traced_pipeline():
    @tf.function(input_signature=[tf.TensorSpec([None, 8, 8, 2], tf.float32),
                                  tf.TensorSpec([None], tf.int64)])
    def traced(ab, positions):
        out = hints.add_simulated_hints({"ab": ab}, positions, seed=0, salt=3,
                                        with_global=True)
        assert out["hint_global"].shape.as_list() == [None, hints.global_hint_size()]
        assert out["hint_ab"].shape.as_list() == [None, 8, 8, 2]
        return out["hint_global"]

    found = traced(tf.zeros([2, 8, 8, 2]), tf.constant([0, 1], tf.int64))
    assert found.shape == (2, hints.global_hint_size())


def test_simulate_hints_draws_with_the_location_law_it_is_given():
    ab = tf.random.stateless_uniform([40, 40, 2], seed=[3, 4], minval=-0.5, maxval=0.5)
    for locations in ("gaussian", "uniform", "distinct"):
        points = hints.draw_points([9, 9], 40, 40, locations=locations, count=6)
        expected = hints.rasterise(ab, points["corners"], points["sizes"], points["active"])
        found = hints.simulate_hints(ab, [9, 9], locations=locations, count=6)
        for want, got in zip(expected, found, strict=True):
            np.testing.assert_array_equal(got, want)
    uniform = hints.simulate_hints(ab, [9, 9], locations="uniform", count=6)[1]
    gaussian = hints.simulate_hints(ab, [9, 9], locations="gaussian", count=6)[1]
    assert not np.array_equal(uniform, gaussian)


def test_float64_ab_gives_the_float32_hints_of_its_values():
    ab64 = np.random.default_rng(0).uniform(-0.5, 0.5, (10, 10, 2))
    ab32 = ab64.astype(np.float32)
    global64, global32 = hints.global_hint(ab64), hints.global_hint(ab32)
    assert global64.dtype == tf.float32
    np.testing.assert_allclose(global64, global32, atol=1e-6)
    for got, want in zip(hints.simulate_hints(ab64, [1, 2], count=5),
                         hints.simulate_hints(ab32, [1, 2], count=5), strict=True):
        assert got.dtype == tf.float32
        np.testing.assert_allclose(got, want, atol=1e-6)
