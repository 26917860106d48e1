"""Inference precision: ``load_run`` computes in float32 unless asked (evaluation and
export), ``colorize`` asks for the lower precision where the device computes it natively
(``precision.wanted``), and the colours it then gives stay within a few levels of 255 of
float32's."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import skimage.data
import tensorflow as tf
from support import tiny_config

from colorization_tf import training
from colorization_tf.inference import loading
from colorization_tf.training import precision

# bfloat16 keeps 8 bits of mantissa: the colours of a full-resolution photo move by a
# level or two of 255 at a few pixels here (the main job's run: at most 4 levels, more
# than 1 at 0.5% of values; benchmarks/colorize_speed.py prints those figures)
MAX_LEVELS = 3
SHARE_OVER_ONE_LEVEL = 0.001


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("run"))
    training.train(tiny_config(epochs=2), path, verbose=0)
    return path


@pytest.fixture
def bfloat16_here(monkeypatch):
    """As on a CPU with native bfloat16, whatever this machine has (the emulated kernels
    give the same numbers, only slower)."""
    monkeypatch.setattr(precision, "policy_name", lambda force=False: "mixed_bfloat16")


def test_load_run_computes_in_float32_unless_asked(run_dir):
    predictor = loading.load_run(run_dir)
    assert predictor.precision == "float32"
    assert {layer.compute_dtype for layer in predictor.colorizer.generator.layers} == {
        "float32"}


def test_mixed_inference_computes_in_bfloat16_and_keeps_colours(run_dir, bfloat16_here):
    plain = loading.load_run(run_dir)
    mixed = loading.load_run(run_dir, mixed_precision=True)
    assert mixed.precision == "mixed_bfloat16"
    convs = [layer for layer in mixed.colorizer.generator._flatten_layers()
             if isinstance(layer, keras.layers.Conv2D)
             and layer is not mixed.colorizer.generator.head]  # the 1x1 head: float32
    assert convs and {layer.compute_dtype for layer in convs} == {"bfloat16"}
    assert mixed.colorizer.generator.head.compute_dtype == "float32"
    assert {v.dtype for v in mixed.colorizer.generator.weights} == {"float32"}
    # the policy was set only while building: nothing leaks into the caller's
    assert keras.mixed_precision.global_policy().name == "float32"
    lightness = tf.random.stateless_uniform([4, 32, 32, 1], [3, 4], -1.0, 1.0)
    ab = mixed.predict(lightness)
    assert ab.dtype == tf.float32
    assert 0 < float(tf.reduce_max(tf.abs(ab - plain.predict(lightness)))) < 0.05
    photo = skimage.data.astronaut()[::2, ::2]
    levels = np.abs(mixed.colorize_rgb(photo).astype(int) - plain.colorize_rgb(photo))
    assert levels.max() <= MAX_LEVELS
    assert (levels > 1).mean() <= SHARE_OVER_ONE_LEVEL


def test_unset_means_native(monkeypatch):
    for native in (True, False):
        monkeypatch.setattr(precision, "native",
                            lambda native=native: precision.Native(native, "test"))
        assert precision.wanted(None) is native
        assert precision.wanted(True) is True and precision.wanted(False) is False
