"""Helpers the tests share: tiny run configurations that keep the suite fast, the rule
for optional pieces (a browser, ONNX runtime, the [web] extra): under CI (``CI=true``) a
missing piece fails the test, elsewhere it skips it with the reason, a machine without
OpenCV, and stand-ins (futures, a predictor) for the batching tests."""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import importlib
import os
import sys
import time
from collections.abc import Iterator
from types import ModuleType

import numpy as np
import pytest

from colorization_tf import presets
from colorization_tf.data import DataConfig
from colorization_tf.evaluation.run_metrics import write_run_metrics
from colorization_tf.training import RunConfig, build_colorizer, train
from colorization_tf.training.config import override
from colorization_tf.training.fit import with_data_facts


def in_ci() -> bool:
    """True where the CI sets ``CI`` (to ``true``, ``1`` or ``yes``): optional pieces must be there."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def need(available: bool, reason: str) -> None:
    """Goes on when ``available``; otherwise fails the test under CI (a missing optional piece
    must not turn CI green by skipping) and skips it elsewhere, with ``reason``."""
    if available:
        return
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a missing optional piece is a failure, not a skip)",
                    pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require_module(name: str, reason: str | None = None) -> ModuleType:
    """``pytest.importorskip`` under the CI rule of :func:`need`: the imported module, or a
    skip (locally) / failure (under CI) naming what is missing."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        need(False, f"{reason or name + ' is not installed'}: {error}")
        raise  # unreachable: need() skipped or failed


TINY_UNET = {"type": "unet", "encoder_filters": [8, 16, 32], "first_stride": 1, "dropout": 0.0}
TINY_DATA = DataConfig(dataset="samples", image_size=32, max_examples=24)
SMALL_D = {"filters": [8, 16]}
SMALL_C = {"filters": [8, 8], "strides": [2, 1]}


def tiny_config(preset: str = "unet_l1", **values) -> RunConfig:
    """A preset shrunk for tests: tiny U-Net, batch 8, one epoch, on tiny samples (with
    the data features the preset reads, e.g. simulated hints)."""
    base = presets.get(preset)
    generator = base.method.generator
    if generator.get("type") == "unet":
        generator = {**TINY_UNET, "dropout": generator.get("dropout", 0.0)}
    config = base.replace(method=dataclasses.replace(base.method, generator=generator),
                          data=dataclasses.replace(TINY_DATA, features=base.data.features),
                          runtime=dataclasses.replace(base.runtime, epochs=1, batch_size=8,
                                                      mixed_precision=False))
    return override(config, **values)


def small_config(preset: str, **values) -> RunConfig:
    """tiny_config with small adversaries (and 2 critic steps for WGAN-GP)."""
    config = tiny_config(preset)
    method = config.method
    extra = {"discriminator": {**method.discriminator, **SMALL_D}}
    if method.classifier:
        extra["classifier"] = {**method.classifier, **SMALL_C}
    if preset == "wgan_gp":
        extra["n_critic"] = 2
    return override(config, **extra, **values)


def build(config: RunConfig):
    """The compiled colorizer of ``config``, with the class count of its data."""
    return build_colorizer(with_data_facts(config))


def train_and_score(config: RunConfig, run_dir: str, **kwargs) -> dict:
    """Trains into ``run_dir`` and writes metrics.json / samples.png, as the CLI does."""
    train(config, run_dir, verbose=0, **kwargs)
    return write_run_metrics(run_dir)


def ready(value) -> concurrent.futures.Future:
    """A future already done with ``value`` (a photo decoded)."""
    future = concurrent.futures.Future()
    future.set_result(value)
    return future


class StillDecoding(concurrent.futures.Future):
    """A photo whose decoding is not done when the batcher looks, and is when it waits."""

    def __init__(self, value):
        super().__init__()
        self.value = value

    def done(self) -> bool:
        return False

    def result(self, timeout=None):
        return self.value


@contextlib.contextmanager
def without_opencv(monkeypatch) -> Iterator[None]:
    """Within the block, ``import cv2`` fails as on a machine without the [video] extra."""
    from colorization_tf.inference import optical_flow

    monkeypatch.setitem(sys.modules, "cv2", None)
    optical_flow.require_cv2.cache_clear()
    try:
        yield
    finally:
        monkeypatch.delitem(sys.modules, "cv2")
        optical_flow.require_cv2.cache_clear()


class ColourlessPredictor:
    """A predictor at 8 px that gives no colour to any photo, ``delay`` seconds a call,
    ``drop`` rows short of the batch (a broken one); ``calls`` counts its calls."""

    image_size = 8

    def __init__(self, delay: float = 0.0, drop: int = 0):
        self.delay, self.drop, self.calls = delay, drop, 0

    def predict(self, lightness):
        self.calls += 1
        time.sleep(self.delay)
        rows = np.shape(lightness)[0] - self.drop
        return np.zeros((rows,) + np.shape(lightness)[1:3] + (2,), np.float32)
