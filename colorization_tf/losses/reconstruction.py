"""Reconstruction losses: pure functions of tensors.

``per_example_*`` return one value per example (mean over pixels and channels), so a
train step can average them over the *global* batch with ``global_mean`` and stay correct
under ``tf.distribute`` (Keras sums gradients across replicas).
"""

from __future__ import annotations

import tensorflow as tf


def _spatial_mean(x: tf.Tensor) -> tf.Tensor:
    return tf.reduce_mean(tf.reshape(x, [tf.shape(x)[0], -1]), axis=1)


def per_example_l1(target: tf.Tensor, prediction: tf.Tensor) -> tf.Tensor:
    """Galvão et al. eq. 1 per image: mean |h(x) - y| over pixels and channels."""
    return _spatial_mean(tf.abs(tf.cast(prediction, tf.float32) - tf.cast(target, tf.float32)))


def per_example_l2(target: tf.Tensor, prediction: tf.Tensor) -> tf.Tensor:
    """Galvão et al. eq. 2 per image: mean (h(x) - y)^2 over pixels and channels."""
    diff = tf.cast(prediction, tf.float32) - tf.cast(target, tf.float32)
    return _spatial_mean(tf.square(diff))


RECONSTRUCTION = {"l1": per_example_l1, "l2": per_example_l2}


def reconstruction_loss(name: str):
    """The per-example reconstruction loss called ``name`` ('l1' or 'l2')."""
    try:
        return RECONSTRUCTION[name]
    except KeyError:
        raise ValueError(f"loss {name!r}: expected one of {sorted(RECONSTRUCTION)}") from None


def global_mean(per_example: tf.Tensor) -> tf.Tensor:
    """Mean over the global batch: each replica divides its sum by the global batch size."""
    return tf.nn.compute_average_loss(per_example)
