"""colorization-colorize: colour people's own photos and videos at their full resolution.

  python -m colorization_tf.colorize --run_dir=runs/unet_l1-samples --output_dir=out \\
      photo.jpg old_photos/ film.mp4 [--format=jpg] [--render_size=512] \\
      [--batch_size=8] [--temporal_smoothing=0.7]

The network sees each photo (or frame) resized to --render_size (default: the run's image
size); the predicted ab is upsampled (bilinear) to the original size, clipped to the Lab
range and joined with the original full-resolution L, so the output keeps every detail of
the input's lightness. Photos are decoded in parallel, run through the model in batches
and encoded and written in a thread pool. Folders are searched recursively (photos and
videos) and their sub-folders are kept under --output_dir. Videos (any container ffmpeg
reads) come out as H.264 with the same frame count, size and rate and the audio copied;
--temporal_smoothing averages colour over time, restarted at scene cuts. A file that
cannot be read is reported on stderr and skipped; the exit status is then non-zero.
Inputs are never written over; an existing output is kept unless --overwrite.
"""

from __future__ import annotations

from absl import flags

from colorization_tf import cli
from colorization_tf.inference import batch
from colorization_tf.inference.photos import colorize_paths

FLAGS = flags.FLAGS
flags.DEFINE_string("run_dir", None, "Training run directory (config.json + weights).")
flags.DEFINE_string("output_dir", None, "Folder for the colour photos and videos.")
flags.DEFINE_string("decode", None, "Decoder of classification colorizers (annealed, "
                    "mode, mean, topk); default: the run's own. Other methods ignore it.")
flags.DEFINE_float("temperature", None, "Annealed-mean temperature; default: the run's.")
flags.DEFINE_integer("render_size", None, "Resolution the network sees (like DeOldify's "
                     "render_factor); default: the run's image size.")
flags.DEFINE_integer("batch_size", 8, "Photos (or video frames) per model call.")
flags.DEFINE_enum("format", "png", list(batch.FORMATS), "Output format of photos.")
flags.DEFINE_integer("quality", 92, "JPEG/WebP quality (1-100).")
flags.DEFINE_integer("png_compress_level", 1, "PNG zlib level (0-9); 1 is fast and "
                     "about as small as the default 6 on photos.")
flags.DEFINE_bool("overwrite", False, "Replace existing outputs (never an input).")
flags.DEFINE_float("temporal_smoothing", 0.0, "Video: exponential moving average of the "
                   "predicted colour over frames, alpha in [0, 1) (0 = off); restarts at "
                   "scene cuts.")


flags.DEFINE_bool("saliency", False, "multipath runs: also write NAME.saliency.png, the "
                  "predicted saliency map, beside each colorized photo.")


def main(argv):
    inputs = argv[1:]
    if not inputs:
        raise ValueError("give at least one INPUT file or folder")
    for name in ("run_dir", "output_dir"):
        if not FLAGS[name].value:
            raise ValueError(f"--{name} is required")
    encoder = batch.Encoder(FLAGS.format, FLAGS.quality, FLAGS.png_compress_level)
    summary = colorize_paths(FLAGS.run_dir, inputs, FLAGS.output_dir, decode=FLAGS.decode,
                             temperature=FLAGS.temperature, render_size=FLAGS.render_size,
                             batch_size=FLAGS.batch_size, encoder=encoder,
                             overwrite=FLAGS.overwrite,
                             temporal_smoothing=FLAGS.temporal_smoothing, progress=True,
                             saliency=FLAGS.saliency)
    print(summary.line())
    return 1 if summary.failed else 0


def run():
    cli.run(main, "colorization-colorize")


if __name__ == "__main__":
    run()
