"""The benchmark scripts still run against today's package: a one-step train-step
measurement of the main job's preset (the path every throughput figure in the docs comes
from), in each precision, compiled as the benchmark measures it; and the pure functions
that turn runs into verdicts, on hand-computed cases."""

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


def test_pytorchs_best_is_its_faster_step_in_each_precision():
    torch = {"eager_fp32": {"images_per_s": 50.0},
             "compiled_channels_last_fp32": {"images_per_s": 64.0},
             "eager_bf16": {"images_per_s": 100.0},
             "compiled_channels_last_bf16": {"images_per_s": 80.0}}
    ratios = _load("throughput").over_torch_best({"plain": 96.0, "mixed": 150.0}, torch)
    assert ratios == {"plain": 1.5, "mixed": 1.5}


@pytest.mark.compiled
def test_small_maps_times_each_layer_both_ways_in_both_precisions():
    result = _load("small_maps").main(["--batch_size", "2", "--repeats", "1"])
    assert len(result["ms"]) == 12
    for times in result["ms"].values():
        assert times["keras"] > 0 and times["patch"] > 0
        assert times["keras_over_patch"] == pytest.approx(times["keras"] / times["patch"],
                                                          abs=0.01)


def test_gan_precision_holds_each_epoch_to_the_float32_band_over_seeds():
    compare = _load("gan_precision").compare
    exact = [{"losses": {"d": [1.0, 2.0]}}, {"losses": {"d": [1.2, 1.8]}}]
    # float32's whole range is 1.0..2.0, so a margin of 0.1 widens each band by 0.1
    inside = compare([{"losses": {"d": [0.95, 1.75]}}], exact, margin=0.1)["d"]
    assert inside["within"] and inside["outside_by"] == 0.0
    assert inside["per_epoch"][1] == {"float32": [1.8, 2.0], "mixed": [1.75]}
    # first run: 1.25 fits epoch 0's band, but its 1.0 at epoch 1 lies 0.7 below that
    # epoch's widened band (1.7) though inside float32's whole range; second run: 2.3 is
    # 0.2 past 2.1. The furthest counts, as a share of the range.
    outside = compare([{"losses": {"d": [1.25, 1.0]}}, {"losses": {"d": [1.0, 2.3]}}],
                      exact, margin=0.1)["d"]
    assert not outside["within"]
    assert outside["outside_by"] == pytest.approx(0.7)
    assert outside["mixed_range"] == [1.0, 2.3] and outside["non_finite"] == 0
    assert compare([{"losses": {"d": [float("nan"), 1.8]}}], exact, 0.1)["d"]["non_finite"] == 1


def test_gan_precision_measures_float32s_own_seed_spread_by_leaving_one_out():
    spread = _load("gan_precision").seed_spread
    exact = [{"losses": {"d": [1.0]}}, {"losses": {"d": [1.2]}}, {"losses": {"d": [2.0]}}]
    # range 1.0; each float32 run against the other two: 1.0 lies 0.2 below [1.2, 2.0],
    # 1.2 inside [1.0, 2.0], 2.0 lies 0.8 above [1.0, 1.2]
    near = spread([{"losses": {"d": [2.5]}}], exact, margin=0.0)["d"]
    assert near["float32_held_out"] == [0.2, 0.0, 0.8]
    # 2.5 against the same three bands: 0.5, 0.5 and 1.3 above, 0.7667 on average
    assert near["mixed"] == [0.7667] and near["within_seed_spread"]
    far = spread([{"losses": {"d": [2.5]}}, {"losses": {"d": [3.0]}}], exact, 0.0)["d"]
    assert far["mixed"] == [0.7667, 1.2667] and not far["within_seed_spread"]
    # a margin of 0.1 widens every band by 0.1 of the whole range (1.0)
    padded = spread([{"losses": {"d": [2.5]}}], exact, margin=0.1)["d"]
    assert padded["float32_held_out"] == [0.1, 0.0, 0.7] and padded["mixed"] == [0.6667]
