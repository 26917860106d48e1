"""Throughput figures, printed as JSON: train-step images/s of each method at the CIFAR
preset (batch 128, 32 px), input-pipeline images/s on ``samples``, and this machine's fp32
matmul GFLOP/s, so a step's FLOP rate can be read as a share of what the machine can do.

    python benchmarks/throughput.py [--steps 10] [--batch_size 128] [--methods unet_l1,cgan]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from colorization_tf import colorizers, presets  # noqa: E402
from colorization_tf.data import DataConfig, make_dataset  # noqa: E402


def matmul_gflops(n: int = 2048, repeats: int = 10) -> float:
    """fp32 GFLOP/s of an n x n matmul (2 n^3 FLOPs), after one warm-up."""
    a = tf.random.normal([n, n])
    b = tf.random.normal([n, n])
    matmul = tf.function(lambda x, y: tf.matmul(x, y))
    matmul(a, b).numpy()
    start = time.perf_counter()
    for _ in range(repeats):
        result = matmul(a, b)
    result.numpy()
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e9


def forward_flops(model: keras.Model, image_size: int) -> float | None:
    """FLOPs of one forward pass for one image, counted by the TF profiler on the graph."""
    from tensorflow.python.profiler import model_analyzer, option_builder

    spec = tf.TensorSpec([1, image_size, image_size, 1], tf.float32)
    graph = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec).graph
    options = option_builder.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    try:
        return float(model_analyzer.profile(graph, options=options).total_float_ops)
    except Exception:  # the profiler is best effort
        return None


def synthetic_batches(batch_size: int, image_size: int, num_classes: int = 10):
    """One random batch repeated forever: measures the step, not the input pipeline."""
    batch = {
        "L": tf.random.uniform([batch_size, image_size, image_size, 1], -1, 1),
        "ab": tf.random.uniform([batch_size, image_size, image_size, 2], -0.5, 0.5),
        "label": tf.random.uniform([batch_size], 0, num_classes, tf.int64),
    }
    return tf.data.Dataset.from_tensors(batch).repeat()


class _Timer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self.start


def train_step_rate(config: dict, steps: int, batch_size: int) -> float:
    """Images/s of the compiled train step: one warm-up epoch, then ``steps`` timed."""
    size = config["image_size"]
    config = {**config, "batch_size": batch_size, "num_classes": 10,
              "data": {"dataset": "samples", "image_size": size}}
    colorizer = colorizers.build(config)
    colorizer.build_all(size)
    timer = _Timer()
    batches = synthetic_batches(batch_size, size)
    colorizer.fit(batches, epochs=1, steps_per_epoch=2, verbose=0)
    colorizer.fit(batches, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=[timer])
    return steps * batch_size / timer.seconds


def pipeline_rate(batch_size: int, batches: int = 50) -> float:
    """Images/s delivered by the training input pipeline on ``samples`` (after warm-up)."""
    data = DataConfig(dataset="samples", image_size=32)
    iterator = iter(make_dataset(data, "train", batch_size, training=True))
    for _ in range(5):
        next(iterator)
    start = time.perf_counter()
    for _ in range(batches):
        batch = next(iterator)
    batch["L"].numpy()
    return batches * batch_size / (time.perf_counter() - start)


def flop_ratios(batch_size: int) -> dict[str, float]:
    """Estimated FLOPs of each GAN step over one U-Net step (benchmarks/gan_cases.py)."""
    import gan_cases  # beside this script

    return {case.name: case.flops_ratio for case in gan_cases.gan_cases(batch_size)}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--methods", default="unet_l1,cgan,vacgan")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)
    out = {"device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU",
           "cpu_threads": os.cpu_count(), "batch_size": args.batch_size,
           "matmul_fp32_gflops": round(matmul_gflops(), 1),
           "pipeline_images_per_s": round(pipeline_rate(args.batch_size), 1)}
    unet = presets.get("unet_l1")
    flops = forward_flops(colorizers.build(unet).generator, unet["image_size"])
    multipliers = {"unet_l1": 1.0, **flop_ratios(args.batch_size)}
    steps = {}
    for name in args.methods.split(","):
        if name not in presets.PRESETS:
            continue
        rate = train_step_rate(presets.get(name), args.steps, args.batch_size)
        entry = {"images_per_s": round(rate, 1)}
        if name in multipliers:
            entry["flop_ratio_to_unet"] = round(multipliers[name], 2)
        steps[name] = entry
    unet_rate = steps.get("unet_l1", {}).get("images_per_s")
    for entry in steps.values():
        if unet_rate:
            entry["time_ratio_to_unet"] = round(unet_rate / entry["images_per_s"], 2)
    out["train_steps"] = steps
    if flops and unet_rate:
        train_flops = 3 * flops  # forward + backward (about twice the forward)
        out["unet_forward_gflop_per_image"] = round(flops / 1e9, 3)
        out["unet_step_gflops"] = round(train_flops * unet_rate / 1e9, 1)
        out["unet_step_share_of_matmul"] = round(
            out["unet_step_gflops"] / out["matmul_fp32_gflops"], 3)
    if unet_rate:
        out["pipeline_over_unet_step"] = round(out["pipeline_images_per_s"] / unet_rate, 1)
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
