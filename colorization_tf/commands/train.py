"""colorization-train: train a preset into a run directory, then score it (re-run the
same command to resume an interrupted run).

  python -m colorization_tf.train --preset=unet_l1 --dataset=samples --run_dir=runs/unet
"""

from __future__ import annotations

from absl import flags

from colorization_tf import cli, presets
from colorization_tf.evaluation.run_metrics import write_run_metrics
from colorization_tf.training import config as run_config
from colorization_tf.training import precision, strategies, train
from colorization_tf.training.run_dir import RunDir, default_run_dir

FLAGS = flags.FLAGS
flags.DEFINE_string("preset", "unet_l1", f"Experiment preset: {', '.join(presets.names())}.")
flags.DEFINE_string("dataset", "samples",
                    "samples | cifar10 | stl10 | any TFDS image dataset | folder:PATH | "
                    "tfrecords:PATH")
flags.DEFINE_integer("epochs", None, "Epochs (default: the preset's; a short schedule on "
                     "samples).")
flags.DEFINE_integer("batch_size", None, "Global batch size (default: the preset's).")
flags.DEFINE_integer("steps_per_epoch", None, "Steps per epoch (default: one pass over the "
                     "training split).")
flags.DEFINE_integer("eval_examples", None, "Validate and score on N images spread evenly "
                     "over each split (default: all).")
flags.DEFINE_float("crop_scale", None, "Train on random crops of images fitted to "
                   "image_size * crop_scale (default: the preset's; 1 = no crop).")
flags.DEFINE_string("run_dir", None, "Output run directory (default: runs/PRESET-DATASET).")


class _PrecisionParser(flags.ArgumentParser):
    """``--mixed_precision[=true|false|force]``: a boolean flag that also takes ``force``."""

    syntactic_help = "true | false | force"

    def parse(self, argument):
        text = str(argument).strip().lower()
        if text in ("force", "true", "false"):
            return text
        if text in ("1", "t", "yes"):
            return "true"
        if text in ("0", "f", "no"):
            return "false"
        raise ValueError(f"expected true, false or force, got {argument!r}")

    def flag_type(self):
        return "bool"


flags.DEFINE_flag(flags.Flag(
    _PrecisionParser(), flags.ArgumentSerializer(), "mixed_precision", None,
    "Mixed precision (default: on where the device computes it natively: mixed_float16 "
    "on GPUs with tensor cores, mixed_bfloat16 on TPUs and on CPUs with AVX512_BF16 or "
    "AMX; a resumed run keeps its own). --nomixed_precision trains in float32; "
    "--mixed_precision=force uses bfloat16 even on CPUs that emulate it.", boolean=True))
flags.DEFINE_bool("jit_compile", None, "Compile the train step with XLA.")
flags.DEFINE_integer("max_examples", None, "Use at most N images per split.")
flags.DEFINE_string("strategy", None, "tf.distribute strategy: default | mirrored | "
                    "multi_worker | tpu.")
flags.DEFINE_integer("seed", None, "Seed for splits, shuffling and initialisation.")
flags.DEFINE_integer("image_size", None, "Model input size (default: the preset's).")
flags.DEFINE_float("learning_rate", None, "Generator learning rate (default: the preset's).")
flags.DEFINE_string("split_method", None, "Train/val split (Galvão et al. §3.1): hue | random.")
flags.DEFINE_float("val_ratio", None, "Share of training images held out for validation.")
flags.DEFINE_bool("filter_gray", None, "Drop near-gray images (Galvão et al. §3.2).")
flags.DEFINE_float("gray_threshold", None,
                   "Mean Lab chroma under which an image counts as gray.")
flags.DEFINE_string("data_dir", None, "TFDS data_dir (where prepared datasets live).")
flags.DEFINE_string("backbone_weights", None, "Pretrained backbone of multipath and "
                    "classification_vgg16: imagenet (download) | none (from scratch) | PATH.")

FLAG_NAMES = ("dataset", "epochs", "batch_size", "steps_per_epoch", "eval_examples",
              "crop_scale",
              "jit_compile", "max_examples", "strategy", "seed", "image_size", "learning_rate",
              "split_method", "val_ratio", "filter_gray", "gray_threshold", "data_dir",
              "backbone_weights")


def main(argv):
    cli.no_arguments(argv)
    if FLAGS.strategy == "multi_worker":  # collectives are configured before any other op
        strategies.make_strategy("multi_worker")
    config = run_config.apply_flags(presets.get(FLAGS.preset),
                                    **{name: FLAGS[name].value for name in FLAG_NAMES},
                                    **run_config.precision_settings(FLAGS.mixed_precision))
    run_dir = FLAGS.run_dir or default_run_dir(FLAGS.preset, config.data.dataset)
    config = precision.resolve(config, RunDir(run_dir).stored_config())
    print(f"training {config.preset} on {config.data.dataset} into {run_dir} "
          f"({config.runtime.epochs} epochs, batch {config.runtime.batch_size})")
    print(precision.note(config, given=FLAGS.mixed_precision is not None))
    train(config, run_dir)
    print("scoring the validation and test splits ...")
    test = write_run_metrics(run_dir)["test"]
    print(f"run directory: {run_dir}")
    print(f"test MAE {test['model']['mae']:.4f} (no colour {test['no_colour']['mae']:.4f}), "
          f"PSNR {test['model']['psnr']:.2f} dB, SSIM {test['model']['ssim']:.3f}")


def run():
    cli.run(main, "colorization-train")


if __name__ == "__main__":
    run()
