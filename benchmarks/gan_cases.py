"""Benchmark cases for the adversarial train steps (cgan, vacgan) at the paper's setting
(batch 128, CIFAR size 32 px), with an estimate of their FLOPs relative to the U-Net
(supervised) step, for benchmarks/throughput.py to time next to the U-Net.

Interface: ``gan_cases(batch_size=128, image_size=32)`` returns a list of ``GanCase``:
``name`` (the preset), ``build()`` -> ``(colorizer, batch)`` (a compiled colorizer with
every network and optimizer built, and one batch ``{"L", "ab", "label"}``; time
``colorizer.train_step`` wrapped in ``tf.function``, or ``colorizer.fit`` on a repeated
dataset) and ``flops_ratio`` (estimated FLOPs of one step / FLOPs of one U-Net step).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import keras
import tensorflow as tf

from colorization_tf import colorizers, models, presets
from colorization_tf.colorizers.cgan import condition

NUM_CLASSES = 10  # CIFAR-10


@dataclasses.dataclass
class GanCase:
    name: str
    build: Callable[[], tuple[keras.Model, dict]]
    flops_ratio: float
    forward_flops: dict[str, int]


def forward_flops(network: keras.Model, inputs: tf.Tensor) -> int:
    """Multiply-add FLOPs (2 per MAC) of one forward pass of ``network`` on ``inputs``,
    counted over its Conv2D, Conv2DTranspose and Dense layers (the rest is negligible)."""
    total = 0
    patched = []

    def counting(layer, original):
        def call(x, *args, **kwargs):
            nonlocal total
            y = original(x, *args, **kwargs)
            total += 2 * _macs(layer, x.shape, y.shape)
            return y
        return call

    kinds = (keras.layers.Conv2D, keras.layers.Conv2DTranspose, keras.layers.Dense)
    for layer in network._flatten_layers():
        if isinstance(layer, kinds):
            object.__setattr__(layer, "call", counting(layer, layer.call))
            patched.append(layer)
    try:
        network(inputs)
    finally:
        for layer in patched:
            object.__delattr__(layer, "call")
    return total


def _macs(layer, in_shape, out_shape) -> int:
    if isinstance(layer, keras.layers.Conv2DTranspose):
        kh, kw = layer.kernel_size
        return in_shape[0] * in_shape[1] * in_shape[2] * in_shape[3] * kh * kw * out_shape[3]
    if isinstance(layer, keras.layers.Conv2D):
        kh, kw = layer.kernel_size
        return out_shape[0] * out_shape[1] * out_shape[2] * out_shape[3] * kh * kw * in_shape[3]
    return int(in_shape[0]) * int(in_shape[-1]) * int(out_shape[-1])


def step_flops_ratio(g: int, d: int, c: int = 0, g_steps: int = 2) -> float:
    """FLOPs of a GAN step over a U-Net step (3 G: forward + backward ~ 2 forward).

    D step: G forward (1 G), D forward+backward on real and fake (2 x 3 D); C step the
    same for C (2 x 3 C). Each G step: G forward+backward (3 G), D and C forward plus
    backward to their inputs only (2 D + 2 C)."""
    step = g + 6 * d + 6 * c + g_steps * (3 * g + 2 * d + 2 * c)
    return step / (3 * g)


def gan_cases(batch_size: int = 128, image_size: int = 32) -> list[GanCase]:
    """The cgan and vacgan train steps at the paper's widths (see module docstring)."""
    cases = []
    for name in ("cgan", "vacgan"):
        config = presets.get(name, batch_size=batch_size)
        config["data"] = {"dataset": "samples", "image_size": image_size}
        if name == "vacgan":
            config["num_classes"] = NUM_CLASSES
        lightness = tf.zeros([1, image_size, image_size, 1])
        generator = models.build(config["generator"])
        pair = condition(lightness, generator(lightness))
        flops = {"generator": forward_flops(generator, lightness),
                 "discriminator": forward_flops(models.build(config["discriminator"]), pair)}
        if name == "vacgan":
            classifier = models.build({**config["classifier"], "num_classes": NUM_CLASSES})
            flops["classifier"] = forward_flops(classifier, pair)
        ratio = step_flops_ratio(flops["generator"], flops["discriminator"],
                                 flops.get("classifier", 0), config["g_steps_per_d_step"])
        cases.append(GanCase(name, _builder(config, batch_size, image_size), ratio, flops))
    return cases


def _builder(config: dict, batch_size: int, image_size: int):
    def build():
        colorizer = colorizers.build(config)
        colorizer.build_all(image_size)
        shape = [batch_size, image_size, image_size]
        batch = {"L": tf.random.uniform(shape + [1], -1, 1),
                 "ab": tf.random.uniform(shape + [2], -0.5, 0.5),
                 "label": tf.random.uniform([batch_size], 0, NUM_CLASSES, tf.int64)}
        return colorizer, batch
    return build


if __name__ == "__main__":
    import json

    for case in gan_cases():
        print(json.dumps({"name": case.name, "flops_ratio": round(case.flops_ratio, 3),
                          "forward_gflops_per_image": {k: v / 1e9 for k, v in
                                                       case.forward_flops.items()}}))
