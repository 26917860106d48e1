"""Convolutions on small maps: Keras' operations against ``models.small_maps``'
TensorFlow operations with the kernel's gradient by patches (``patch``), forward and both
gradients as a train step needs them, for the U-Net's deepest encoder and decoder layers at
32 px and batch 128, in float32 and bfloat16; printed as JSON (milliseconds, median of
--repeats after one warm-up; the two ways alternate, so background load affects both
alike).

    python benchmarks/small_maps.py [--batch_size 128] [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

# (kind, input side, input channels, output channels): the main job's U-Net at 32 px
LAYERS = [("conv", 4, 512, 512), ("conv", 8, 256, 512), ("conv", 16, 128, 256),
          ("transposed", 2, 512, 512), ("transposed", 4, 1024, 256),
          ("transposed", 8, 512, 128)]


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import tensorflow as tf

    from colorization_tf.models import small_maps

    def step(fn, x, kernel):
        @tf.function
        def run():
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = fn(x, tf.cast(kernel, x.dtype))
                loss = tf.reduce_sum(tf.cast(y, tf.float32))
            return tape.gradient(loss, [x, kernel])
        return run

    def keras_transposed(x, kernel):
        side, channels = x.shape[1], kernel.shape[2]
        return tf.nn.conv2d_transpose(x, kernel, [x.shape[0], 2 * side, 2 * side, channels],
                                      2, "SAME")

    conv = {"keras": lambda x, kernel: tf.nn.conv2d(x, kernel, 2, "SAME"),
            "patch": lambda x, kernel: small_maps.conv_with_patch_gradient(x, kernel, (2, 2))}
    transposed = {
        "keras": keras_transposed,
        "patch": lambda x, kernel: small_maps.transpose_with_patch_gradient(x, kernel, (2, 2))}
    ways = {"conv": conv, "transposed": transposed}

    result = {"machine": platform.processor() or platform.machine(),
              "batch_size": args.batch_size, "ms": {}}
    for dtype in ("float32", "bfloat16"):
        for kind, side, cin, cout in LAYERS:
            x = tf.cast(tf.random.normal([args.batch_size, side, side, cin]), dtype)
            shape = [4, 4, cin, cout] if kind == "conv" else [4, 4, cout, cin]
            kernel = tf.Variable(tf.random.normal(shape) * 0.01)
            runs = {name: step(way, x, kernel) for name, way in ways[kind].items()}
            times: dict[str, list[float]] = {name: [] for name in runs}
            for run in runs.values():
                run()  # trace and warm up
            for _ in range(args.repeats):
                for name, run in runs.items():
                    start = time.perf_counter()
                    [value.numpy() for value in run()]
                    times[name].append((time.perf_counter() - start) * 1000)
            median = {name: round(float(np.median(t)), 1) for name, t in times.items()}
            result["ms"][f"{dtype} {kind} {side}x{side} {cin}->{cout}"] = median | {
                "keras_over_patch": round(median["keras"] / median["patch"], 2)}
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
