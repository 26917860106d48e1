"""colorization-colorize: colour people's own photos and videos at their full resolution.

  python -m colorization_tf.colorize --run_dir=runs/unet_l1-samples --output_dir=out \\
      photo.jpg old_photos/ film.mp4 [--format=jpg] [--render_size=512] \\
      [--batch_size=16] [--temporal_smoothing=0.8] [--temporal_mode=flow|ema]

The network sees each photo (or frame) resized to --render_size (default: the run's image
size); the predicted ab is upsampled (bilinear) to the original size, clipped to the Lab
range and joined with the original full-resolution L, so the output keeps every detail of
the input's lightness. Photos are decoded in parallel, run through the model in batches
and encoded and written in a thread pool. Folders are searched recursively (photos and
videos) and their sub-folders are kept under --output_dir. Videos (any container ffmpeg
reads) come out as H.264 with the same frame count, size and rate and the audio copied;
--temporal_smoothing averages colour over time, restarted at scene cuts, along the
motion (--temporal_mode=flow, the default) or per pixel (ema). A file that
cannot be read is reported on stderr and skipped; the exit status is then non-zero.
Inputs are never written over; an existing output is kept unless --overwrite.

Interactive colorization from user hints, with no run (Levin et al. 2004) or with a run
that reads hints (docs/hints.md, "Interactive colorization"):

  python -m colorization_tf.colorize --method=optimization --hints=h.json photo.jpg \\
      [--output_dir=out (default: ./colorized)] [--render_size=256]
  python -m colorization_tf.colorize --run_dir=RUN --hints=h.json photo.jpg [...]
"""

from __future__ import annotations

from absl import flags

from colorization_tf import cli
from colorization_tf.inference import batch, guided, load_run, temporal
from colorization_tf.inference.photos import colorize_paths
from colorization_tf.training import precision

FLAGS = flags.FLAGS
flags.DEFINE_string("run_dir", None, "Training run directory (config.json + weights).")
flags.DEFINE_string("output_dir", None, "Folder for the colour photos and videos.")
flags.DEFINE_string("decode", None, "Decoder of classification colorizers (annealed, "
                    "mode, mean, topk); default: the run's own. Other methods ignore it.")
flags.DEFINE_float("temperature", None, "Annealed-mean temperature; default: the run's.")
flags.DEFINE_integer("render_size", None, "Resolution the network sees (like DeOldify's "
                     "render_factor); default: the run's image size. --method=optimization: "
                     "long side of the solve grid (default 256; 0 = full resolution).")
flags.DEFINE_integer("batch_size", batch.DEFAULT_BATCH_SIZE, "Photos (or video frames) per "
                     "model call (16 spreads the call's fixed cost, reading the weights, over "
                     "the photos).")
flags.DEFINE_enum("format", "png", list(batch.FORMATS), "Output format of photos.")
flags.DEFINE_integer("quality", 92, "JPEG/WebP quality (1-100).")
flags.DEFINE_integer("png_compress_level", 1, "PNG zlib level (0-9); 1 is fast and "
                     "about as small as the default 6 on photos.")
flags.DEFINE_bool("overwrite", False, "Replace existing outputs (never an input).")
flags.DEFINE_float("temporal_smoothing", 0.0, "Video: exponential moving average of the "
                   "predicted colour over frames, alpha in [0, 1) (0 = off); restarts at "
                   "scene cuts.")
flags.DEFINE_enum("temporal_mode", temporal.DEFAULT_MODE, list(temporal.MODES), "Video "
                  "smoothing: flow = motion compensated along optical flow (no colour "
                  "trails; needs OpenCV, else falls back to ema with a note), ema = plain "
                  "average per pixel.")


flags.DEFINE_bool("mixed_precision", None, "Run the network in bfloat16 (float16 on GPUs) "
                  "with float32 weights; default: on where the device computes it natively "
                  "(tensor-core GPUs, CPUs with AVX512_BF16 or AMX), as training does. "
                  "--nomixed_precision gives float32's exact colours (on the main job's "
                  "run the two differ by at most 4 levels of 255, by more than 1 at 0.5% "
                  "of values).")
flags.DEFINE_bool("saliency", False, "multipath runs: also write NAME.saliency.png, the "
                  "predicted saliency map, beside each colorized photo.")


flags.DEFINE_enum("method", None, list(guided.METHODS), "Colorize from --hints with no "
                  "run: optimization (Levin et al. 2004). Default: the model of --run_dir.")
flags.DEFINE_string("hints", None, "A hints JSON file for every photo, or a folder of "
                    "<photo stem>.json (docs/hints.md); for --method=optimization or a "
                    "--run_dir that reads hints.")


flags.DEFINE_string("reference", None, "A reference photo whose colours guide a "
                    "unet_hints_global run (its ab-bin distribution and saturation: Zhang et "
                    "al. 2017's global hint); with or without --hints.")


def main(argv):
    inputs = argv[1:]
    if not inputs:
        raise ValueError("give at least one INPUT file or folder")
    if FLAGS.method or FLAGS.hints or FLAGS.reference:
        return _main_hints(inputs)
    for name in ("run_dir", "output_dir"):
        if not FLAGS[name].value:
            raise ValueError(f"--{name} is required")
    encoder = batch.Encoder(FLAGS.format, FLAGS.quality, FLAGS.png_compress_level)
    summary = colorize_paths(FLAGS.run_dir, inputs, FLAGS.output_dir, decode=FLAGS.decode,
                             temperature=FLAGS.temperature, render_size=FLAGS.render_size,
                             batch_size=FLAGS.batch_size, encoder=encoder,
                             overwrite=FLAGS.overwrite,
                             temporal_smoothing=FLAGS.temporal_smoothing,
                             temporal_mode=FLAGS.temporal_mode, progress=True,
                             saliency=FLAGS.saliency, mixed_precision=FLAGS.mixed_precision)
    print(summary.line())
    return 1 if summary.failed else 0


def _main_hints(inputs):
    """--hints: --method=optimization (no run; --output_dir defaults to ./colorized), or a
    --run_dir whose model reads hints (learned hints)."""
    if FLAGS.method and FLAGS.run_dir:
        raise ValueError(f"--run_dir: --method={FLAGS.method} needs no run; give one or "
                         "the other")
    predictor = None
    if not FLAGS.method:
        if not FLAGS.run_dir:
            raise ValueError("--hints/--reference: give --run_dir (a run that reads hints) or "
                             "--method=optimization")
        predictor = load_run(FLAGS.run_dir, FLAGS.decode, FLAGS.temperature,
                             mixed_precision=precision.wanted(FLAGS.mixed_precision))
    encoder = batch.Encoder(FLAGS.format, FLAGS.quality, FLAGS.png_compress_level)
    summary = guided.colorize_with_hints(inputs, FLAGS.output_dir or "colorized", FLAGS.hints,
                                         method=FLAGS.method or "optimization",
                                         predictor=predictor, reference=FLAGS.reference,
                                         solve_size=FLAGS.render_size,
                                         encoder=encoder, overwrite=FLAGS.overwrite)
    print(summary.line())
    return 1 if summary.failed else 0


def run():
    cli.run(main, "colorization-colorize")


if __name__ == "__main__":
    run()
