"""Sarkar et al.'s multi-path GAN losses: pure functions of tensors, one value per example.

The generator predicts RGB (in [-1, 1]) and a saliency map; saliency maps here are in
[0, 1] (``MultipathGenerator.split_output`` maps its tanh channel). The paper's
discriminator ends in a sigmoid and its losses are differences of mean probabilities
(§4): the sigmoid is applied here, to the discriminator's float32 logits.

    generator = 1 * L1(RGB) + 0.5 * GAN + 0.05 * saliency-weighted L1 (+ 0.05 * saliency map L1)

The paper names one saliency weight (lambda_sal = 0.05) and no separate weight for the
saliency-map target it says the network learns, so the map term reuses lambda_sal.
"""

from __future__ import annotations

import tensorflow as tf

L1_WEIGHT = 1.0
GAN_WEIGHT = 0.5
SALIENCY_WEIGHT = 0.05
SALIENCY_MAP_WEIGHT = 0.05


def _per_example_mean(x: tf.Tensor) -> tf.Tensor:
    x = tf.cast(x, tf.float32)
    return tf.reduce_mean(tf.reshape(x, [tf.shape(x)[0], -1]), axis=1)


def per_example_rgb_l1(rgb_true: tf.Tensor, rgb_pred: tf.Tensor) -> tf.Tensor:
    """L1 between real and generated RGB: mean |pred - true| over pixels and channels."""
    return _per_example_mean(tf.abs(tf.cast(rgb_pred, tf.float32)
                                    - tf.cast(rgb_true, tf.float32)))


def per_example_saliency_weighted_l1(rgb_true: tf.Tensor, rgb_pred: tf.Tensor,
                                     saliency: tf.Tensor,
                                     saliency_pred: tf.Tensor | None = None) -> tf.Tensor:
    """L1 between saliency-weighted RGB images: mean |s_pred * pred - s * true|.

    Sarkar et al. weight the generated RGB by the *generated* saliency map and the real RGB by
    the target map, so this term also trains the saliency channel; with ``saliency_pred``
    omitted both sides use ``saliency`` (an L1 that counts salient pixels more).
    ``[B,H,W,1]`` maps broadcast over the RGB channels.
    """
    saliency = tf.cast(saliency, tf.float32)
    saliency_pred = saliency if saliency_pred is None else tf.cast(saliency_pred, tf.float32)
    weighted_true = saliency * tf.cast(rgb_true, tf.float32)
    weighted_pred = saliency_pred * tf.cast(rgb_pred, tf.float32)
    return _per_example_mean(tf.abs(weighted_pred - weighted_true))


def per_example_saliency_map_l1(saliency_true: tf.Tensor,
                                saliency_pred: tf.Tensor) -> tf.Tensor:
    """L1 between the target saliency map and the generator's saliency channel."""
    return _per_example_mean(tf.abs(tf.cast(saliency_pred, tf.float32)
                                    - tf.cast(saliency_true, tf.float32)))


def per_example_generator_gan(fake_logits: tf.Tensor) -> tf.Tensor:
    """Sarkar et al.'s GAN term: minus the mean probability D assigns to the generated image
    (sigmoid of its patch logits)."""
    return -_per_example_mean(tf.sigmoid(tf.cast(fake_logits, tf.float32)))


def per_example_discriminator(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """Sarkar et al.'s discriminator loss: E[D(G(x))] - E[D(x)], D the sigmoid of the logits."""
    return (_per_example_mean(tf.sigmoid(tf.cast(fake_logits, tf.float32)))
            - _per_example_mean(tf.sigmoid(tf.cast(real_logits, tf.float32))))


def per_example_generator_losses(rgb_true: tf.Tensor, rgb_pred: tf.Tensor,
                                 saliency_true: tf.Tensor, saliency_pred: tf.Tensor,
                                 fake_logits: tf.Tensor, l1_weight: float = L1_WEIGHT,
                                 gan_weight: float = GAN_WEIGHT,
                                 saliency_weight: float = SALIENCY_WEIGHT,
                                 saliency_map_weight: float = SALIENCY_MAP_WEIGHT,
                                 ) -> dict[str, tf.Tensor]:
    """Every generator term per example and their weighted sum under ``"total"``, so a
    train step can minimise the total and track each term."""
    terms = {
        "l1": per_example_rgb_l1(rgb_true, rgb_pred),
        "gan": per_example_generator_gan(fake_logits),
        "saliency_weighted_l1": per_example_saliency_weighted_l1(
            rgb_true, rgb_pred, saliency_true, saliency_pred),
        "saliency_map_l1": per_example_saliency_map_l1(saliency_true, saliency_pred),
    }
    terms["total"] = (l1_weight * terms["l1"] + gan_weight * terms["gan"]
                      + saliency_weight * terms["saliency_weighted_l1"]
                      + saliency_map_weight * terms["saliency_map_l1"])
    return terms
