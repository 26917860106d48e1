"""Zhang-style classification colorizer and Li and Wang's regression net: shapes, the
rebalanced loss against a hand computation, the colour prior, training and reloading."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import tensorflow as tf
from support import build, tiny_config

from colorization_tf import color, training
from colorization_tf.colorizers import classification
from colorization_tf.data import to_lab_example
from colorization_tf.inference import load_run
from colorization_tf.models.regression import RegressionNet
from colorization_tf.models.zhang import IMAGENET_STRIDES, ZhangNet
from colorization_tf.training import RunDir

TINY_ZHANG = {"type": "zhang", "widths": [8, 8, 16, 16, 16, 16, 16, 8],
              "convs": [1, 1, 1, 1, 1, 1, 1, 1]}
TINY_REGRESSION = {"type": "regression", "widths": [8, 8, 16, 16, 16, 16, 16],
                   "convs": [2, 2, 2, 1, 1, 1, 1], "deconv_width": 8}


def test_zhang_net_logits_at_a_quarter_resolution():
    tiny = {k: v for k, v in TINY_ZHANG.items() if k != "type"}
    assert ZhangNet(num_bins=313, **tiny)(tf.zeros([2, 32, 32, 1])).shape == (2, 8, 8, 313)
    larger = ZhangNet(num_bins=361, strides=IMAGENET_STRIDES, **tiny)
    assert larger(tf.zeros([1, 64, 64, 1])).shape == (1, 16, 16, 361)
    with pytest.raises(ValueError, match="not divisible by 8"):
        ZhangNet(num_bins=361, strides=IMAGENET_STRIDES, **tiny)(tf.zeros([1, 36, 36, 1]))
    with pytest.raises(ValueError, match="quarter"):
        ZhangNet(strides=(2, 2, 2, 1, 1, 1, 1, 1))


def test_regression_net_maps_sigmoid_to_model_ab():
    tiny = {k: v for k, v in TINY_REGRESSION.items() if k != "type"}
    net = RegressionNet(**tiny)
    output = net(tf.random.uniform([2, 32, 32, 1], -1, 1))
    assert output.shape == (2, 32, 32, 2)
    assert np.all(np.abs(output.numpy()) < 1)
    # A sigmoid of 0.5 is ab* = -0.5 in Li and Wang's [0, 1] scale (s = (ab* + 128) / 255),
    # i.e. the model's scaled ab of 0.
    kernel, bias = net.head.get_weights()
    net.head.set_weights([np.zeros_like(kernel), np.zeros_like(bias)])
    np.testing.assert_allclose(net(tf.zeros([1, 32, 32, 1])).numpy(), 0.0, atol=1e-7)
    bias[:] = np.log(0.75 / 0.25)  # sigmoid 0.75 -> ab* = 0.75 * 255 - 128
    net.head.set_weights([np.zeros_like(kernel), bias])
    ab = color.ab_to_lab_units(net(tf.zeros([1, 32, 32, 1]))).numpy()
    np.testing.assert_allclose(ab, 0.75 * 255 - 128, atol=1e-3)


def _tiny_colorizer(**overrides) -> classification.ClassificationColorizer:
    config = tiny_config("classification", generator=TINY_ZHANG, **overrides)
    return build(config)


def test_rebalanced_cross_entropy_matches_hand_computation():
    colorizer = _tiny_colorizer()
    centres = colorizer.centres.numpy()
    weights = np.random.default_rng(0).uniform(0.5, 2.0, len(centres)).astype(np.float32)
    colorizer.bin_weights.assign(weights)
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(2, 2, 2, len(centres))).astype(np.float32)
    ab_units = rng.uniform(-60, 60, (2, 2, 2, 2)).astype(np.float32)
    loss = colorizer.per_example_loss(color.lab_units_to_ab(ab_units), logits).numpy()

    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = np.zeros(2)
    for n in range(2):
        for h in range(2):
            for w in range(2):
                d = np.linalg.norm(centres - ab_units[n, h, w], axis=-1)
                nearest = np.argsort(d)[:5]
                z = np.exp(-d[nearest] ** 2 / 50.0)
                z /= z.sum()
                expected[n] -= weights[nearest[0]] * np.sum(z * log_p[n, h, w, nearest]) / 4
    np.testing.assert_allclose(loss, expected, rtol=1e-3)


def test_prepare_computes_prior_and_weights():
    # prior_sigma 0.1 leaves the histogram unsmoothed (smoothing is tested in test_quantize).
    colorizer = _tiny_colorizer(prior_sigma=0.1)
    centres = colorizer.centres.numpy()
    red = np.zeros([8, 8, 3], np.uint8)
    red[..., 0] = 200
    gray = np.full([8, 8, 3], 120, np.uint8)
    images = tf.data.Dataset.from_tensor_slices(
        {"image": np.stack([red, gray, gray, gray]), "label": np.zeros(4, np.int64)})
    colorizer.prepare(images.batch(3).map(to_lab_example))
    prior, weights = colorizer.prior.numpy(), colorizer.bin_weights.numpy()
    gray_bin = np.argmin(np.linalg.norm(centres, axis=-1))
    red_ab = color.rgb_to_lab(red[0, 0] / 255.0).numpy()[1:]
    red_bin = np.argmin(np.linalg.norm(centres - red_ab, axis=-1))
    expected = np.zeros(len(centres))
    expected[[gray_bin, red_bin]] = [0.75, 0.25]
    np.testing.assert_allclose(prior, expected, atol=1e-6)
    unnormalized = 1.0 / (0.5 * expected + 0.5 / len(centres))
    np.testing.assert_allclose(weights, unnormalized / np.sum(expected * unnormalized),
                               rtol=1e-4)
    assert weights[gray_bin] < weights[red_bin] < weights.max()

    other = _tiny_colorizer()
    other.load_artifacts(colorizer.artifacts())  # a resumed run restores them
    np.testing.assert_array_equal(other.bin_weights.numpy(), weights)


def test_load_artifacts_rejects_other_bins():
    artifacts = _tiny_colorizer().artifacts()
    q361 = build(tiny_config("classification_q361", generator=TINY_ZHANG))
    with pytest.raises(ValueError, match="hold 229 bins"):
        q361.load_artifacts(artifacts)


def _losses(run_dir) -> list[float]:
    with open(RunDir(run_dir).history) as handle:
        return [float(row["loss"]) for row in csv.DictReader(handle)]


@pytest.mark.compiled
def test_classification_trains_reloads_and_decodes(tmp_path):
    run_dir = str(tmp_path / "run")
    config = tiny_config("classification", generator=TINY_ZHANG, epochs=4)
    training.train(config, run_dir, verbose=0)
    history = _losses(run_dir)
    assert history[-1] < history[0]
    stored = RunDir(run_dir).read_artifacts()
    assert stored["centres"].shape == (229, 2)
    assert np.sum(stored["prior"] * stored["weights"]) == pytest.approx(1.0, rel=1e-5)

    colorizer = load_run(run_dir).colorizer
    lightness = tf.random.uniform([2, 32, 32, 1], -1, 1)
    decoded = {}
    for name in classification.DECODERS:
        for temperature in (None, 0.89):
            ab = colorizer.predict_ab(lightness, decode=name, temperature=temperature)
            assert ab.shape == (2, 32, 32, 2) and np.all(np.isfinite(ab.numpy()))
            decoded[name, temperature] = ab.numpy()
    np.testing.assert_array_equal(colorizer.predict_ab(lightness),
                                  decoded[classification.DEFAULT_DECODER, None])
    assert not np.allclose(decoded["annealed", None], decoded["annealed", 0.89])
    assert not np.allclose(decoded["mode", None], decoded["mean", None])


@pytest.mark.compiled
def test_regression_preset_lowers_its_loss(tmp_path):
    run_dir = str(tmp_path / "run")
    config = tiny_config("regression", generator=TINY_REGRESSION, epochs=4)
    assert config.optim.weight_decay > 0
    training.train(config, run_dir, verbose=0)
    history = _losses(run_dir)
    assert history[-1] < history[0]
    colorizer = load_run(run_dir).colorizer
    assert colorizer.predict_ab(tf.zeros([1, 32, 32, 1])).shape == (1, 32, 32, 2)
