"""Li and Wang's transfer-learning classifier: VGG16 conv blocks 1-5 + the Zhang-style head."""

from __future__ import annotations

import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from colorization_tf.models import backbones, vgg16

VGG16_CONV_BODY = 14_714_688  # keras.applications.VGG16(include_top=False)
SMALL = {"num_bins": 7, "image_size": 32, "head_filters": 8}


def _count(variables) -> int:
    return sum(int(np.prod(v.shape)) for v in variables)


@pytest.mark.parametrize("freeze", [False, True])
def test_shapes_parameter_counts_and_freezing(freeze):
    model = vgg16.VGG16Zhang(**SMALL, freeze_backbone=freeze)
    logits = model(tf.random.stateless_uniform([2, 32, 32, 1], (1, 2), -1.0, 1.0))
    assert logits.shape == (2, 8, 8, 7) and logits.dtype == tf.float32
    assert _count(model.body.weights) == VGG16_CONV_BODY
    assert len(model.body.layers) == 19  # input + 13 convs + 5 pools: blocks 1-5
    body_ids = {id(v) for v in model.body.weights}
    trainable_ids = {id(v) for v in model.trainable_variables}
    assert (body_ids <= trainable_ids) is not freeze
    assert (body_ids & trainable_ids == set()) is freeze
    head = _count(model.head.weights) + _count(model.logits.weights)
    # three 4x4 transposed convs 512->8->8->8 and a 1x1 conv to 7 bins
    assert head == (16 * 512 * 8 + 8) + 2 * (16 * 8 * 8 + 8) + (8 * 7 + 7)
    assert _count(model.trainable_variables) == head + (0 if freeze else VGG16_CONV_BODY)


def test_preprocessing_is_gray_rgb_minus_the_imagenet_mean():
    lightness = tf.constant([[[[-1.0], [0.0]], [[0.5], [1.0]]]])
    gray = (lightness.numpy() + 1.0) / 2.0 * 255.0  # L*/100 in 0-255
    expected = np.repeat(gray, 3, axis=-1) - np.array([103.939, 116.779, 123.68])  # BGR mean
    np.testing.assert_allclose(vgg16.VGG16Zhang.preprocess(lightness), expected, rtol=1e-5)


def test_mixed_precision_keeps_float32_logits():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")  # conftest restores float32
    logits = vgg16.VGG16Zhang(**SMALL)(tf.zeros([1, 32, 32, 1]))
    assert logits.dtype == tf.float32 and logits.shape == (1, 8, 8, 7)


def test_wrong_sizes_are_rejected():
    with pytest.raises(ValueError, match="40x40 is not divisible by 32"):
        vgg16.VGG16Zhang(**{**SMALL, "image_size": 40})
    model = vgg16.VGG16Zhang(**SMALL)
    with pytest.raises(ValueError, match="built for 32x32"):
        model(tf.zeros([1, 64, 64, 1]))


def test_config_round_trip():
    model = vgg16.VGG16Zhang(**SMALL, freeze_backbone=True)
    model(tf.zeros([1, 32, 32, 1]))
    config = model.get_config()
    assert config["backbone_weights"] == "none" and config["freeze_backbone"] is True
    clone = vgg16.VGG16Zhang.from_config(config)
    clone(tf.zeros([1, 32, 32, 1]))
    assert clone.count_params() == model.count_params()
    assert not clone.body.trainable


def test_backbone_weights_file_offline_imagenet_and_missing_path(tmp_path, monkeypatch):
    keras.utils.set_random_seed(3)
    source = vgg16.VGG16Zhang(**SMALL)
    path = tmp_path / "vgg16_body.weights.h5"
    source.body.save_weights(str(path))
    loaded = vgg16.VGG16Zhang(**SMALL, backbone_weights=str(path))
    image = tf.random.stateless_uniform([1, 32, 32, 3], (4, 5), -100.0, 100.0)
    np.testing.assert_array_equal(source.body(image).numpy(), loaded.body(image).numpy())

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(backbones, "is_reachable", lambda url, timeout=3.0: False)
    start = time.monotonic()
    with pytest.raises(ValueError) as error:
        vgg16.VGG16Zhang(**SMALL, backbone_weights="imagenet")
    assert time.monotonic() - start < 10.0
    message = str(error.value)
    assert "\n" not in message
    for word in ("--backbone_weights", "none", "PATH", "storage.googleapis.com", "VGG16"):
        assert word in message
    missing = tmp_path / "absent.h5"
    with pytest.raises(ValueError, match=f"--backbone_weights={missing}"):
        vgg16.VGG16Zhang(**SMALL, backbone_weights=str(missing))


@pytest.mark.compiled
def test_compiled_training_step_leaves_a_frozen_body_unchanged():
    model = vgg16.VGG16Zhang(**SMALL, freeze_backbone=True)
    optimizer = keras.optimizers.Adam(1e-3)
    x = tf.random.stateless_uniform([2, 32, 32, 1], (6, 7), -1.0, 1.0)
    labels = tf.random.stateless_uniform([2, 8, 8], (8, 9), 0, 7, tf.int32)
    model(x)
    body_before = [v.numpy() for v in model.body.weights]
    head_before = model.logits.kernel.numpy()

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels, model(x, training=True)))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        return loss

    assert np.isfinite(float(step()))
    for before, after in zip(body_before, model.body.weights, strict=True):
        np.testing.assert_array_equal(before, after.numpy())
    assert not np.array_equal(head_before, model.logits.kernel.numpy())
