"""The learning-rate schedules: the papers' staircase, and the half cosine to 0 that the
short ``samples`` schedule uses (checked against the analytic curve)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from colorization_tf import presets
from colorization_tf.training import optimizers
from colorization_tf.training.config import OptimConfig, apply_flags


@pytest.mark.parametrize("flags, annealed, epochs", [
    ({}, True, 12),  # the main job: samples with the preset's short schedule
    ({"epochs": 12}, False, 12),  # an explicit schedule keeps the paper's optimiser
    ({"dataset": "cifar10"}, False, 200),
])
def test_only_the_short_samples_schedule_is_annealed(flags, annealed, epochs):
    config = apply_flags(presets.get("unet_l1"), **flags)
    assert config.optim.cosine_to_zero is annealed
    assert config.runtime.epochs == epochs
    assert config.optim.decay_steps == 17_500  # the paper's staircase stays recorded


def test_cosine_follows_the_half_cosine_to_zero():
    optim = OptimConfig(1e-3, cosine_to_zero=True)
    rate = optimizers.schedule(optim, scale=0.5, total_steps=120)
    for step in (0, 30, 60, 90, 120, 150):
        expected = 0.5e-3 * 0.5 * (1 + math.cos(math.pi * min(step, 120) / 120))
        assert float(rate(step)) == pytest.approx(expected, rel=1e-5, abs=1e-12)


def test_staircase_and_constant_rates():
    staircase = optimizers.schedule(OptimConfig(1e-3, decay_rate=0.3, decay_steps=10))
    assert [float(staircase(s)) for s in (0, 9, 10, 25)] == pytest.approx(
        [1e-3, 1e-3, 3e-4, 9e-5])
    assert optimizers.schedule(OptimConfig(2e-4), scale=0.1) == pytest.approx(2e-5)


def test_cosine_without_the_run_length_is_refused():
    with pytest.raises(ValueError, match="total number of updates"):
        optimizers.schedule(dataclasses.replace(OptimConfig(), cosine_to_zero=True))


@pytest.mark.slow
@pytest.mark.compiled
def test_a_trained_annealed_run_ends_at_rate_zero(tmp_path):
    from support import small_config, tiny_config

    from colorization_tf.training import train

    for preset, config in (("unet_l1", tiny_config(cosine_to_zero=True)),  # one optimiser
                           ("cgan", small_config("cgan", cosine_to_zero=True))):  # G and D
        trained = train(config, str(tmp_path / preset), verbose=0)
        for keyword in trained.OPTIMIZERS:
            optimizer = getattr(trained, keyword)
            assert int(optimizer.iterations) > 0
            assert float(optimizer.learning_rate) == pytest.approx(0.0, abs=1e-12)
