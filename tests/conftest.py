"""Shared test setup: the package imported before TensorFlow (so the tests run with the
oneDNN kernels users get), hypothesis profiles, two logical CPU devices (for
MirroredStrategy tests) and eager tf.functions by default (mark a test ``compiled`` to run
it as real training does).
Tiny configurations live in ``support.py``."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# before TensorFlow: importing the package turns oneDNN on (cpu.py)
import colorization_tf  # noqa: E402,F401

# isort: split
import hypothesis  # noqa: E402
import keras  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from colorization_tf.data import DataConfig  # noqa: E402

# Property tests (hypothesis): 50 examples each, no per-example deadline (the machine may be
# busy); tools/mutation.py selects the lighter "mutation" profile (HYPOTHESIS_PROFILE).
hypothesis.settings.register_profile("tests", max_examples=50, deadline=None)
hypothesis.settings.register_profile("mutation", max_examples=10, deadline=None,
                                     database=None)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "tests"))

_cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])


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
