"""Adversarial loss functions: pure functions of tensors, one value per example.

Discriminator outputs are logits (one per patch or one per image); each function averages
over patches so a train step can average over the global batch with
``losses.global_mean``. Galvão et al. eq. 5-7 (non-saturating GAN, auxiliary classifier) and
Tran and Ly's WGAN-GP (Gulrajani et al. 2017).
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf


def _per_example_mean(x: tf.Tensor) -> tf.Tensor:
    x = tf.cast(x, tf.float32)
    return tf.reduce_mean(tf.reshape(x, [tf.shape(x)[0], -1]), axis=1)


def _bce_with_target(logits: tf.Tensor, target: float) -> tf.Tensor:
    logits = tf.cast(logits, tf.float32)
    labels = tf.fill(tf.shape(logits), tf.constant(target, tf.float32))
    return _per_example_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels, logits))


def discriminator_real(real_logits: tf.Tensor, real_target: float = 1.0) -> tf.Tensor:
    """Eq. 6, real term: -log D(y|x), or the cross-entropy to ``real_target`` (0.9 =
    one-sided label smoothing; the fake target stays 0)."""
    return _bce_with_target(real_logits, real_target)


def discriminator_fake(fake_logits: tf.Tensor) -> tf.Tensor:
    """Eq. 6, fake term: -log(1 - D(G(x)|x))."""
    return _bce_with_target(fake_logits, 0.0)


def generator_adversarial(fake_logits: tf.Tensor) -> tf.Tensor:
    """Eq. 5, adversarial term (non-saturating): -log D(G(x)|x)."""
    return _bce_with_target(fake_logits, 1.0)


def classifier_cross_entropy(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Eq. 7's CE: softmax cross-entropy of the auxiliary classifier, per example."""
    return tf.nn.sparse_softmax_cross_entropy_with_logits(
        tf.cast(labels, tf.int32), tf.cast(logits, tf.float32))


def critic_wasserstein(real_scores: tf.Tensor, fake_scores: tf.Tensor) -> tf.Tensor:
    """WGAN critic loss per example: C(fake) - C(real) (the critic maximises the gap)."""
    return _per_example_mean(fake_scores) - _per_example_mean(real_scores)


def generator_wasserstein(fake_scores: tf.Tensor) -> tf.Tensor:
    """WGAN generator loss per example: -C(G(x))."""
    return -_per_example_mean(fake_scores)


def gradient_penalty(critic: Callable[[tf.Tensor], tf.Tensor], real: tf.Tensor,
                     fake: tf.Tensor, epsilon: tf.Tensor) -> tf.Tensor:
    """WGAN-GP penalty per example: (||grad_x C(x_hat)||_2 - 1)^2 at
    x_hat = epsilon * real + (1 - epsilon) * fake, ``epsilon`` of shape [B,1,1,1] in [0,1].

    ``real``/``fake`` are the critic's inputs (e.g. concat(L, ab)); call inside the outer
    tape so the penalty's gradient reaches the critic's weights (double back-prop).
    """
    real = tf.cast(real, tf.float32)
    fake = tf.cast(fake, tf.float32)
    mixed = epsilon * real + (1.0 - epsilon) * fake
    with tf.GradientTape() as tape:
        tape.watch(mixed)
        scores = tf.cast(critic(mixed), tf.float32)
    grads = tape.gradient(scores, mixed)  # d(sum of scores): each example's own gradient
    norms = tf.sqrt(tf.reduce_sum(tf.square(tf.reshape(grads, [tf.shape(grads)[0], -1])),
                                  axis=1) + 1e-12)
    return tf.square(norms - 1.0)
