"""Side by side: the U-Net train step with Keras's batch normalization and with the fused
kernel (``models/batch_norm.py``), in float32 and mixed bfloat16, interleaved in one
process so both see the same machine. Prints images/s by wall clock and by this process's
CPU time (the latter is steadier on a shared machine).

    python benchmarks/fused_batch_norm.py [--rounds 3] [--batch_size 128]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from colorization_tf import cpu, presets  # noqa: E402
from colorization_tf.models import batch_norm, unet  # noqa: E402
from colorization_tf.training import build_colorizer, precision  # noqa: E402
from colorization_tf.training.config import apply_flags  # noqa: E402

LAYERS = {"keras": keras.layers.BatchNormalization, "fused": batch_norm.BatchNormalization}


def train_step(layer: str, mixed: bool, batch_size: int):
    """A compiled unet_l1 train step built with ``layer`` as its batch normalization."""
    unet.batch_norm.BatchNormalization = LAYERS[layer]
    try:
        config = apply_flags(presets.get("unet_l1"), dataset="cifar10",
                             mixed_precision=mixed).replace(num_classes=10)
        with precision.policy(mixed, force=True):
            colorizer = build_colorizer(config, steps=100)
            colorizer.build_all(config.data.image_size)
            size = config.data.image_size
            batch = {"L": tf.random.uniform([batch_size, size, size, 1], -1, 1),
                     "ab": tf.random.uniform([batch_size, size, size, 2], -1, 1),
                     "label": tf.zeros([batch_size], tf.int64)}
            step = tf.function(colorizer.train_step)
            step(batch)  # trace and warm up
    finally:
        unet.batch_norm.BatchNormalization = LAYERS["fused"]
    return step, batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=2, help="steps per round and setting")
    parser.add_argument("--batch_size", type=int, default=128)
    args = parser.parse_args()
    settings = {f"{layer}_{'bf16' if mixed else 'fp32'}": train_step(layer, mixed,
                                                                      args.batch_size)
                for layer in LAYERS for mixed in (False, True)}
    wall = {name: [] for name in settings}
    cpu_time = {name: [] for name in settings}
    for _ in range(args.rounds):
        for name, (step, batch) in settings.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            for _ in range(args.steps):
                step(batch)
            images = args.steps * args.batch_size
            wall[name].append(images / (time.perf_counter() - start))
            cpu_time[name].append(images / (time.process_time() - start_cpu))
    out = {"cpu": cpu.cpu_features().to_dict(), "batch_size": args.batch_size,
           "images_per_s_wall": {k: round(statistics.median(v), 1) for k, v in wall.items()},
           "images_per_cpu_s": {k: round(statistics.median(v), 1)
                                for k, v in cpu_time.items()}}
    out["fused_over_keras_cpu"] = {
        p: round(out["images_per_cpu_s"][f"fused_{p}"] / out["images_per_cpu_s"][f"keras_{p}"],
                 2) for p in ("fp32", "bf16")}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
