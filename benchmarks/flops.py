"""Forward-pass FLOPs of every preset's networks, counted by the TF profiler on the
traced graph, printed as JSON (GFLOP per image). A train step costs about three forward
passes of what it updates, so ``3 x GFLOP x images/s`` (benchmarks/throughput.py) is a
step's FLOP rate, comparable with the machine's matmul rate.

    python benchmarks/flops.py [--presets unet_l1,cgan,multipath]
"""

from __future__ import annotations

import argparse
import json

import tensorflow as tf
from tensorflow.python.profiler import model_analyzer, option_builder

from colorization_tf import models, presets
from colorization_tf.training.config import apply_flags


def forward_gflops(network, shape: list[int]) -> float:
    """GFLOPs of one forward pass of ``network`` on one input of ``shape`` (no batch)."""
    spec = tf.TensorSpec([1, *shape], tf.float32)
    graph = tf.function(lambda x: network(x, training=False)).get_concrete_function(spec).graph
    options = option_builder.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return model_analyzer.profile(graph, options=options).total_float_ops / 1e9


def preset_flops(name: str) -> dict[str, float]:
    """GFLOP per image of the preset's generator and adversaries at its image size."""
    config = presets.get(name)
    if "backbone_weights" in config.method.generator:
        config = apply_flags(config, backbone_weights="none")
    size, method = config.data.image_size, config.method
    gray_channels = 2 if method.name == "multipath" else 1  # gray + Canny edges
    generator = {**method.generator}
    if method.name == "classification":
        generator["num_bins"] = 229  # the in-gamut grid-10 bins
    if method.name == "rgb":
        generator["out_channels"] = 3
    out = {"generator": forward_gflops(models.build(generator), [size, size, gray_channels])}
    colour_channels = 3 if method.name == "multipath" else 2
    if method.discriminator:
        out["discriminator"] = forward_gflops(models.build(method.discriminator),
                                              [size, size, 1 + colour_channels])
    if method.classifier:
        out["classifier"] = forward_gflops(
            models.build({**method.classifier, "num_classes": 10}), [size, size, 3])
    return {key: round(value, 4) for key, value in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="all")
    args = parser.parse_args()
    names = presets.names() if args.presets == "all" else args.presets.split(",")
    print(json.dumps({"gflop_per_image_forward": {name: preset_flops(name) for name in names}},
                     indent=2))


if __name__ == "__main__":
    main()
