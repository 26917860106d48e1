"""colorization-colorize: colour PNGs of people's own photos at their full resolution.

  python -m colorization_tf.colorize --run_dir=runs/unet_l1-samples --output_dir=out \\
      photo.jpg old_photos/

The model sees the image resized to its input size; the predicted ab is upsampled
(bilinear) to the original size and joined with the original full-resolution L, so the
output keeps every detail of the input's lightness. Folders are searched recursively and
their sub-folders are kept under --output_dir. A file that cannot be read is reported on
stderr and skipped; the exit status is then non-zero. Inputs are never written over.
"""

from __future__ import annotations

from absl import flags

from colorization_tf import cli
from colorization_tf.inference.photos import colorize_paths

FLAGS = flags.FLAGS
flags.DEFINE_string("run_dir", None, "Training run directory (config.json + weights).")
flags.DEFINE_string("output_dir", None, "Folder for the colour PNGs.")
flags.DEFINE_string("decode", None, "Decoder of classification colorizers (annealed, "
                    "mode, mean, topk); default: the run's own. Other methods ignore it.")
flags.DEFINE_float("temperature", None, "Annealed-mean temperature; default: the run's.")


def main(argv):
    inputs = argv[1:]
    if not inputs:
        raise ValueError("give at least one INPUT file or folder")
    for name in ("run_dir", "output_dir"):
        if not FLAGS[name].value:
            raise ValueError(f"--{name} is required")
    summary = colorize_paths(FLAGS.run_dir, inputs, FLAGS.output_dir, decode=FLAGS.decode,
                             temperature=FLAGS.temperature)
    print(summary.line())
    return 1 if summary.failed else 0


def run():
    cli.run(main, "colorization-colorize")


if __name__ == "__main__":
    run()
