"""A run directory made without training (a freshly initialised tiny U-Net saved as its
weights), for tests and the upload benchmark that need the real inference path."""

from __future__ import annotations

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def untrained_run(path: str, preset: str = "unet_l1") -> str:
    """A run directory as ``train`` leaves it, but with initial (untrained) weights of the
    tiny version of ``preset`` (``support.tiny_config``)."""
    import tensorflow as tf
    from support import tiny_config

    from colorization_tf import colorizers
    from colorization_tf.training import RunDir
    from colorization_tf.training.fit import with_data_facts

    config = with_data_facts(tiny_config(preset))
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
    colorize = runs.load_colorizers([folder])["tiny_unet"]
    return runs.colorize_with({name: colorize for name in names})
