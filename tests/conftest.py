"""Shared test setup: two logical CPU devices (for MirroredStrategy tests), eager
tf.functions by default (mark a test ``compiled`` to run it as real training does), and
tiny configurations that keep the suite fast."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from colorization_tf.data import DataConfig  # noqa: E402

_cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])

TINY_UNET = {"type": "unet", "encoder_filters": [8, 16, 32], "first_stride": 1, "dropout": 0.0}


def pytest_configure(config):
    config.addinivalue_line("markers", "compiled: run tf.functions compiled, not eagerly")
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


@pytest.fixture(autouse=True)
def _eager_by_default(request):
    """Eager tf.functions unless the test is marked ``compiled``; float32 policy."""
    tf.config.run_functions_eagerly(request.node.get_closest_marker("compiled") is None)
    keras.mixed_precision.set_global_policy("float32")
    yield
    tf.config.run_functions_eagerly(False)
    keras.mixed_precision.set_global_policy("float32")


@pytest.fixture
def tiny_data() -> DataConfig:
    """The embedded samples at 32 px, at most 24 images per split."""
    return DataConfig(dataset="samples", image_size=32, max_examples=24)


def tiny_config(preset: str = "unet_l1", **overrides) -> dict:
    """A preset shrunk for tests: tiny U-Net, batch 8, one epoch, on tiny samples."""
    from colorization_tf import presets, training

    base = presets.get(preset)
    if "generator" in base and base["generator"].get("type") == "unet":
        base["generator"] = {**TINY_UNET, "dropout": base["generator"].get("dropout", 0.0)}
    data = DataConfig(dataset="samples", image_size=32, max_examples=24)
    config = training.resolve_config(base, data, epochs=1, batch_size=8)
    config.update(overrides)
    return config


SMALL_D = {"filters": [8, 16]}
SMALL_C = {"filters": [8, 8], "strides": [2, 1]}


def small_config(preset: str, **overrides) -> dict:
    """tiny_config with small adversaries (and 2 critic steps for WGAN-GP)."""
    config = tiny_config(preset)
    config["discriminator"] = {**config["discriminator"], **SMALL_D}
    if "classifier" in config:
        config["classifier"] = {**config["classifier"], **SMALL_C}
    if preset == "wgan_gp":
        config["n_critic"] = 2
    config.update(overrides)
    return config
