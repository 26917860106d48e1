"""The adversarial colorizers: which variables each update touches, that the auxiliary
classifier's signal reaches G (and that gamma=0 is the cgan), label smoothing, the
presets' paper numbers, and whole training runs (compiled, resumed, mirrored)."""

from __future__ import annotations

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf
from support import build, override, small_config

from colorization_tf import colorizers, presets, training
from colorization_tf.inference import load_run
from colorization_tf.training import RunDir


def make(preset: str, **overrides):
    config = small_config(preset, **overrides)
    config = override(config, generator={**config.method.generator, "dropout": 0.0})
    colorizer = build(config)  # dropout 0 above: deterministic steps
    colorizer.build_all(32)
    return colorizer


def batch(size=4, seed=0, labels=(0, 1, 2, 3)):
    lightness = tf.random.stateless_uniform([size, 32, 32, 1], [seed, 0], -1.0, 1.0)
    ab = tf.random.stateless_uniform([size, 32, 32, 2], [seed, 1], -0.5, 0.5)
    return {"L": lightness, "ab": ab, "label": tf.constant(labels[:size], tf.int64)}


def snapshot(network):
    return [v.numpy().copy() for v in network.trainable_variables]


def changed(before, network):
    return any(not np.array_equal(b, v.numpy())
               for b, v in zip(before, network.trainable_variables, strict=True))


def copy_weights(source, target):
    for network_from, network_to in zip(source.networks, target.networks, strict=False):
        network_to.set_weights(network_from.get_weights())


def test_discriminator_step_lowers_d_loss_and_touches_only_d():
    gan = make("cgan", learning_rate=1e-3)
    data = batch()
    fake_ab = gan.generator(data["L"], training=True)

    def d_loss():
        real, fake = gan.discriminator_losses(data["L"], data["ab"], fake_ab)
        return float(tf.reduce_mean(real + fake))

    before_loss, g_before, d_before = d_loss(), snapshot(gan.generator), snapshot(
        gan.discriminator)
    gan.discriminator_step(data)
    assert d_loss() < before_loss
    assert changed(d_before, gan.discriminator)
    assert not changed(g_before, gan.generator)


@pytest.mark.parametrize("preset", ["cgan", "vacgan", "wgan_gp"])
def test_generator_step_touches_only_g(preset):
    gan = make(preset)
    others = [n for n in gan.networks if n is not gan.generator]
    before = {id(n): snapshot(n) for n in gan.networks}
    gan.generator_step(batch())
    assert changed(before[id(gan.generator)], gan.generator)
    assert not any(changed(before[id(n)], n) for n in others)


def test_classifier_step_touches_only_c():
    gan = make("vacgan")
    data = batch()
    before = {id(n): snapshot(n) for n in gan.networks}
    gan.after_discriminator_step(data, gan.generator(data["L"], training=True))
    assert changed(before[id(gan.classifier)], gan.classifier)
    assert not changed(before[id(gan.generator)], gan.generator)
    assert not changed(before[id(gan.discriminator)], gan.discriminator)


def test_gamma_brings_the_classifier_signal_to_g():
    with_c, without_c = make("vacgan", gamma=0.01), make("vacgan", gamma=0.0)
    copy_weights(with_c, without_c)
    data = batch()
    grads_c = with_c.generator_gradients(data)
    grads_0 = without_c.generator_gradients(data)
    difference = max(float(tf.reduce_max(tf.abs(a - b))) for a, b in zip(grads_c, grads_0,
                                                                          strict=True))
    assert difference > 1e-7


def test_vacgan_with_gamma_zero_updates_g_like_the_cgan():
    cgan, vacgan = make("cgan"), make("vacgan", gamma=0.0)
    copy_weights(cgan, vacgan)  # G and D; C only exists in the vacgan
    data = batch()
    cgan.train_step(data)
    vacgan.train_step(data)
    for a, b in zip(cgan.generator.weights, vacgan.generator.weights, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)
    assert changed(snapshot(make("cgan").generator), cgan.generator)


def test_label_smoothing_changes_only_the_real_term():
    plain, smooth = make("cgan"), make("cgan", real_target=0.9)
    copy_weights(plain, smooth)
    data = batch()
    fake_ab = plain.generator(data["L"], training=True)
    real_plain, fake_plain = plain.discriminator_losses(data["L"], data["ab"], fake_ab)
    real_smooth, fake_smooth = smooth.discriminator_losses(data["L"], data["ab"], fake_ab)
    np.testing.assert_allclose(fake_plain, fake_smooth, rtol=1e-6)
    assert not np.allclose(real_plain, real_smooth)


def test_train_step_reports_every_loss_component():
    logs = make("vacgan").train_step(batch())
    assert {"d_real", "d_fake", "g_adv", "g_l1", "mae", "c_real", "c_fake",
            "g_ce"} <= set(logs)
    logs = make("wgan_gp").train_step(batch())
    assert {"d_wasserstein", "gradient_penalty", "g_adv", "g_l1"} <= set(logs)
    assert all(np.isfinite(float(v)) for v in logs.values())


def test_vacgan_refuses_unlabelled_data(tmp_path):
    from PIL import Image

    for i in range(3):  # images straight in the folder: no class sub-folders, no labels
        Image.fromarray(np.full((32, 32, 3), 40 * i, np.uint8)).save(tmp_path / f"{i}.png")
    config = small_config("vacgan", dataset=f"folder:{tmp_path}", batch_size=1,
                          filter_gray=False)
    with pytest.raises(ValueError, match="vacgan needs class labels"):
        build(config)
    with pytest.raises(ValueError, match="0 classes"):
        colorizers.build(config.method, num_classes=0)
    gan = make("vacgan")
    with pytest.raises(tf.errors.InvalidArgumentError, match="vacgan needs class labels"):
        gan.train_step(batch(labels=(0, -1, 2, 3)))


def test_presets_carry_the_papers_numbers():
    cgan = presets.get("cgan")
    method, optim = cgan.method, cgan.optim
    assert (method.name, method.loss, method.reconstruction_weight) == ("cgan", "l1", 100)
    assert method.generator["dropout"] == 0.5
    assert (optim.learning_rate, optim.decay_rate, optim.decay_steps) == (3e-4, 0.1, 20_000)
    assert optim.scale("discriminator") == 0.1 and method.g_steps_per_d_step == 2
    assert method.real_target == 1.0  # label smoothing off by default
    assert (cgan.runtime.batch_size, cgan.runtime.epochs) == (128, 200)
    vacgan = presets.get("vacgan")
    assert vacgan.method.gamma == 0.01 and vacgan.optim.scale("classifier") == 0.1
    assert vacgan.optim == cgan.optim and vacgan.runtime == cgan.runtime
    assert (vacgan.method.generator, vacgan.method.discriminator) == (
        method.generator, method.discriminator)
    assert vacgan.method.classifier["filters"] == [64, 128, 256, 256]
    assert vacgan.method.classifier["strides"] == [2, 2, 2, 1]
    wgan = presets.get("wgan_gp")
    assert (wgan.method.n_critic, wgan.method.penalty_weight) == (5, 10)
    assert wgan.runtime.batch_size == 64
    assert wgan.method.discriminator["type"] == "critic"


def test_optimizers_use_the_scaled_learning_rates():
    gan = make("vacgan")
    config = small_config("vacgan")
    rate = config.optim.learning_rate
    for optimizer, scale in ((gan.optimizer, 1.0), (gan.d_optimizer, 0.1),
                             (gan.c_optimizer, 0.1)):
        assert float(optimizer.learning_rate) == pytest.approx(rate * scale)
        assert optimizer.built


def _history(run_dir):
    import csv

    with open(RunDir(run_dir).history) as handle:
        return list(csv.DictReader(handle))


@pytest.mark.compiled
@pytest.mark.parametrize("preset", ["cgan", "vacgan", "wgan_gp"])
def test_each_preset_trains_an_epoch_compiled(preset, tmp_path):
    run_dir = str(tmp_path / preset)
    training.train(small_config(preset), run_dir, verbose=0)
    rows = _history(run_dir)
    assert len(rows) == 1
    assert "g_adv" in rows[0] and "val_mae" in rows[0]
    assert all(np.isfinite(float(v)) for v in rows[0].values())
    ab = load_run(run_dir).predict(tf.zeros([2, 32, 32, 1]))  # colorize/evaluate use G only
    assert ab.shape == (2, 32, 32, 2)


def _weights(path):
    out = {}
    with h5py.File(path, "r") as handle:
        handle.visititems(lambda name, obj: out.__setitem__(name, obj[()])
                          if isinstance(obj, h5py.Dataset) else None)
    return out


class Interrupted(Exception):
    pass


class InterruptAfterFirstEpoch(keras.callbacks.Callback):
    """Stops training like a killed job, after the backup of epoch 1 is written."""

    def on_epoch_end(self, epoch, logs=None):
        raise Interrupted


@pytest.mark.slow
def test_interrupted_gan_run_resumes_to_the_same_weights(tmp_path):
    """2 epochs straight vs interrupted after epoch 1 and re-run: G, D, C and every
    optimizer state (the whole checkpoint) end up equal."""
    config = small_config("vacgan", epochs=2)
    straight, resumed = str(tmp_path / "straight"), str(tmp_path / "resumed")
    training.train(config, straight, verbose=0)
    with pytest.raises(Interrupted):
        training.train(config, resumed, verbose=0, callbacks=[InterruptAfterFirstEpoch()])
    assert RunDir(resumed).resume_epoch() == 1
    training.train(config, resumed, verbose=0)
    a = _weights(RunDir(straight).last_checkpoint)
    b = _weights(RunDir(resumed).last_checkpoint)
    assert a.keys() == b.keys() and len(a) > 50
    assert any("optimizer" in k for k in a)
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-5, atol=1e-6, err_msg=key)
    assert [row["epoch"] for row in _history(resumed)] == ["0", "1"]


@pytest.mark.compiled
@pytest.mark.slow
def test_vacgan_trains_under_mirrored_strategy(tmp_path):
    assert len(tf.config.list_logical_devices("CPU")) >= 2
    run_dir = str(tmp_path / "mirrored")
    training.train(small_config("vacgan", strategy="mirrored"), run_dir, verbose=0)
    row = _history(run_dir)[0]
    assert all(np.isfinite(float(v)) for v in row.values())
    assert float(row["c_real"]) > 0
