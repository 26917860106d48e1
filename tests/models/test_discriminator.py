"""Discriminator, critic, auxiliary classifier and the GAN loss functions, checked
against hand-computed (numpy) and analytic values."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from colorization_tf import models
from colorization_tf.losses import adversarial
from colorization_tf.models.classifier import AuxiliaryClassifier
from colorization_tf.models.discriminator import Critic, Discriminator


def _inputs(batch=3, size=32, seed=0):
    return tf.random.stateless_uniform([batch, size, size, 3], [seed, 1], -1.0, 1.0)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_discriminator_patch_and_global_heads():
    x = _inputs()
    patch = Discriminator(filters=[8, 16, 32])
    assert patch(x).shape == (3, 4, 4, 1)  # 32 px after three stride-2 convs: 4x4 patches
    assert patch(x).dtype == tf.float32
    assert len([v for v in patch.weights if "moving_mean" in v.path]) == 3  # BN every layer
    kernels = [v for v in patch.trainable_variables if "kernel" in v.path]
    assert [tuple(k.shape[:2]) for k in kernels] == [(4, 4)] * 4
    glob = Discriminator(filters=[8, 16], head="global")
    assert glob(x).shape == (3, 1)
    with pytest.raises(ValueError, match="head"):
        Discriminator(head="sigmoid")


def test_discriminator_outputs_are_logits_not_probabilities():
    logits = Discriminator(filters=[8])(_inputs() * 50.0).numpy()
    assert (logits < 0).any() or (logits > 1).any()


def test_critic_normalises_each_image_on_its_own():
    """InstanceNorm, not batch norm: an image's score does not depend on its batch."""
    critic = Critic(filters=[8, 16])
    x = _inputs(batch=4)
    together = critic(x, training=True).numpy()
    alone = critic(x[:1], training=True).numpy()
    assert together.shape == (4, 1)
    np.testing.assert_allclose(alone[0], together[0], rtol=1e-4, atol=1e-5)
    norms = [layer for layer in critic._flatten_layers()
             if isinstance(layer, keras.layers.GroupNormalization)]
    assert [n.groups for n in norms] == [8, 16]  # one group per channel = InstanceNorm


def test_auxiliary_classifier_shapes_and_config_roundtrip():
    spec = {"type": "auxiliary_classifier", "num_classes": 6, "filters": [8, 8, 16, 16],
            "strides": [2, 2, 2, 1]}
    classifier = models.build(spec)
    assert classifier(_inputs()).shape == (3, 6)
    # 32 -> 16 -> 8 -> 4 -> 4 (stride 1): the dense layer sees 4*4*16 features.
    assert classifier.out.kernel.shape == (4 * 4 * 16, 6)
    clone = AuxiliaryClassifier.from_config(classifier.get_config())
    assert clone.get_config() == classifier.get_config()
    with pytest.raises(ValueError, match="num_classes"):
        AuxiliaryClassifier(num_classes=0)


def test_registered_networks_build_from_specs():
    assert isinstance(models.build({"type": "discriminator", "filters": [8]}), Discriminator)
    assert isinstance(models.build({"type": "critic", "filters": [8]}), Critic)


def test_discriminator_terms_match_binary_cross_entropy():
    logits = tf.constant([[[[0.5]], [[-2.0]]], [[[3.0]], [[0.0]]]])  # [2, 2, 1, 1] patches
    p = _sigmoid(logits.numpy().reshape(2, 2))
    np.testing.assert_allclose(adversarial.discriminator_real(logits),
                               (-np.log(p)).mean(1), rtol=1e-5)
    np.testing.assert_allclose(adversarial.discriminator_fake(logits),
                               (-np.log(1 - p)).mean(1), rtol=1e-5)
    np.testing.assert_allclose(adversarial.generator_adversarial(logits),
                               (-np.log(p)).mean(1), rtol=1e-5)


def test_label_smoothing_moves_only_the_real_target():
    logits = tf.constant([[1.5], [-0.5]])
    p = _sigmoid(logits.numpy()[:, 0])
    smoothed = adversarial.discriminator_real(logits, real_target=0.9)
    np.testing.assert_allclose(smoothed, -(0.9 * np.log(p) + 0.1 * np.log(1 - p)), rtol=1e-5)
    assert not np.allclose(smoothed, adversarial.discriminator_real(logits))


def test_classifier_cross_entropy_matches_log_softmax():
    logits = np.array([[2.0, 0.5, -1.0], [0.0, 0.0, 0.0]], np.float32)
    labels = np.array([0, 2])
    log_softmax = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    np.testing.assert_allclose(adversarial.classifier_cross_entropy(labels, logits),
                               -log_softmax[[0, 1], labels], rtol=1e-5)


def test_wasserstein_losses():
    real, fake = tf.constant([[2.0], [0.5]]), tf.constant([[-1.0], [1.5]])
    np.testing.assert_allclose(adversarial.critic_wasserstein(real, fake), [-3.0, 1.0])
    np.testing.assert_allclose(adversarial.generator_wasserstein(fake), [1.0, -1.5])


def test_gradient_penalty_of_a_linear_critic_is_analytic():
    """C(x) = <w, x> has gradient w everywhere: GP = (||w|| - 1)^2 at any interpolate."""
    rng = np.random.default_rng(0)
    w = tf.constant(rng.normal(size=[1, 4, 4, 3]).astype(np.float32) * 0.3)

    def critic(x):
        return tf.reduce_sum(w * x, axis=[1, 2, 3])

    real, fake = _inputs(2, 4, seed=1), _inputs(2, 4, seed=2)
    epsilon = tf.constant([0.3, 0.8], shape=[2, 1, 1, 1])
    expected = (np.linalg.norm(w.numpy()) - 1.0) ** 2
    np.testing.assert_allclose(adversarial.gradient_penalty(critic, real, fake, epsilon),
                               [expected, expected], rtol=1e-5)


def test_gradient_penalty_reaches_the_critic_weights():
    """Double back-prop: the penalty has a gradient w.r.t. a Keras critic's weights, and
    for a Dense critic it equals (||kernel|| - 1)^2."""
    dense = keras.layers.Dense(1, use_bias=True)
    flatten = keras.layers.Flatten()

    def critic(x):
        return dense(flatten(x))

    real, fake = _inputs(2, 4, seed=3), _inputs(2, 4, seed=4)
    critic(real)
    epsilon = tf.constant([0.5, 0.1], shape=[2, 1, 1, 1])
    with tf.GradientTape() as tape:
        penalty = adversarial.gradient_penalty(critic, real, fake, epsilon)
    expected = (np.linalg.norm(dense.kernel.numpy()) - 1.0) ** 2
    np.testing.assert_allclose(penalty, [expected, expected], rtol=1e-5)
    grad = tape.gradient(penalty, dense.kernel)
    norm = np.linalg.norm(dense.kernel.numpy())
    # d/dw (||w|| - 1)^2 summed over the 2 examples = 2 * 2 (||w|| - 1) w / ||w||
    np.testing.assert_allclose(grad, 4 * (norm - 1) * dense.kernel.numpy() / norm, rtol=1e-4)


def _compute_dtypes(network) -> set[str]:
    """The compute dtypes of a Discriminator's layers that hold weights."""
    layers = [layer for block in network.blocks for layer in block.layers] + [network.out]
    return {layer.compute_dtype for layer in layers if layer.weights}


def test_a_dtype_in_the_spec_builds_every_layer_in_it_and_restores_the_global_policy():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    spec = {"type": "discriminator", "filters": [8, 16]}
    exact = models.build({**spec, "dtype": "float32"})
    mixed = models.build(spec)
    exact(_inputs()), mixed(_inputs())
    assert _compute_dtypes(exact) == {"float32"}
    assert _compute_dtypes(mixed) == {"bfloat16", "float32"}  # the float32 logits layer
    assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
    with pytest.raises(ValueError, match="head"):
        models.build({**spec, "head": "sigmoid", "dtype": "float32"})
    assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
