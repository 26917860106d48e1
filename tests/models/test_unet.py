"""Galvão et al.'s U-Net: shapes, parameter count, configuration round trip."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from colorization_tf import models, presets


def _expected_parameters(encoder, kernel=4, out_channels=2):
    """Hand count: bias-free 4x4 (transposed) convs, 4 BN values per channel, 1x1 head."""
    count, channels_in = 0, 1
    for filters in encoder:
        count += kernel * kernel * channels_in * filters + 4 * filters
        channels_in = filters
    for filters in encoder[-2::-1]:  # each decoder block mirrors an encoder block
        count += kernel * kernel * channels_in * filters + 4 * filters
        channels_in = 2 * filters  # after concatenation with the mirrored encoder output
    return count + channels_in * out_channels + out_channels


def test_cifar_unet_shape_and_parameter_count():
    spec = presets.get("unet_l1").method.generator
    net = models.build(spec)
    out = net(tf.zeros([2, 32, 32, 1]))
    assert out.shape == (2, 32, 32, 2) and out.dtype == tf.float32
    assert net.count_params() == _expected_parameters(spec["encoder_filters"]) == 16_657_154


def test_output_is_tanh_bounded_and_glorot_normal():
    net = models.UNet(encoder_filters=(8, 16, 32))
    out = net(tf.random.normal([3, 16, 16, 1]) * 10)
    assert float(tf.reduce_max(tf.abs(out))) <= 1.0
    assert isinstance(net.down[1].layers[0].kernel_initializer, keras.initializers.GlorotNormal)


@pytest.mark.parametrize("size,encoder,first_stride", [
    (64, (16, 32, 64, 64, 64, 64), 1), (96, (16, 32, 64, 64), 1), (256, (8, 16, 32, 32, 32), 2)])
def test_larger_inputs_are_configurable(size, encoder, first_stride):
    net = models.UNet(encoder_filters=encoder, first_stride=first_stride)
    assert net(tf.zeros([1, size, size, 1])).shape == (1, size, size, 2)


def test_indivisible_input_size_is_refused_clearly():
    with pytest.raises(ValueError, match="not divisible by 16"):
        models.UNet()(tf.zeros([1, 30, 30, 1]))


def test_dropout_makes_training_outputs_stochastic():
    net = models.UNet(encoder_filters=(8, 16, 32), dropout=0.5)
    x = tf.random.normal([2, 16, 16, 1])
    assert not np.allclose(net(x, training=True), net(x, training=True))
    np.testing.assert_allclose(net(x, training=False), net(x, training=False))


def test_config_round_trip():
    net = models.UNet(encoder_filters=(8, 16), dropout=0.25, bn_momentum=0.8)
    clone = models.UNet.from_config(net.get_config())
    assert clone.get_config() == net.get_config()
