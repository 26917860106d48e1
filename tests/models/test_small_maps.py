"""``models.small_maps``: the transposed convolution as a matrix product equals
TensorFlow's ``conv2d_transpose`` (values and both gradients), the layer takes it only for
small bfloat16 maps, and its weights are Keras' own (a checkpoint of either loads into
the other)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from colorization_tf.models import small_maps


@pytest.mark.parametrize("side, kernel_size, strides", [
    ((1, 1), (4, 4), (2, 2)), ((2, 2), (4, 4), (2, 2)), ((1, 3), (4, 4), (2, 2)),
    ((2, 1), (2, 2), (2, 2)), ((2, 2), (3, 3), (1, 1)), ((2, 2), (6, 6), (3, 3)),
    ((3, 2), (4, 2), (2, 1)),
])
def test_the_product_equals_conv2d_transpose_with_its_gradients(side, kernel_size, strides):
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(3, *side, 5)), tf.float32)
    kernel = tf.Variable(rng.normal(size=(*kernel_size, 7, 5)).astype(np.float32))
    shape = [3, side[0] * strides[0], side[1] * strides[1], 7]
    weights = tf.constant(rng.normal(size=shape), tf.float32)  # a loss that reads each pixel

    def value_and_gradients(fn):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn()
            loss = tf.reduce_sum(y * weights)
        return [y, *tape.gradient(loss, [x, kernel])]

    ours = value_and_gradients(lambda: small_maps.transpose_by_product(x, kernel, strides))
    reference = value_and_gradients(
        lambda: tf.nn.conv2d_transpose(x, kernel, shape, list(strides), "SAME"))
    for got, want in zip(ours, reference, strict=True):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)


def _calls(monkeypatch) -> list:
    calls = []
    product = small_maps.transpose_by_product

    def spy(*args):
        calls.append(args[0].shape)
        return product(*args)

    monkeypatch.setattr(small_maps, "transpose_by_product", spy)
    return calls


def test_only_small_bfloat16_maps_take_the_product(monkeypatch):
    calls = _calls(monkeypatch)
    rng = np.random.default_rng(1)
    for side, dtype in [(2, "bfloat16"), (4, "bfloat16"), (8, "bfloat16"), (2, "float32")]:
        layer = small_maps.Conv2DTranspose(6, 4, 2, padding="same", dtype=(
            "mixed_bfloat16" if dtype == "bfloat16" else "float32"))
        stock = keras.layers.Conv2DTranspose(6, 4, 2, padding="same", dtype=layer.dtype_policy)
        x = tf.constant(rng.normal(size=(2, side, side, 3)), tf.float32)
        layer(x), stock(x)
        stock.set_weights(layer.get_weights())
        # bfloat16 outputs: both round the same float32 sums; within 2 bfloat16 steps
        np.testing.assert_allclose(np.asarray(layer(x), np.float32),
                                   np.asarray(stock(x), np.float32), rtol=2 ** -6, atol=1e-2)
    assert calls == [(2, 2, 2, 3), (2, 2, 2, 3), (2, 4, 4, 3), (2, 4, 4, 3)]


def test_keras_checkpoints_load_into_it_and_back(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 2, 2, 3)).astype(np.float32)

    def model(layer_class):
        return keras.Sequential([keras.Input((2, 2, 3)),
                                 layer_class(4, 4, 2, padding="same", use_bias=True),
                                 layer_class(5, 2, 2, padding="same", activation="relu")])

    stock = model(keras.layers.Conv2DTranspose)
    stock.layers[0].bias.assign(rng.normal(size=4))
    stock.save_weights(tmp_path / "stock.weights.h5")
    ours = model(small_maps.Conv2DTranspose)
    assert [layer.name.rstrip("_0123456789") for layer in ours.layers] == [
        "conv2d_transpose"] * 2
    ours.load_weights(tmp_path / "stock.weights.h5")
    np.testing.assert_allclose(ours(x), stock(x), rtol=1e-6)
    ours.save_weights(tmp_path / "ours.weights.h5")
    again = model(keras.layers.Conv2DTranspose)
    again.load_weights(tmp_path / "ours.weights.h5")
    np.testing.assert_allclose(again(x), stock(x), rtol=1e-6)
