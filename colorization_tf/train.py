"""colorization-train: train a preset into a run directory (re-run the same command to
resume an interrupted run).

  python -m colorization_tf.train --preset=unet_l1 --dataset=samples --run_dir=runs/unet
"""

from __future__ import annotations

import re

from absl import app, flags

from colorization_tf import distribute, presets, training
from colorization_tf.data import DataConfig
from colorization_tf.data.filtering import DEFAULT_GRAY_THRESHOLD
from colorization_tf.data.splits import SPLIT_METHODS

FLAGS = flags.FLAGS
flags.DEFINE_enum("preset", "unet_l1", presets.names(), "Experiment preset (presets.py).")
flags.DEFINE_string("dataset", "samples",
                    "samples | cifar10 | stl10 | any TFDS image dataset | folder:PATH | "
                    "tfrecords:PATH")
flags.DEFINE_integer("epochs", None, "Epochs (default: the preset's; a short schedule on "
                     "samples).", lower_bound=1)
flags.DEFINE_integer("batch_size", None, "Global batch size (default: the preset's).",
                     lower_bound=1)
flags.DEFINE_string("run_dir", None, "Output run directory (default: runs/PRESET-DATASET).")
flags.DEFINE_bool("mixed_precision", False,
                  "mixed_float16 on GPU, mixed_bfloat16 on CPU/TPU.")
flags.DEFINE_integer("max_examples", None, "Use at most N images per split.", lower_bound=1)
flags.DEFINE_enum("strategy", "default", distribute.STRATEGIES, "tf.distribute strategy.")
flags.DEFINE_integer("seed", 0, "Seed for splits, shuffling and initialisation.")
flags.DEFINE_integer("image_size", None, "Model input size (default: the preset's).")
flags.DEFINE_enum("split_method", "hue", SPLIT_METHODS, "Train/val split (seed 000 §3.1).")
flags.DEFINE_float("val_ratio", 0.1, "Share of training images held out for validation.")
flags.DEFINE_bool("filter_gray", True, "Drop near-gray images (seed 000 §3.2).")
flags.DEFINE_float("gray_threshold", DEFAULT_GRAY_THRESHOLD,
                   "Mean Lab chroma under which an image counts as gray.")
flags.DEFINE_string("data_dir", None, "TFDS data_dir (where prepared datasets live).")


def default_run_dir(preset: str, dataset: str) -> str:
    return f"runs/{preset}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', dataset).strip('_')}"


def main(argv):
    del argv
    preset = presets.get(FLAGS.preset)
    data = DataConfig(dataset=FLAGS.dataset, image_size=FLAGS.image_size or preset["image_size"],
                      split_method=FLAGS.split_method, val_ratio=FLAGS.val_ratio,
                      filter_gray=FLAGS.filter_gray, gray_threshold=FLAGS.gray_threshold,
                      seed=FLAGS.seed, data_dir=FLAGS.data_dir, max_examples=FLAGS.max_examples)
    config = training.resolve_config(preset, data, epochs=FLAGS.epochs,
                                     batch_size=FLAGS.batch_size,
                                     mixed_precision=FLAGS.mixed_precision,
                                     strategy=FLAGS.strategy, seed=FLAGS.seed)
    run_dir = FLAGS.run_dir or default_run_dir(FLAGS.preset, FLAGS.dataset)
    results = training.train(config, run_dir)
    test = results["test"]
    print(f"run directory: {run_dir}")
    print(f"test MAE {test['model']['mae']:.4f} (no colour {test['no_colour']['mae']:.4f}), "
          f"PSNR {test['model']['psnr']:.2f} dB, SSIM {test['model']['ssim']:.3f}")


def run():
    app.run(main)


if __name__ == "__main__":
    run()
