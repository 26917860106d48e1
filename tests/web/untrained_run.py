"""A run directory made without training (a freshly initialised tiny U-Net saved as its
weights), for tests and the upload benchmark that need the real inference path."""

from __future__ import annotations

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def untrained_run(path: str, preset: str = "unet_l1", full_network: bool = False,
                  image_size: int | None = None) -> str:
    """A run directory as ``train`` leaves it, but with initial (untrained) weights of the
    tiny version of ``preset`` (``support.tiny_config``), or with ``full_network`` of the
    preset's own network; ``image_size``: its render size (default: the config's)."""
    import dataclasses

    import tensorflow as tf
    from support import tiny_config

    from colorization_tf import colorizers, presets
    from colorization_tf.training import RunDir
    from colorization_tf.training.fit import with_data_facts

    config = tiny_config(preset)
    if full_network:
        config = config.replace(method=presets.get(preset).method)
    if image_size:
        config = config.replace(data=dataclasses.replace(config.data, image_size=image_size))
    config = with_data_facts(config)
    run = RunDir(path)
    run.create()
    run.write_config(config)
    colorizer = colorizers.build(config.method, config.num_classes, config.runtime.seed)
    size = config.data.image_size
    colorizer.build_networks(tf.zeros([1, size, size, 1]))
    colorizer.generator.save_weights(run.generator_weights)
    return path


def untrained_colorize_fn(names):
    """The colorize page's function over one untrained run served under every name."""
    from colorization_tf.web import runs

    folder = untrained_run(os.path.join(tempfile.mkdtemp(prefix="untrained-"), "tiny_unet"))
    colorize = runs.colorizers_of(runs.load_predictors([folder]))["tiny_unet"]
    return runs.colorize_with({name: colorize for name in names})
