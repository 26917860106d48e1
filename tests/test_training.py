"""Supervised training: overfitting, compiled fit, resume after interruption, distributed
and mixed-precision runs, and the run directory it leaves."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import TINY_UNET, tiny_config

from colorization_tf import colorizers, runs, training
from colorization_tf.colorizers.supervised import SupervisedColorizer
from colorization_tf.data import make_dataset


class _StopAfterEpoch(keras.callbacks.Callback):
    """Simulates a killed run: raises once epoch ``epoch`` has been backed up."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def _generator_weights(run_dir):
    colorizer, _ = runs.load_colorizer(run_dir)
    return colorizer.generator.get_weights()


@pytest.mark.compiled
def test_tiny_unet_overfits_one_batch(tiny_data):
    batch = next(iter(make_dataset(tiny_data, "train", 8, training=True)))
    colorizer = colorizers.build({**tiny_config(), "decay_steps": None})
    colorizer.build_all(32)
    one_batch = tf.data.Dataset.from_tensors(batch)
    before = colorizer.evaluate(one_batch, verbose=0, return_dict=True)["loss"]
    history = colorizer.fit(one_batch.repeat(), epochs=300, steps_per_epoch=1, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.1 * losses[0]  # the training loss falls by more than 90%
    after = colorizer.evaluate(one_batch, verbose=0, return_dict=True)["loss"]
    assert after < 0.5 * before  # and inference (moving BN statistics) follows it


def test_l1_and_l2_losses_follow_equations_1_and_2():
    colorizer = SupervisedColorizer(keras.Sequential([keras.layers.Identity()]), loss="l2")
    colorizer.compile(optimizer="adam")
    ab = tf.fill([2, 4, 4, 2], 0.5)
    batch = {"L": tf.zeros([2, 4, 4, 2]), "ab": ab, "label": tf.zeros([2], tf.int64)}
    logs = colorizer.test_step(batch)  # prediction = L = 0, so error = 0.5 everywhere
    np.testing.assert_allclose(float(logs["loss"]), 0.25, rtol=1e-6)
    np.testing.assert_allclose(float(logs["mae"]), 0.5, rtol=1e-6)


@pytest.mark.compiled
def test_interrupted_run_resumes_to_the_same_weights(tmp_path):
    config = tiny_config(epochs=3)
    training.train(config, str(tmp_path / "straight"), verbose=0)
    with pytest.raises(KeyboardInterrupt):
        training.train(config, str(tmp_path / "resumed"), verbose=0,
                       callbacks=[_StopAfterEpoch(1)])
    assert training.resume_epoch(str(tmp_path / "resumed")) == 2
    training.train(config, str(tmp_path / "resumed"), verbose=0)
    for a, b in zip(_generator_weights(tmp_path / "straight"),
                    _generator_weights(tmp_path / "resumed"), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    history = (tmp_path / "resumed" / runs.HISTORY).read_text().strip().splitlines()
    assert [line.split(",")[0] for line in history[1:]] == ["0", "1", "2"]


@pytest.mark.compiled
def test_mirrored_strategy_matches_single_device(tmp_path):
    assert len(tf.config.list_logical_devices("CPU")) == 2
    results = {}
    for strategy in ("default", "mirrored"):
        run_dir = str(tmp_path / strategy)
        training.train(tiny_config(strategy=strategy), run_dir, verbose=0)
        history = np.genfromtxt(os.path.join(run_dir, runs.HISTORY), delimiter=",", names=True)
        results[strategy] = (float(history["loss"]), _generator_weights(run_dir))
    # Same global batches, loss averaged over the global batch, synchronized batch norm:
    # the two runs agree up to float32 reduction order.
    np.testing.assert_allclose(results["mirrored"][0], results["default"][0], rtol=1e-4)
    for a, b in zip(results["mirrored"][1], results["default"][1], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)


def test_mixed_precision_trains_with_finite_losses(tmp_path):
    results = training.train(tiny_config(mixed_precision=True), str(tmp_path), verbose=0)
    assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
    assert np.isfinite(results["test"]["model"]["mae"])
    colorizer, _ = runs.load_colorizer(str(tmp_path))
    assert colorizer.generator.down[0].layers[0].compute_dtype == "bfloat16"
    ab = colorizer.predict_ab(tf.zeros([1, 32, 32, 1]))
    assert ab.dtype == tf.float32 and bool(tf.reduce_all(tf.math.is_finite(ab)))


def test_run_directory_holds_everything(tmp_path):
    results = training.train(tiny_config(), str(tmp_path), verbose=0)
    for name in (runs.CONFIG, runs.HISTORY, runs.METRICS, runs.SAMPLES, "generator.weights.h5"):
        assert (tmp_path / name).is_file(), name
    assert os.listdir(tmp_path / runs.CHECKPOINTS)
    assert os.listdir(tmp_path / runs.TENSORBOARD)
    for split in ("val", "test"):
        assert set(results[split]) >= {"model", "no_colour", "data"}
        assert results[split]["model"]["count"] == results[split]["data"]["count"]
    assert runs.read_config(str(tmp_path))["generator"] == TINY_UNET


def test_a_different_experiment_is_not_resumed_into_the_same_run_dir(tmp_path):
    training.train(tiny_config(), str(tmp_path), verbose=0)
    with pytest.raises(runs.RunDirError, match="different run"):
        training.train(tiny_config("unet_l2"), str(tmp_path), verbose=0)
