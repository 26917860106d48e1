"""The fused batch normalization against Keras's own layer (the independent reference):
outputs, moving statistics and gradients in training, outputs at inference, in float32
and bfloat16, and weights that load into either class."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from colorization_tf.models.batch_norm import BatchNormalization


def _pair(**kwargs):
    fused, reference = BatchNormalization(**kwargs), keras.layers.BatchNormalization(**kwargs)
    for layer in (fused, reference):
        layer.build((None, 6, 5, 3))
    rng = np.random.default_rng(0)
    values = [rng.uniform(0.5, 2.0, 3), rng.normal(size=3), rng.normal(size=3),
              rng.uniform(0.5, 2.0, 3)]  # gamma, beta, moving mean, moving variance
    fused.set_weights(values)
    reference.set_weights(values)
    return fused, reference


def _inputs(dtype="float32"):
    x = np.random.default_rng(1).normal(2.0, 3.0, (4, 6, 5, 3)).astype("float32")
    return tf.cast(tf.constant(x), dtype)


@pytest.mark.parametrize("training", [True, False])
def test_float32_matches_keras(training):
    fused, reference = _pair(momentum=0.8, epsilon=1e-3)
    x = _inputs()
    outputs, grads = [], []
    for layer in (fused, reference):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=training)
            loss = tf.reduce_sum(y * tf.range(3, dtype=tf.float32) ** 2)
        outputs.append(y.numpy())
        grads.append(tape.gradient(loss, [x, layer.gamma, layer.beta]))
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-5, atol=1e-5)
    for mine, theirs in zip(grads[0], grads[1], strict=True):
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-4, atol=1e-4)
    for mine, theirs in zip(fused.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)


def test_training_output_and_statistics_match_numpy():
    fused, _ = _pair(momentum=0.5, epsilon=1e-3)
    x = _inputs()
    gamma, beta, mean0, var0 = fused.get_weights()
    y = fused(x, training=True).numpy()
    data = x.numpy().reshape(-1, 3)
    mean, var = data.mean(axis=0), data.var(axis=0)  # biased, as Keras normalizes
    expected = (x.numpy() - mean) / np.sqrt(var + 1e-3) * gamma + beta
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(fused.moving_mean.numpy(), 0.5 * mean0 + 0.5 * mean, rtol=1e-5)
    np.testing.assert_allclose(fused.moving_variance.numpy(), 0.5 * var0 + 0.5 * var,
                               rtol=1e-5)


@pytest.mark.parametrize("training", [True, False])
def test_bfloat16_within_bfloat16_rounding_of_keras(training):
    keras.mixed_precision.set_global_policy("mixed_bfloat16")  # conftest restores float32
    fused, reference = _pair()
    x = _inputs("bfloat16")
    y_fused = tf.cast(fused(x, training=training), tf.float32).numpy()
    y_ref = tf.cast(reference(x, training=training), tf.float32).numpy()
    assert fused.compute_dtype == "bfloat16" and y_fused.dtype == np.float32
    np.testing.assert_allclose(y_fused, y_ref, rtol=2 ** -7, atol=2 ** -6)
    np.testing.assert_allclose(fused.moving_variance.numpy(),
                               reference.moving_variance.numpy(), rtol=1e-3)


def test_weights_saved_by_one_class_load_into_the_other(tmp_path):
    def model(layer_class):
        return keras.Sequential([keras.Input((6, 5, 3)), layer_class()])

    fused, _ = _pair()
    saved = model(BatchNormalization)
    saved.layers[0].set_weights(fused.get_weights())
    saved.save_weights(tmp_path / "bn.weights.h5")
    loaded = model(keras.layers.BatchNormalization)
    loaded.load_weights(tmp_path / "bn.weights.h5")
    for mine, theirs in zip(saved.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_synchronized_statistics_over_replicas_use_keras():
    layer = BatchNormalization(synchronized=True)
    layer.build((None, 6, 5, 3))
    assert layer._fusable(_inputs(), True, None)  # one replica: fused
    assert not layer._fusable(_inputs(), True, tf.ones((4, 6, 5)))  # masks: Keras's
    assert not layer._fusable(tf.zeros((4, 3)), True, None)  # 2-D: Keras's
