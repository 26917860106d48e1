"""Loading a run directory into a ``Predictor``: the only place that rebuilds a model
from a run directory."""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from colorization_tf import colorizers
from colorization_tf.colorizers.config import MethodConfig
from colorization_tf.inference.predictor import Predictor
from colorization_tf.training import precision
from colorization_tf.training.run_dir import RunDir


def without_backbone_download(method: MethodConfig) -> MethodConfig:
    """The method with pretrained-backbone loading off: the run's weights file holds the
    backbone's trained weights, so inference never downloads them."""
    if "backbone_weights" not in method.generator:
        return method
    return dataclasses.replace(method, generator={**method.generator,
                                                  "backbone_weights": "none"})


def load_run(run_dir: str | RunDir, decode: str | None = None,
             temperature: float | None = None, *, mixed_precision: bool = False
             ) -> Predictor:
    """The run's colorizer with its trained generator weights and decoding artifacts, as a
    Predictor (``decode``/``temperature``: classification decoders; None = the run's).
    ``mixed_precision``: compute in bfloat16 (float16 on GPUs) where the device does so
    natively, weights kept in float32 (``colorize``'s default: faster, colours within a
    few levels of 255 of float32's); float32 otherwise, as evaluation and export need.
    Raises ``RunDirError`` naming the directory when something is missing."""
    run = run_dir if isinstance(run_dir, RunDir) else RunDir(run_dir)
    config = run.read_config()
    run.require_weights()
    with precision.policy(mixed_precision) as policy:
        colorizer = colorizers.build(without_backbone_download(config.method),
                                     config.num_classes, config.runtime.seed)
        size = config.data.image_size
        colorizer.build_networks(tf.zeros([1, size, size, 1]))
    colorizer.generator.load_weights(run.generator_weights)
    artifacts = run.read_artifacts()
    if artifacts:
        colorizer.load_artifacts(artifacts)
    predictor = Predictor(colorizer, size, name=run.name, config=config, decode=decode,
                          temperature=temperature, precision=policy, frozen=True)
    predictor.predict(tf.zeros([1, size, size, 1]))  # compiles; checks decode/temperature
    return predictor
