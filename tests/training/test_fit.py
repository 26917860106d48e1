"""Supervised training: overfitting, compiled fit, resume after interruption, distributed
and mixed-precision runs, and the run directory it leaves."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from support import TINY_UNET, build, tiny_config, train_and_score

from colorization_tf import training
from colorization_tf.colorizers.supervised import SupervisedColorizer
from colorization_tf.data import make_dataset
from colorization_tf.evaluation.run_metrics import write_run_metrics
from colorization_tf.inference import load_run
from colorization_tf.training import RunDir, RunDirError


class _StopAfterEpoch(keras.callbacks.Callback):
    """Simulates a killed run: raises once epoch ``epoch`` has been backed up."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def _generator_weights(run_dir):
    return load_run(run_dir).colorizer.generator.get_weights()


@pytest.mark.compiled
def test_tiny_unet_overfits_one_batch(tiny_data):
    batch = next(iter(make_dataset(tiny_data, "train", 8, training=True)))
    colorizer = build(tiny_config(decay_steps=None))
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
@pytest.mark.slow
def test_interrupted_run_resumes_to_the_same_weights(tmp_path):
    config = tiny_config(epochs=3)
    training.train(config, str(tmp_path / "straight"), verbose=0)
    with pytest.raises(KeyboardInterrupt):
        training.train(config, str(tmp_path / "resumed"), verbose=0,
                       callbacks=[_StopAfterEpoch(1)])
    assert RunDir(str(tmp_path / "resumed")).resume_epoch() == 2
    training.train(config, str(tmp_path / "resumed"), verbose=0)
    for a, b in zip(_generator_weights(tmp_path / "straight"),
                    _generator_weights(tmp_path / "resumed"), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    history = open(RunDir(str(tmp_path / "resumed")).history).read().strip().splitlines()
    assert [line.split(",")[0] for line in history[1:]] == ["0", "1", "2"]


@pytest.mark.compiled
@pytest.mark.slow
def test_mirrored_strategy_matches_single_device(tmp_path):
    assert len(tf.config.list_logical_devices("CPU")) == 2
    results = {}
    for strategy in ("default", "mirrored"):
        run_dir = str(tmp_path / strategy)
        training.train(tiny_config(strategy=strategy), run_dir, verbose=0)
        history = np.genfromtxt(RunDir(run_dir).history, delimiter=",", names=True)
        results[strategy] = (float(history["loss"]), _generator_weights(run_dir))
    # Same global batches, loss averaged over the global batch, synchronized batch norm:
    # the two runs agree up to float32 reduction order.
    np.testing.assert_allclose(results["mirrored"][0], results["default"][0], rtol=1e-4)
    for a, b in zip(results["mirrored"][1], results["default"][1], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)


def test_mixed_precision_trains_with_finite_losses(tmp_path):
    trained = training.train(tiny_config(mixed_precision=True), str(tmp_path), verbose=0)
    assert trained.generator.down[0].layers[0].compute_dtype == "bfloat16"
    # the policy is scoped to the run: nothing leaks into the next call
    assert keras.mixed_precision.global_policy().name == "float32"
    results = write_run_metrics(str(tmp_path))
    assert np.isfinite(results["test"]["model"]["mae"])
    ab = load_run(str(tmp_path)).predict(tf.zeros([1, 32, 32, 1]))
    assert ab.dtype == tf.float32 and bool(tf.reduce_all(tf.math.is_finite(ab)))


def test_run_directory_holds_everything(tmp_path):
    results = train_and_score(tiny_config(), str(tmp_path))
    run = RunDir(str(tmp_path))
    for path in (run.config, run.history, run.metrics, run.samples, run.generator_weights,
                 run.last_checkpoint):
        assert os.path.isfile(path), path
    assert os.listdir(run.tensorboard)
    for split in ("val", "test"):
        assert set(results[split]) >= {"model", "no_colour", "data"}
        assert results[split]["model"]["count"] == results[split]["data"]["count"]
    assert run.read_config() == training.fit.with_data_facts(tiny_config())
    assert run.read_config().method.generator == TINY_UNET


def test_a_different_experiment_is_not_resumed_into_the_same_run_dir(tmp_path):
    training.train(tiny_config(), str(tmp_path), verbose=0)
    with pytest.raises(RunDirError, match="different run"):
        training.train(tiny_config("unet_l2"), str(tmp_path), verbose=0)


@pytest.mark.slow
@pytest.mark.compiled
def test_cgan_trains_one_step_compiled_with_xla(tmp_path):
    from support import small_config

    config = small_config("cgan", jit_compile=True, steps_per_epoch=1, eval_examples=4)
    trained = training.train(config, str(tmp_path), verbose=0)
    assert trained.jit_compile  # keras compiled the custom train_step with XLA
    history = np.genfromtxt(RunDir(str(tmp_path)).history, delimiter=",", names=True)
    assert all(np.isfinite(float(history[name])) for name in history.dtype.names)


@pytest.mark.slow
@pytest.mark.compiled
def test_short_epochs_resume_exactly(tmp_path):
    config = tiny_config(epochs=3, steps_per_epoch=1)
    training.train(config, str(tmp_path / "straight"), verbose=0)
    with pytest.raises(KeyboardInterrupt):
        training.train(config, str(tmp_path / "resumed"), verbose=0,
                       callbacks=[_StopAfterEpoch(0)])
    training.train(config, str(tmp_path / "resumed"), verbose=0)
    for a, b in zip(_generator_weights(tmp_path / "straight"),
                    _generator_weights(tmp_path / "resumed"), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_area_downsample_equals_area_resize():
    from colorization_tf.colorizers.classification import area_downsample

    ab = tf.random.stateless_uniform([2, 32, 32, 2], [5, 6], -1.0, 1.0)
    like = tf.zeros([2, 8, 8, 5])
    np.testing.assert_allclose(area_downsample(ab, like),
                               tf.image.resize(ab, [8, 8], method="area"), atol=1e-6)
