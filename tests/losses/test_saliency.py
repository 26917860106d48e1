"""Sarkar et al.'s generator and discriminator losses on tiny tensors worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf

from colorization_tf.losses import saliency as losses

# Two examples of 1x2 pixels.
RGB_TRUE = tf.constant([[[[0.5, -0.5, 1.0], [0.0, 0.0, 0.0]]],
                        [[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]]])
RGB_PRED = tf.constant([[[[0.0, -0.5, 0.5], [1.0, 0.0, -1.0]]],
                        [[[0.25, 0.25, 0.25], [0.25, 0.25, 0.25]]]])
SALIENCY_TRUE = tf.constant([[[[1.0], [0.0]]], [[[0.5], [0.5]]]])
SALIENCY_PRED = tf.constant([[[[0.5], [1.0]]], [[[0.0], [1.0]]]])
LOG3 = math.log(3.0)  # sigmoid(log 3) = 0.75, sigmoid(-log 3) = 0.25
FAKE_LOGITS = tf.constant([[[[0.0], [0.0]]], [[[LOG3], [LOG3]]]])
REAL_LOGITS = tf.constant([[[[LOG3], [LOG3]]], [[[-LOG3], [-LOG3]]]])


def test_rgb_l1():
    # |diff| = (.5, 0, .5, 1, 0, 1) -> 3 / 6; all six differences are .25.
    np.testing.assert_allclose(losses.per_example_rgb_l1(RGB_TRUE, RGB_PRED), [0.5, 0.25])


def test_saliency_weighted_l1_with_generated_saliency():
    # Example 0: true weighted (.5, -.5, 1), (0, 0, 0); generated 0.5 * (0, -.5, .5) and
    # 1 * (1, 0, -1) -> |diff| = (.5, .25, .75, 1, 0, 1) = 3.5 / 6.
    # Example 1: true weighted 0; generated 0 * .25 (x3) and 1 * .25 (x3) -> .75 / 6.
    value = losses.per_example_saliency_weighted_l1(RGB_TRUE, RGB_PRED, SALIENCY_TRUE,
                                                    SALIENCY_PRED)
    np.testing.assert_allclose(value, [3.5 / 6, 0.125], rtol=1e-6)


def test_saliency_weighted_l1_with_one_map():
    # Example 0: pixel 0 |(0, -.5, .5) - (.5, -.5, 1)| = (.5, 0, .5), pixel 1 weight 0 -> 1/6.
    # Example 1: .5 * |.25 - 0| on all six -> .125.
    value = losses.per_example_saliency_weighted_l1(RGB_TRUE, RGB_PRED, SALIENCY_TRUE)
    np.testing.assert_allclose(value, [1 / 6, 0.125], rtol=1e-6)


def test_saliency_map_l1():
    # |(.5, 1) - (1, 0)| = (.5, 1) -> .75; |(0, 1) - (.5, .5)| = (.5, .5) -> .5.
    value = losses.per_example_saliency_map_l1(SALIENCY_TRUE, SALIENCY_PRED)
    np.testing.assert_allclose(value, [0.75, 0.5])


def test_gan_terms_use_the_sigmoid_of_logits():
    # Generator: -mean sigmoid(fake) = -.5 and -.75.
    np.testing.assert_allclose(losses.per_example_generator_gan(FAKE_LOGITS), [-0.5, -0.75],
                               rtol=1e-6)
    # Discriminator: mean sigmoid(fake) - mean sigmoid(real) = .5 - .75 and .75 - .25.
    np.testing.assert_allclose(losses.per_example_discriminator(REAL_LOGITS, FAKE_LOGITS),
                               [-0.25, 0.5], rtol=1e-6)


def test_generator_total_uses_the_seed_weights():
    terms = losses.per_example_generator_losses(RGB_TRUE, RGB_PRED, SALIENCY_TRUE,
                                                SALIENCY_PRED, FAKE_LOGITS)
    assert set(terms) == {"l1", "gan", "saliency_weighted_l1", "saliency_map_l1", "total"}
    # 1 * l1 + 0.5 * gan + 0.05 * weighted + 0.05 * map
    expected = [0.5 + 0.5 * -0.5 + 0.05 * 3.5 / 6 + 0.05 * 0.75,
                0.25 + 0.5 * -0.75 + 0.05 * 0.125 + 0.05 * 0.5]
    np.testing.assert_allclose(terms["total"], expected, rtol=1e-6)
    assert (losses.L1_WEIGHT, losses.GAN_WEIGHT, losses.SALIENCY_WEIGHT) == (1.0, 0.5, 0.05)
    only_l1 = losses.per_example_generator_losses(
        RGB_TRUE, RGB_PRED, SALIENCY_TRUE, SALIENCY_PRED, FAKE_LOGITS, gan_weight=0.0,
        saliency_weight=0.0, saliency_map_weight=0.0)
    np.testing.assert_allclose(only_l1["total"], [0.5, 0.25])


@pytest.mark.compiled
def test_losses_compile_take_half_precision_and_train_the_saliency_channel():
    saliency_pred = tf.Variable(tf.cast(SALIENCY_PRED, tf.float16))

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            terms = losses.per_example_generator_losses(
                tf.cast(RGB_TRUE, tf.bfloat16), tf.cast(RGB_PRED, tf.float16), SALIENCY_TRUE,
                saliency_pred, tf.cast(FAKE_LOGITS, tf.float16))
            total = tf.reduce_mean(terms["total"])
        return terms, tape.gradient(total, saliency_pred)

    terms, gradient = step()
    assert all(value.dtype == tf.float32 and value.shape == (2,) for value in terms.values())
    np.testing.assert_allclose(terms["saliency_weighted_l1"], [3.5 / 6, 0.125], rtol=1e-3)
    assert gradient is not None and np.any(gradient.numpy() != 0)
