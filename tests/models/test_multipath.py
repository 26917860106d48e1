"""Sarkar et al.'s multi-path generator (frozen ResNet-18 fused at the 6th down layer) and its
six-layer PatchGAN discriminator, at tiny widths."""

from __future__ import annotations

import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from colorization_tf.losses import saliency as saliency_losses
from colorization_tf.models import backbones, multipath, resnet

TINY = {"filters": [4, 4, 8, 8, 8, 8, 8], "backbone_size": 32}
TINY_D = {"filters": [4, 4, 8, 8, 8]}


def _generator(**overrides) -> multipath.MultipathGenerator:
    keras.utils.set_random_seed(0)
    model = multipath.MultipathGenerator(**{**TINY, **overrides})
    model(tf.zeros([1, 64, 64, 2]))
    return model


def _inputs(batch: int = 2, size: int = 64) -> tf.Tensor:
    gray = tf.random.stateless_uniform([batch, size, size, 1], (1, 2), -1.0, 1.0)
    edges = tf.cast(tf.random.stateless_uniform([batch, size, size, 1], (3, 4)) > 0.9,
                    tf.float32)
    return tf.concat([gray, edges], axis=-1)


def test_generator_io_and_fusion_at_the_sixth_down_layer():
    model = _generator()
    output = model(_inputs())
    assert output.shape == (2, 64, 64, 4) and output.dtype == tf.float32
    assert np.all(np.abs(output.numpy()) < 1.0)  # tanh
    assert len(model.down) == 7 and len(model.up) + 1 == 7  # seven down, seven up
    assert model.downsampling == 64  # first layer at stride 1, six at stride 2: 64 -> 1x1
    # The 7th down layer reads the 6th's 8 channels plus ResNet-18's 512 (at 2x2).
    assert model.down[6].layers[0].kernel.shape == (4, 4, 8 + 512, 8)
    assert model.down[5].compute_output_shape((None, 4, 4, 8)) == (None, 2, 2, 8)
    # The first up layer's skip is the fused tensor: 8 (up) + 8 + 512 channels in.
    assert model.up[1].layers[0].kernel.shape == (4, 4, 8, 8 + 8 + 512)
    rgb, saliency = model.split_output(output)
    assert rgb.shape == (2, 64, 64, 3) and saliency.shape == (2, 64, 64, 1)
    assert float(tf.reduce_min(saliency)) >= 0.0 and float(tf.reduce_max(saliency)) <= 1.0


def test_backbone_is_frozen_and_feeds_the_output():
    model = _generator()
    backbone_ids = {id(v) for v in model.backbone.weights}
    assert backbone_ids and not backbone_ids & {id(v) for v in model.trainable_variables}
    assert model.backbone.trainable is False
    assert sum(int(np.prod(v.shape)) for v in model.backbone.weights) == 11_186_112
    x = _inputs()
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x, training=True)))
    gradients = tape.gradient(loss, model.trainable_variables)
    assert all(g is not None for g in gradients)
    before = model(x).numpy()
    beta = model.backbone.blocks[-1].bn2.beta
    beta.assign(beta + 5.0)  # shift the last ResNet features
    assert not np.allclose(model(x).numpy(), before)


def test_backbone_sees_the_gray_channel_as_imagenet_rgb():
    model = _generator()
    gray = tf.random.stateless_uniform([1, 64, 64, 1], (5, 6), -1.0, 1.0)
    rgb01 = tf.image.resize(tf.repeat((gray + 1.0) / 2.0, 3, axis=-1), [32, 32])
    normalised = (rgb01.numpy() - np.array([0.485, 0.456, 0.406])) / np.array(
        [0.229, 0.224, 0.225])
    expected = model.backbone(normalised.astype(np.float32))
    np.testing.assert_allclose(model.backbone_features(gray), expected, rtol=1e-5, atol=1e-5)


def test_sizes_that_do_not_divide_are_rejected():
    with pytest.raises(ValueError, match="48x48 is not divisible by 64"):
        multipath.MultipathGenerator(**TINY, image_size=48)
    model = multipath.MultipathGenerator(**TINY, image_size=None)
    with pytest.raises(ValueError, match="MultipathGenerator input size 96x96"):
        model(tf.zeros([1, 96, 96, 2]))
    wide = multipath.MultipathGenerator(**TINY, first_stride=2, image_size=128)
    assert wide.downsampling == 128
    assert wide(tf.zeros([1, 128, 128, 2])).shape == (1, 128, 128, 4)
    with pytest.raises(ValueError, match="at least 6 down layers"):
        multipath.MultipathGenerator(filters=[4, 4, 4], backbone_size=32)


def test_generator_config_and_weights_round_trip_without_download(tmp_path):
    model = _generator()
    config = model.get_config()
    assert config["filters"] == TINY["filters"] and config["backbone_weights"] == "none"
    clone = multipath.MultipathGenerator.from_config(config)
    x = _inputs(batch=1)
    clone(x)  # built by a call, as checkpoints restore into
    assert clone.count_params() == model.count_params()
    assert not np.allclose(clone(x).numpy(), model(x).numpy())
    path = tmp_path / "generator.weights.h5"
    model.save_weights(str(path))
    clone.load_weights(str(path))
    np.testing.assert_array_equal(clone(x).numpy(), model(x).numpy())


def test_backbone_weights_from_a_local_file_and_offline_imagenet(tmp_path, monkeypatch):
    keras.utils.set_random_seed(7)
    source = resnet.ResNet18()
    source(tf.zeros([1, 32, 32, 3]))
    path = tmp_path / "resnet18.weights.h5"
    source.save_weights(str(path))
    model = _generator(backbone_weights=str(path))
    for expected, loaded in zip(source.weights, model.backbone.weights, strict=True):
        np.testing.assert_array_equal(expected.numpy(), loaded.numpy())
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(backbones, "is_reachable", lambda url, timeout=3.0: False)
    start = time.monotonic()
    with pytest.raises(ValueError, match="--backbone_weights=imagenet.*--backbone_weights=none"):
        multipath.MultipathGenerator(**TINY, backbone_weights="imagenet")
    assert time.monotonic() - start < 10.0


def test_generator_runs_under_mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")  # conftest restores float32
    model = multipath.MultipathGenerator(**TINY)
    output = model(_inputs(batch=1))
    assert output.dtype == tf.float32 and output.shape == (1, 64, 64, 4)
    logits = multipath.PatchDiscriminator(**TINY_D)(tf.zeros([1, 64, 64, 4]))
    assert logits.dtype == tf.float32


@pytest.mark.parametrize("size,patches", [(64, 6), (128, 14), (256, 30)])
def test_patch_discriminator_layout(size, patches):
    model = multipath.PatchDiscriminator(**TINY_D)
    logits = model(tf.random.stateless_uniform([2, size, size, 4], (7, 8), -1.0, 1.0))
    assert logits.shape == (2, patches, patches, 1) and logits.dtype == tf.float32
    convs = [layer for block in model.blocks for layer in block.layers
             if isinstance(layer, keras.layers.Conv2D)]
    assert [c.kernel.shape[:2] for c in convs] == [(7, 7)] + [(4, 4)] * 5
    assert [c.strides for c in convs] == [(1, 1)] + [(2, 2)] * 3 + [(1, 1)] * 2
    assert sum(isinstance(layer, keras.layers.LeakyReLU) for block in model.blocks
               for layer in block.layers) == 5
    assert not np.all((logits.numpy() >= 0) & (logits.numpy() <= 1))  # logits, no sigmoid
    clone = multipath.PatchDiscriminator.from_config(model.get_config())
    clone(tf.zeros([1, size, size, 4]))
    assert clone.count_params() == model.count_params()
    with pytest.raises(ValueError, match="expected 5 values"):
        multipath.PatchDiscriminator(filters=[4, 4])


@pytest.mark.compiled
def test_one_compiled_gan_step_updates_the_generator_but_not_the_backbone():
    generator = _generator()
    discriminator = multipath.PatchDiscriminator(**TINY_D)
    optimizer = keras.optimizers.Adam(1e-3)
    x = _inputs()
    rgb_true = tf.random.stateless_uniform([2, 64, 64, 3], (9, 9), -1.0, 1.0)
    saliency_true = tf.random.stateless_uniform([2, 64, 64, 1], (9, 8))

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            rgb, saliency = generator.split_output(generator(x, training=True))
            logits = discriminator(tf.concat([x[..., :1], rgb], axis=-1))
            terms = saliency_losses.per_example_generator_losses(
                rgb_true, rgb, saliency_true, saliency, logits)
            loss = tf.reduce_mean(terms["total"])
        variables = generator.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return loss

    discriminator(tf.zeros([1, 64, 64, 4]))
    backbone_before = [v.numpy() for v in generator.backbone.weights]
    head_before = generator.head.kernel.numpy()
    assert np.isfinite(float(step()))
    for before, after in zip(backbone_before, generator.backbone.weights, strict=True):
        np.testing.assert_array_equal(before, after.numpy())
    assert not np.array_equal(head_before, generator.head.kernel.numpy())
