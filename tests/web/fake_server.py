"""Test-only launcher: serves a fake study (fake images, fake colorizers, no TensorFlow)
with uvicorn, as ``colorization-web`` would, for tests that need a real server process.

  python tests/web/fake_server.py --database=DB --port=PORT [--mode=single] [--trials=N]
      [--practice_trials=N] [--attention_checks=S] [--count=N] [--completion_code=C]
      [--new_sessions_per_hour=N] [--workers=N] [--queue=N] [--colorizer=fake|untrained]
      [--colorize_delay_s=S]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fake_study  # noqa: E402
import uvicorn  # noqa: E402

from colorization_tf.web import runs  # noqa: E402


def _delayed(colorize_fn, seconds: float):
    def colorize(codes, run):
        time.sleep(seconds)
        return colorize_fn(codes, run)

    return colorize


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", default="single")
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--practice_trials", type=int, default=2)
    parser.add_argument("--attention_checks", type=float, default=0.1)
    parser.add_argument("--display_ms", type=int, default=0)
    parser.add_argument("--count", type=int, default=12)
    parser.add_argument("--completion_code", default="")
    parser.add_argument("--completion_url", default="")
    parser.add_argument("--new_sessions_per_hour", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--queue", type=int, default=8)
    parser.add_argument("--max_upload_bytes", type=int, default=20 * 1024 * 1024)
    parser.add_argument("--max_pixels", type=int, default=36_000_000)
    parser.add_argument("--colorizer", choices=["fake", "untrained"], default="fake",
                        help="untrained: a freshly initialised tiny U-Net through the real "
                             "inference path (TensorFlow)")
    parser.add_argument("--colorize_delay_s", type=float, default=0.0,
                        help="fake colorizer: hold a worker this long per photo")
    args = parser.parse_args()
    if args.colorizer == "untrained":
        from untrained_run import untrained_colorize_fn

        colorize_fn = untrained_colorize_fn(fake_study.RUNS)
    else:
        colorize_fn = runs.colorize_with(fake_study.fake_colorizers())
    if args.colorize_delay_s:
        colorize_fn = _delayed(colorize_fn, args.colorize_delay_s)
    app, storage = fake_study.make_app(
        args.database, seed=None, count=args.count, mode=args.mode, trials=args.trials,
        practice_trials=args.practice_trials, attention_checks=args.attention_checks,
        display_ms=args.display_ms, log=lambda line: print(line, flush=True),
        completion_code=args.completion_code, completion_url=args.completion_url,
        new_sessions_per_hour=args.new_sessions_per_hour, workers=args.workers,
        queue=args.queue, max_upload_bytes=args.max_upload_bytes,
        max_pixels=args.max_pixels, colorize_fn=colorize_fn)
    with storage:
        uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
