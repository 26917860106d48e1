"""colorization-web: serve the visual Turing test of trained runs, and a colorize page.

  python -m colorization_tf.web --run_dirs=runs/a,runs/b --dataset=cifar10 --split=test \\
      --images=200 --database=study.sqlite [--mode=single|pair] [--trials=40] \\
      [--practice_trials=10] [--attention_checks=0.1] [--display_ms=0] \\
      [--host=127.0.0.1] [--port=8000]

At start the first --images images of the split are colorized by every run (once: the PNGs
are cached in <database>.images/ and reused by later starts on the same database). Open
http://HOST:PORT/ for the study, /results for the figures, /colorize for people's photos.
"""

from __future__ import annotations

from absl import flags

from colorization_tf import cli

FLAGS = flags.FLAGS
flags.DEFINE_list("run_dirs", [], "Run directories whose colorizations are judged.")
flags.DEFINE_string("dataset", "samples", "Dataset of the images (samples, a TFDS name, "
                    "folder:PATH, tfrecords:PATH).")
flags.DEFINE_enum("split", "test", ["train", "val", "test"], "Split the images come from.")
flags.DEFINE_integer("images", 100, "How many images of the split make the pool.",
                     lower_bound=1)
flags.DEFINE_integer("image_size", 256, "Size (px) the images are shown and colorized "
                     "at (Zhang et al.: 256).", lower_bound=1)
flags.DEFINE_string("database", "study.sqlite", "SQLite study database (created if new).")
flags.DEFINE_enum("mode", "single", ["single", "pair"], "single: one image, real or "
                  "colorized? pair: original and colorization side by side (Zhang).")
flags.DEFINE_integer("trials", 40, "Test trials per participant.", lower_bound=1)
flags.DEFINE_integer("practice_trials", 10, "Practice trials (with feedback, not "
                     "counted).", lower_bound=0)
flags.DEFINE_float("attention_checks", 0.1, "Share of test trials that are attention "
                   "checks (a random-hue recolouring).", lower_bound=0.0, upper_bound=0.99)
flags.DEFINE_integer("display_ms", 0, "Hide the image(s) after this many ms (0: shown "
                     "until answered; Zhang et al.: 1000).", lower_bound=0)
flags.DEFINE_string("host", "127.0.0.1", "Address to listen on.")
flags.DEFINE_integer("port", 8000, "Port to listen on.", lower_bound=1, upper_bound=65535)
flags.DEFINE_integer("max_upload_mb", 20, "Colorize page: largest upload in MiB.",
                     lower_bound=1)
flags.DEFINE_integer("max_megapixels", 36, "Colorize page: largest image in megapixels.",
                     lower_bound=1)


def main(argv):
    cli.no_arguments(argv)
    try:
        from colorization_tf.web import app as app_lib
    except ImportError as err:
        raise ValueError(f"the web app needs the [web] extra: pip install "
                         f"'colorization_tf[web]' ({err})") from None
    server, storage = app_lib.build_study_app(
        run_dirs=FLAGS.run_dirs, dataset=FLAGS.dataset, split=FLAGS.split,
        images=FLAGS.images, image_size=FLAGS.image_size, database=FLAGS.database,
        mode=FLAGS.mode, trials=FLAGS.trials, practice_trials=FLAGS.practice_trials,
        attention_checks=FLAGS.attention_checks, display_ms=FLAGS.display_ms,
        max_upload_bytes=FLAGS.max_upload_mb * 1024 * 1024,
        max_pixels=FLAGS.max_megapixels * 1_000_000)
    with storage:
        print(f"colorization-web: open http://{FLAGS.host}:{FLAGS.port}/ (results: /results)")
        app_lib.serve(server, FLAGS.host, FLAGS.port)


def run():
    cli.run(main, "colorization-web")


if __name__ == "__main__":
    run()
