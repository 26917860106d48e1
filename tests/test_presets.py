"""Every registered preset validates, survives config.json and back, and the command-line
overrides are checked in one place with messages naming the flag."""

from __future__ import annotations

import dataclasses

import pytest

from colorization_tf import presets
from colorization_tf.training import ConfigError, RunConfig
from colorization_tf.training.config import apply_flags, override


@pytest.mark.parametrize("name", presets.names())
def test_every_preset_validates_and_round_trips(name):
    config = presets.get(name)
    assert config.preset == name
    assert config.validate() is config
    assert RunConfig.from_dict(config.to_dict()) == config


def test_flags_land_in_their_sections():
    config = apply_flags(presets.get("cgan"), dataset="folder:/photos", batch_size=16,
                         image_size=64, seed=3, learning_rate=1e-4, mixed_precision=True)
    assert (config.data.dataset, config.data.image_size, config.data.seed) == (
        "folder:/photos", 64, 3)
    assert (config.runtime.batch_size, config.runtime.seed) == (16, 3)
    assert config.runtime.mixed_precision and config.optim.learning_rate == 1e-4
    assert config.runtime.epochs == 200  # the paper's schedule away from `samples`
    assert apply_flags(presets.get("cgan")).runtime.epochs == 10  # short one on samples


@pytest.mark.parametrize("flags, message", [
    ({"batch_size": 0}, "--batch_size=0: expected a positive integer"),
    ({"epochs": -1}, "--epochs=-1"),
    ({"steps_per_epoch": 0}, "--steps_per_epoch=0"),
    ({"image_size": 30}, "--image_size=30: preset unet_l1 needs a multiple of 16"),
    ({"val_ratio": 1.5}, "--val_ratio=1.5"),
    ({"split_method": "alphabetical"}, "--split_method=alphabetical"),
    ({"strategy": "cluster"}, "--strategy=cluster"),
])
def test_impossible_values_are_refused_naming_the_flag(flags, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        apply_flags(presets.get("unet_l1"), **flags)


def test_unknown_preset_and_setting_are_refused():
    with pytest.raises(ConfigError, match="--preset=nope: expected one of .*unet_l1"):
        presets.get("nope")
    with pytest.raises(ConfigError, match="'colour' is not a setting"):
        override(presets.get("unet_l1"), colour=1)


def test_a_config_json_of_another_layout_is_refused():
    values = presets.get("unet_l1").to_dict()
    values["method"] = {**values["method"], "wings": 2}
    with pytest.raises(ConfigError, match="not a run configuration of this version"):
        RunConfig.from_dict(values)
    assert dataclasses.is_dataclass(RunConfig.from_dict(presets.get("unet_l1").to_dict()))


@pytest.mark.parametrize("name", presets.names())
def test_preset_method_module_and_class_read_without_a_map(name):
    """preset -> method -> module of the same name -> the colorizer class it builds."""
    import importlib

    from colorization_tf import colorizers

    method = presets.get(name).method.name
    assert colorizers.METHODS[method] == f"colorization_tf.colorizers.{method}"
    module = importlib.import_module(colorizers.METHODS[method])
    built = module.build.__annotations__["return"]
    built = getattr(module, built) if isinstance(built, str) else built
    assert issubclass(built, colorizers.Colorizer) and built.__module__ == module.__name__
