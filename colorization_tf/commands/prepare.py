"""colorization-prepare: write a dataset's prepared splits (gray-filtered, split, resized)
as sharded TFRecords plus manifest.json, to train from later with --dataset=tfrecords:PATH.

  python -m colorization_tf.prepare --dataset=cifar10 --out=tfrecords/cifar10
"""

from __future__ import annotations

import os
import re

from absl import flags

from colorization_tf import cli
from colorization_tf.data import DataConfig, tfrecords
from colorization_tf.data.filtering import DEFAULT_GRAY_THRESHOLD
from colorization_tf.data.prepared import prepare_dataset
from colorization_tf.data.splits import SPLIT_METHODS

FLAGS = flags.FLAGS
flags.DEFINE_string("dataset", "samples",
                    "samples | cifar10 | stl10 | any TFDS image dataset | folder:PATH | "
                    "tfrecords:PATH")
flags.DEFINE_string("out", None, "Output folder (default: tfrecords/DATASET).")
flags.DEFINE_integer("image_size", 32, "Side of the square images written.")
flags.DEFINE_enum("split_method", "hue", SPLIT_METHODS, "Train/val split (Galvão et al. §3.1).")
flags.DEFINE_float("val_ratio", 0.1, "Share of training images held out for validation.")
flags.DEFINE_bool("filter_gray", True, "Drop near-gray images (Galvão et al. §3.2).")
flags.DEFINE_float("gray_threshold", DEFAULT_GRAY_THRESHOLD,
                   "Mean Lab chroma under which an image counts as gray.")
flags.DEFINE_integer("seed", 0, "Seed of the random split.")
flags.DEFINE_string("data_dir", None, "TFDS data_dir (where prepared datasets live).")
flags.DEFINE_integer("max_examples", None, "Write at most N images per split.")
flags.DEFINE_integer("shard_size", tfrecords.DEFAULT_SHARD_SIZE, "Examples per shard.")


def default_out(dataset: str) -> str:
    return os.path.join("tfrecords", re.sub(r"[^A-Za-z0-9_.-]+", "_", dataset).strip("_"))


def main(argv):
    cli.no_arguments(argv)
    config = DataConfig(dataset=FLAGS.dataset, image_size=FLAGS.image_size,
                        split_method=FLAGS.split_method, val_ratio=FLAGS.val_ratio,
                        filter_gray=FLAGS.filter_gray, gray_threshold=FLAGS.gray_threshold,
                        seed=FLAGS.seed, data_dir=FLAGS.data_dir,
                        max_examples=FLAGS.max_examples)
    out = FLAGS.out or default_out(FLAGS.dataset)
    config.validate()
    manifest = prepare_dataset(config, out, FLAGS.shard_size)
    counts = ", ".join(f"{s} {v['count']}" for s, v in manifest["splits"].items())
    print(f"wrote {out}: {counts}; {manifest['filtering']['dropped_gray']} gray images dropped")
    print(f"train from it with --dataset=tfrecords:{out}")


def run():
    cli.run(main, "colorization-prepare")


if __name__ == "__main__":
    run()
