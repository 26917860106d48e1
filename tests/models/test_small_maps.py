"""``models.small_maps``: the convolution and the transposed convolution as matrix
products, and with kernel gradients by patches, equal TensorFlow's ``conv2d`` and
``conv2d_transpose`` (values and both gradients), the layers take them only for the maps
and precisions they are meant for, and their weights are Keras' own (a checkpoint of
either loads into the other)."""

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
    _same_values_and_gradients(
        lambda: small_maps.transpose_by_product(x, kernel, strides),
        lambda: tf.nn.conv2d_transpose(x, kernel, shape, list(strides), "SAME"), x, kernel)


@pytest.mark.parametrize("side, kernel_size, strides", [
    ((4, 4), (4, 4), (2, 2)), ((2, 2), (4, 4), (2, 2)), ((1, 1), (4, 4), (2, 2)),
    ((3, 5), (3, 3), (1, 1)), ((4, 3), (4, 2), (2, 1)), ((5, 5), (1, 1), (1, 1)),
])
def test_the_convolution_product_equals_conv2d_with_its_gradients(side, kernel_size,
                                                                   strides):
    rng = np.random.default_rng(3)
    x = tf.constant(rng.normal(size=(3, *side, 5)), tf.float32)
    kernel = tf.Variable(rng.normal(size=(*kernel_size, 5, 7)).astype(np.float32))
    _same_values_and_gradients(
        lambda: small_maps.conv_by_product(x, kernel, strides),
        lambda: tf.nn.conv2d(x, kernel, list(strides), "SAME"), x, kernel)


@pytest.mark.parametrize("side, kernel_size, strides", [
    ((8, 8), (4, 4), (2, 2)), ((5, 7), (4, 4), (2, 2)), ((6, 5), (3, 3), (1, 1)),
    ((7, 4), (4, 2), (2, 1)), ((3, 3), (5, 5), (3, 3)),
])
def test_the_patch_gradients_equal_those_of_conv2d_and_its_transpose(side, kernel_size,
                                                                      strides):
    rng = np.random.default_rng(6)
    x = tf.constant(rng.normal(size=(3, *side, 5)), tf.float32)
    kernel = tf.Variable(rng.normal(size=(*kernel_size, 5, 7)).astype(np.float32))
    _same_values_and_gradients(
        lambda: small_maps.conv_with_patch_gradient(x, kernel, strides),
        lambda: tf.nn.conv2d(x, kernel, list(strides), "SAME"), x, kernel)
    shape = [3, side[0] * strides[0], side[1] * strides[1], 5]
    x = tf.constant(rng.normal(size=(3, *side, 7)), tf.float32)
    _same_values_and_gradients(
        lambda: small_maps.transpose_with_patch_gradient(x, kernel, strides),
        lambda: tf.nn.conv2d_transpose(x, kernel, shape, list(strides), "SAME"), x, kernel)


def _same_values_and_gradients(ours, reference, x, kernel) -> None:
    """``ours()`` and ``reference()`` agree to 1e-5, and so do their gradients with
    respect to ``x`` and ``kernel`` under a loss that weighs each output differently."""
    weights = tf.constant(np.random.default_rng(5).normal(size=reference().shape), tf.float32)

    def value_and_gradients(fn):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn()
            loss = tf.reduce_sum(y * weights)
        return [y, *tape.gradient(loss, [x, kernel])]

    for got, want in zip(value_and_gradients(ours), value_and_gradients(reference),
                         strict=True):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)


def _calls(monkeypatch, name: str = "transpose_by_product") -> list:
    calls = []
    product = getattr(small_maps, name)

    def spy(*args):
        calls.append(args[0].shape)
        return product(*args)

    monkeypatch.setattr(small_maps, name, spy)
    return calls


def test_float32_convolutions_of_small_maps_take_the_product(monkeypatch):
    calls = _calls(monkeypatch, "conv_by_product")
    rng = np.random.default_rng(4)
    for side, policy in [(4, "mixed_bfloat16"), (4, "float32"), (8, "float32"),
                         (2, "float32")]:
        layer = small_maps.Conv2D(6, 4, 2, padding="same", dtype=policy)
        stock = keras.layers.Conv2D(6, 4, 2, padding="same", dtype=policy)
        x = tf.constant(rng.normal(size=(2, side, side, 3)), tf.float32)
        layer(x), stock(x)
        stock.set_weights(layer.get_weights())
        np.testing.assert_allclose(np.asarray(layer(x), np.float32),
                                   np.asarray(stock(x), np.float32), rtol=2 ** -6, atol=1e-2)
    assert calls == [(2, 4, 4, 3)] * 2 + [(2, 2, 2, 3)] * 2


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

    def model(convolution, transposed):
        return keras.Sequential([keras.Input((2, 2, 3)),
                                 transposed(4, 4, 2, padding="same", use_bias=True),
                                 transposed(5, 2, 2, padding="same", activation="relu"),
                                 convolution(3, 4, 2, padding="same")])

    stock = model(keras.layers.Conv2D, keras.layers.Conv2DTranspose)
    stock.layers[0].bias.assign(rng.normal(size=4))
    stock.save_weights(tmp_path / "stock.weights.h5")
    ours = model(small_maps.Conv2D, small_maps.Conv2DTranspose)
    assert [layer.name.rstrip("_0123456789") for layer in ours.layers] == [
        "conv2d_transpose", "conv2d_transpose", "conv2d"]
    ours.load_weights(tmp_path / "stock.weights.h5")
    np.testing.assert_allclose(ours(x), stock(x), rtol=1e-5, atol=1e-6)
    ours.save_weights(tmp_path / "ours.weights.h5")
    again = model(keras.layers.Conv2D, keras.layers.Conv2DTranspose)
    again.load_weights(tmp_path / "ours.weights.h5")
    np.testing.assert_allclose(again(x), stock(x), rtol=1e-5, atol=1e-6)


def test_bfloat16_maps_up_to_16_by_16_take_the_patch_gradients(monkeypatch):
    """Convolutions of inputs and transposed convolutions to outputs of 16 x 16 or fewer
    pixels, in bfloat16 only; transposed convolutions of the smallest maps keep the
    product."""
    convolutions = _calls(monkeypatch, "conv_with_patch_gradient")
    transposed = _calls(monkeypatch, "transpose_with_patch_gradient")
    rng = np.random.default_rng(7)
    for side, policy in [(8, "mixed_bfloat16"), (16, "mixed_bfloat16"),
                         (32, "mixed_bfloat16"), (4, "mixed_bfloat16"), (8, "float32")]:
        for ours, keras_layer in [(small_maps.Conv2D, keras.layers.Conv2D),
                                  (small_maps.Conv2DTranspose, keras.layers.Conv2DTranspose)]:
            layer = ours(6, 4, 2, padding="same", dtype=policy)
            stock = keras_layer(6, 4, 2, padding="same", dtype=policy)
            x = tf.constant(rng.normal(size=(2, side, side, 3)), tf.float32)
            layer(x), stock(x)
            stock.set_weights(layer.get_weights())
            np.testing.assert_allclose(np.asarray(layer(x), np.float32),
                                       np.asarray(stock(x), np.float32), rtol=2 ** -6,
                                       atol=1e-2)
    assert convolutions == [(2, 8, 8, 3)] * 2 + [(2, 16, 16, 3)] * 2 + [(2, 4, 4, 3)] * 2
    assert transposed == [(2, 8, 8, 3)] * 2
