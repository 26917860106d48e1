"""A loaded run predicts through graphs with its weights folded in (``FrozenNetwork``):
the same numbers as the live network, weights fixed at load time, a bounded number of
graphs whatever sizes callers ask for, and hints through the same graphs."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from support import tiny_config

from colorization_tf import training
from colorization_tf.inference import frozen, loading
from colorization_tf.inference.predictor import Predictor


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("run"))
    training.train(tiny_config(epochs=1), path, verbose=0)
    return path


def _live(predictor: Predictor) -> Predictor:
    """The same colorizer through ordinary compiled calls that read the variables."""
    return Predictor(predictor.colorizer, predictor.image_size, config=predictor.config,
                     precision=predictor.precision)


def test_frozen_graph_predicts_what_the_live_network_does(run_dir):
    predictor = loading.load_run(run_dir)
    assert predictor.frozen
    lightness = tf.random.stateless_uniform([3, 32, 32, 1], [1, 2], -1.0, 1.0)
    np.testing.assert_allclose(predictor.predict(lightness), _live(predictor).predict(lightness),
                               atol=1e-5)


def test_weights_are_fixed_when_the_graph_is_built(run_dir):
    predictor = loading.load_run(run_dir)
    live = _live(predictor)
    lightness = tf.random.stateless_uniform([2, 32, 32, 1], [5, 6], -1.0, 1.0)
    before = predictor.predict(lightness).numpy()
    for weight in predictor.colorizer.generator.trainable_weights:
        weight.assign(weight * 0.5)
    np.testing.assert_array_equal(predictor.predict(lightness), before)
    assert np.abs(live.predict(lightness).numpy() - before).max() > 1e-3  # did change


def test_graphs_are_kept_per_size_and_bounded(run_dir, monkeypatch):
    monkeypatch.setattr(frozen, "MAX_GRAPHS", 2)
    network = frozen.FrozenNetwork(loading.load_run(run_dir).network)
    for size in (16, 16, 24, 32):
        for batch in (1, 3):  # the batch size does not make another graph
            assert network(tf.zeros([batch, size, size, 1])).shape == [batch, size, size, 2]
    assert network.graphs == 2


def test_hints_go_through_the_frozen_graph(tmp_path):
    training.train(tiny_config("unet_hints", epochs=1), str(tmp_path), verbose=0)
    predictor = loading.load_run(str(tmp_path))
    lightness = tf.zeros([1, 32, 32, 1])
    mask = np.zeros([1, 32, 32, 1], np.float32)
    mask[0, 10:20, 10:20] = 1.0
    hint_ab = np.zeros([1, 32, 32, 2], np.float32)
    hint_ab[0, 10:20, 10:20] = [0.5, -0.5]
    hinted = predictor.predict(lightness, hint_ab, mask)
    np.testing.assert_allclose(hinted, _live(predictor).predict(lightness, hint_ab, mask),
                               atol=1e-5)
    assert np.abs(hinted.numpy() - predictor.predict(lightness).numpy()).max() > 1e-4
