"""colorization-web: serve the visual Turing test of trained runs (and a colorize page).

  python -m colorization_tf.web --run_dirs=runs/a,runs/b --dataset=cifar10 --split=test \\
      --images=200 --database=study.sqlite [--mode=single|pair] [--trials=40] \\
      [--practice_trials=10] [--attention_checks=0.1] [--display_ms=0] \\
      [--admin_token=T] [--completion_code=C] [--completion_url=URL] \\
      [--max_participants=N] [--colorize_page] [--https] [--host=127.0.0.1] [--port=8000]

  python -m colorization_tf.web --colorize_page [--run_dirs=runs/hints] [--nostudy]

At start the first --images images of the split are colorized by every run (once: the PNGs
are cached in <database>.images/ and reused by later starts on the same database). Open
http://HOST:PORT/ for the study; the results (/results) need the experimenter's token,
printed once at the first start unless --admin_token is given.

With --colorize_page, /colorize is the colorize editor for every loaded run plus
``optimization`` (Levin et al. 2004, no run). Without --run_dirs (or with --nostudy) only
the editor is served: no study, no database, no dataset.
"""

from __future__ import annotations

from absl import flags

from colorization_tf import cli

FLAGS = flags.FLAGS
flags.DEFINE_list("run_dirs", [], "Run directories whose colorizations are judged.")
flags.DEFINE_string("dataset", "samples", "Dataset of the images (samples, a TFDS name, "
                    "folder:PATH, tfrecords:PATH).")
flags.DEFINE_enum("split", "test", ["train", "val", "test"], "Split the images come from.")
flags.DEFINE_integer("images", 100, "How many images of the split make the pool (the "
                     "first ones, one per practice trial, are kept for practice).",
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
# exclusion rules: part of the study (fixed before it starts, stored with it)
flags.DEFINE_float("exclude_attention_below", 0.75, "Exclude participants answering "
                   "fewer than this share of attention checks right.")
flags.DEFINE_float("exclude_same_answer_at", 0.9, "Exclude participants giving one answer "
                   "on at least this share of test trials (straight-lining).")
flags.DEFINE_float("exclude_median_rt_below_ms", 300.0, "Exclude participants whose median "
                   "response time is below this (ms; 0: off).")
# who sees what
flags.DEFINE_string("admin_token", None, "The experimenter's token for the results "
                    "(default: generated at the first start, kept in the database and "
                    "printed once).")
flags.DEFINE_bool("colorize_page", False, "Also serve /colorize, the colorize editor "
                  "(people's own photos, with colour hints).")
flags.DEFINE_bool("study", True, "Serve the Turing-test study of --run_dirs; --nostudy "
                  "(implied with --colorize_page and no --run_dirs) serves only the "
                  "editor.")
flags.DEFINE_bool("https", False, "The server is reached over HTTPS (Secure cookies).")
flags.DEFINE_list("forwarded_allow_ips", [], "Proxy addresses whose X-Forwarded-Proto "
                  "and X-Forwarded-For are trusted (e.g. 127.0.0.1 behind nginx).")
# crowd platforms
flags.DEFINE_string("completion_code", "", "Code shown at the end (e.g. Prolific's).")
flags.DEFINE_string("completion_url", "", "Link shown at the end (back to the platform).")
flags.DEFINE_integer("max_participants", 0, "Close the study to new sessions when it has "
                     "this many participants (0: no limit).", lower_bound=0)
flags.DEFINE_integer("new_sessions_per_hour", 100, "New sessions one client address may "
                     "open per hour (429 past it).", lower_bound=1)
# the colorize page
flags.DEFINE_integer("max_upload_mb", 20, "Colorize page: largest upload in MiB.",
                     lower_bound=1)
flags.DEFINE_integer("max_megapixels", 36, "Colorize page: largest image in megapixels.",
                     lower_bound=1)
flags.DEFINE_integer("colorize_workers", 2, "Colorize page: photos decoded and colorized "
                     "at once.", lower_bound=1)
flags.DEFINE_integer("colorize_queue", 8, "Colorize page: uploads that may wait for a "
                     "worker (more: 503 with Retry-After).", lower_bound=0)
flags.DEFINE_integer("max_hints_kb", 1024, "Colorize page: largest hints field in KiB.",
                     lower_bound=1)
flags.DEFINE_integer("solve_size", None, "Colorize page: long side (px) of the grid the "
                     "optimization is solved on (default 256; 0: full resolution).",
                     lower_bound=0)
flags.DEFINE_string("host", "127.0.0.1", "Address to listen on.")
flags.DEFINE_integer("port", 8000, "Port to listen on.", lower_bound=1, upper_bound=65535)


def main(argv):
    cli.no_arguments(argv)
    try:
        from colorization_tf.web import app as app_lib
        from colorization_tf.web import colorize_api, exclusions
    except ImportError as err:
        raise ValueError(f"the web app needs the [web] extra: pip install "
                         f"'colorization_tf[web]' ({err})") from None
    limits = colorize_api.UploadLimits(
        max_upload_bytes=FLAGS.max_upload_mb * 1024 * 1024,
        max_pixels=FLAGS.max_megapixels * 1_000_000, workers=FLAGS.colorize_workers,
        queue=FLAGS.colorize_queue, max_hints_bytes=FLAGS.max_hints_kb * 1024)
    if FLAGS.colorize_page and (not FLAGS.run_dirs or not FLAGS.study):
        server = app_lib.build_editor_app(FLAGS.run_dirs, limits, FLAGS.solve_size,
                                          tuple(FLAGS.forwarded_allow_ips))
        base = f"http{'s' if FLAGS.https else ''}://{FLAGS.host}:{FLAGS.port}"
        print(f"colorization-web: colorize editor at {base}/colorize (no study)")
        app_lib.serve(server, FLAGS.host, FLAGS.port)
        return
    if not FLAGS.study:
        raise ValueError("--nostudy: give --colorize_page too (the editor is all that "
                         "is left to serve)")
    rules = exclusions.ExclusionRules(
        min_attention_accuracy=FLAGS.exclude_attention_below,
        max_same_answer_share=FLAGS.exclude_same_answer_at,
        min_median_response_ms=FLAGS.exclude_median_rt_below_ms)
    server, storage = app_lib.build_study_app(
        run_dirs=FLAGS.run_dirs, dataset=FLAGS.dataset, split=FLAGS.split,
        images=FLAGS.images, image_size=FLAGS.image_size, database=FLAGS.database,
        mode=FLAGS.mode, trials=FLAGS.trials, practice_trials=FLAGS.practice_trials,
        attention_checks=FLAGS.attention_checks, display_ms=FLAGS.display_ms,
        exclusions=rules, admin_token=FLAGS.admin_token, colorize_page=FLAGS.colorize_page,
        https=FLAGS.https, forwarded_allow_ips=tuple(FLAGS.forwarded_allow_ips),
        completion_code=FLAGS.completion_code, completion_url=FLAGS.completion_url,
        max_participants=FLAGS.max_participants,
        new_sessions_per_hour=FLAGS.new_sessions_per_hour,
        uploads=limits, solve_size=FLAGS.solve_size)
    with storage:
        base = f"http{'s' if FLAGS.https else ''}://{FLAGS.host}:{FLAGS.port}"
        print(f"colorization-web: study at {base}/")
        token = server.state.new_admin_token
        if token:
            print(f"colorization-web: results at {base}/results?token={token} (the token is "
                  "shown only now; it is kept in the database)")
        else:
            print(f"colorization-web: results at {base}/results (with the admin token)")
        if FLAGS.colorize_page:
            print(f"colorization-web: colorize page at {base}/colorize")
        app_lib.serve(server, FLAGS.host, FLAGS.port)


def run():
    cli.run(main, "colorization-web")


if __name__ == "__main__":
    run()
