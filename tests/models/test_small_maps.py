"""``models.small_maps``: the convolution and the transposed convolution with kernel
gradients by patches equal TensorFlow's ``conv2d`` and ``conv2d_transpose`` (values and
both gradients), the layers take them only for the maps and precisions they are meant for,
and their weights are Keras' own (a checkpoint of either loads into the other)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from colorization_tf.models import small_maps


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


def _calls(monkeypatch, name: str) -> list:
    """The input shapes ``small_maps.<name>`` is called with from now on."""
    calls = []
    way = getattr(small_maps, name)

    def spy(*args):
        calls.append(args[0].shape)
        return way(*args)

    monkeypatch.setattr(small_maps, name, spy)
    return calls


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


def test_maps_up_to_16_by_16_in_bfloat16_and_8_by_8_in_float32_take_the_patch_gradients(
        monkeypatch):
    """Convolutions of inputs and transposed convolutions (stride 2) to outputs of at most
    256 pixels in bfloat16 and 64 in float32; other maps keep Keras' operations, and
    either way a layer computes what Keras' own does."""
    convolutions = _calls(monkeypatch, "conv_with_patch_gradient")
    transposed = _calls(monkeypatch, "transpose_with_patch_gradient")
    rng = np.random.default_rng(7)
    for side, policy in [(2, "mixed_bfloat16"), (8, "mixed_bfloat16"), (16, "mixed_bfloat16"),
                         (32, "mixed_bfloat16"), (4, "float32"), (8, "float32"),
                         (16, "float32")]:
        for ours, keras_layer in [(small_maps.Conv2D, keras.layers.Conv2D),
                                  (small_maps.Conv2DTranspose, keras.layers.Conv2DTranspose)]:
            layer = ours(6, 4, 2, padding="same", dtype=policy)
            stock = keras_layer(6, 4, 2, padding="same", dtype=policy)
            x = tf.constant(rng.normal(size=(2, side, side, 3)), tf.float32)
            layer(x), stock(x)
            stock.set_weights(layer.get_weights())
            # bfloat16 outputs: both round the same float32 sums; within 2 bfloat16 steps
            np.testing.assert_allclose(np.asarray(layer(x), np.float32),
                                       np.asarray(stock(x), np.float32), rtol=2 ** -6,
                                       atol=1e-2)
    # each layer is called twice (built, then compared)
    assert convolutions == [(2, side, side, 3) for side in (2, 8, 16, 4, 8) for _ in "ab"]
    assert transposed == [(2, side, side, 3) for side in (2, 8, 4) for _ in "ab"]


def test_the_limits_follow_the_compute_dtype():
    assert [small_maps.patch_gradient_pixels(dtype)
            for dtype in ("bfloat16", "float32", "float16", tf.bfloat16)] == [256, 64, 0, 256]
