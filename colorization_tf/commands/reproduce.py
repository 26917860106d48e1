"""colorization-reproduce: one paper's experiment in one command — every method trained
with the paper's presets and schedule (one run directory each under OUT/runs/, resumed
after an interruption, never trained twice), evaluated with the paper's tables beside the
measured figures; prints where report.md and the figures are.

  python -m colorization_tf.reproduce --paper=galvao --dataset=cifar10 --out=reproduce/galvao
  python -m colorization_tf.reproduce --paper=li_wang --dataset=samples --scale=smoke \\
      --out=/tmp/li_wang
  python -m colorization_tf.reproduce --paper=galvao --dataset=samples --scale=smoke \\
      --seeds=3 --out=/tmp/galvao_seeds
"""

from __future__ import annotations

from absl import flags

from colorization_tf import cli
from colorization_tf.evaluation import intervals
from colorization_tf.reproduction import reproduce

FLAGS = flags.FLAGS
flags.DEFINE_string("paper", None, "The paper to reproduce: galvao | li_wang | tran.")
flags.DEFINE_string("dataset", None, "Dataset (default: the paper's: cifar10 for galvao and "
                    "li_wang, stl10 for tran); samples | TFDS name | folder:PATH | "
                    "tfrecords:PATH.")
flags.DEFINE_string("out", None, "Output directory (default: reproduce/PAPER): runs/, "
                    "report.md, metrics.json, figures.")
flags.DEFINE_enum("scale", "full", ["full", "smoke"], "full: the paper's presets and "
                  "schedule; smoke: one epoch, a few images, tiny networks (a check of the "
                  "whole flow).")
flags.DEFINE_bool("mixed_precision", None, "Mixed precision (default: on where the device "
                  "computes it natively, as colorization-train).")
flags.DEFINE_bool("jit_compile", None, "Compile the train steps with XLA.")
flags.DEFINE_string("data_dir", None, "TFDS data_dir (where prepared datasets live).")
flags.DEFINE_string("backbone_weights", None, "Pretrained backbones (classification_vgg16): "
                    "imagenet (download) | none | PATH.")
flags.DEFINE_integer("seeds", 1, "Train every method this many times with seeds s, s+1, "
                     "... (s: the preset's), one run directory each (runs/NAME, "
                     "runs/NAME-seed1, ...; resumable); the report adds the mean, standard "
                     "deviation and range over the seeds.")
flags.DEFINE_integer("bootstrap_resamples", intervals.DEFAULT_RESAMPLES, "Bootstrap "
                     "resamples for the 95% interval of every per-image figure and the "
                     "paired comparisons.")
flags.DEFINE_string("inception_weights", None, "Local InceptionV3 weights (.h5): adds the "
                    "Inception Score the tran paper reports.")


def main(argv):
    cli.no_arguments(argv)
    if not FLAGS.paper:
        raise ValueError("--paper: name the paper to reproduce (galvao, li_wang or tran)")
    for name in ("seeds", "bootstrap_resamples"):
        if FLAGS[name].value < 1:
            raise ValueError(f"--{name}={FLAGS[name].value}: expected a positive integer")
    settings = {name: FLAGS[name].value for name in
                ("mixed_precision", "jit_compile", "data_dir", "backbone_weights")
                if FLAGS[name].value is not None}
    done = reproduce(FLAGS.paper, FLAGS.out or f"reproduce/{FLAGS.paper}",
                     dataset=FLAGS.dataset, scale=FLAGS.scale, settings=settings,
                     inception_weights=FLAGS.inception_weights, seeds=FLAGS.seeds,
                     bootstrap=intervals.BootstrapConfig(resamples=FLAGS.bootstrap_resamples))
    print(f"trained: {', '.join(done.trained) or 'nothing (all finished earlier)'}")
    print(f"run directories: {', '.join(done.run_dirs.values())}")
    print(f"figures: {', '.join(p for k, p in done.written.items() if p.endswith('.png'))}")
    print(f"report: {done.report}")


def run():
    cli.run(main, "colorization-reproduce")


if __name__ == "__main__":
    run()
