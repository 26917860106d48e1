"""The benchmark scripts still run against today's package: a one-step train-step
measurement of the main job's preset (the path every throughput figure in the docs comes
from), in each precision, compiled as the benchmark measures it."""

from __future__ import annotations

import importlib.util
import math
import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name: str):
    path = os.path.join(HERE, "..", "benchmarks", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.compiled
@pytest.mark.parametrize("mixed", [False, True])
def test_throughput_times_a_train_step(mixed):
    throughput = _load("throughput")
    config = throughput.preset_config("unet_l1")
    rate = throughput.train_step_rate(config, steps=1, batch_size=2, mixed=mixed)
    assert math.isfinite(rate) and rate > 0
