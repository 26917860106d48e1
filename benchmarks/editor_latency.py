"""Colorize-editor latency through the real HTTP API, printed as JSON: a 1 MP photo with 10
colour points posted to ``POST /api/colorize`` of a real server (``python -m
colorization_tf.web --colorize_page --nostudy --run_dirs=RUN``, a subprocess, uvicorn),
once per change as the editor page does it (the photo is sent each time), timed from the
request to the last byte of the full-resolution PNG, after one warm-up request.

Methods: ``optimization`` (Levin et al. 2004, solved on a 256 px grid and upsampled;
goal under 2 s) and a learned-hints run (Zhang et al. 2017; goal under 1 s), with the
colours it suggests at a pixel (``POST /api/suggest``) timed too.

    python benchmarks/editor_latency.py [--repeats 5] [--run_dir RUN]
                                        [--image_size 32] [--preset unet_hints]

Without --run_dir the learned run is the ``--preset`` network (the full-size generator of
the preset, not the tests' tiny one) with initial, untrained weights at ``--image_size``
(the render size): latency does not depend on the weights. The photo and its 10 points
(radius 2, the photo's own colours) are ``benchmarks/hints_latency.py``'s: scikit-image's
astronaut at 1280 x 800, JPEG quality 90.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path[:0] = [HERE, ROOT, os.path.join(ROOT, "tests"), os.path.join(ROOT, "tests", "web")]

import httpx  # noqa: E402
from hints_latency import NUM_POINTS, PHOTO_SIZE, make_photo  # noqa: E402
from server_process import EditorProcess  # noqa: E402


def timed_posts(url: str, path: str, files: dict, data: dict, params: dict,
                repeats: int) -> list[float]:
    """Seconds of ``repeats`` POSTs after one warm-up (graph tracing), each read to the
    end; raises on any status but 200."""
    seconds = []
    with httpx.Client(base_url=url, timeout=300) as client:
        for attempt in range(repeats + 1):
            start = time.perf_counter()
            reply = client.post(path, files=files, data=data, params=params)
            elapsed = time.perf_counter() - start
            if reply.status_code != 200:
                raise RuntimeError(f"{path} {params}: {reply.status_code} {reply.text[:300]}")
            if attempt:
                seconds.append(elapsed)
    return seconds


def summary(seconds: list[float], goal: float) -> dict:
    return {"median_seconds": round(statistics.median(seconds), 3),
            "all_seconds": [round(s, 3) for s in seconds], "goal_seconds": goal}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--run_dir", default=None)
    parser.add_argument("--preset", default="unet_hints")
    parser.add_argument("--image_size", type=int, default=None)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join([os.path.abspath(ROOT)] + [env_path] * bool(
        env_path))
    with tempfile.TemporaryDirectory() as folder:
        photo, hints_path, _ = make_photo(folder)
        run_dir, described = args.run_dir, f"trained run {args.run_dir}"
        if run_dir is None:
            from untrained_run import untrained_run

            run_dir = untrained_run(os.path.join(folder, args.preset), args.preset,
                                    full_network=True, image_size=args.image_size)
            described = (f"untrained {args.preset} (the preset's full-size generator, "
                         "initial weights)")
        run_name = os.path.basename(os.path.normpath(run_dir))
        server = EditorProcess(os.path.join(folder, "editor"), run_dirs=[run_dir]).start()
        try:
            methods = httpx.get(server.url + "/api/runs").json()["methods"]
            learned = next(m for m in methods if m["name"] == run_name)
            if not learned["hints"]:
                raise SystemExit(f"--run_dir {run_dir}: the run reads no hints")
            with open(photo, "rb") as handle:
                image = handle.read()
            with open(hints_path) as handle:
                hints = handle.read()
            files = {"image": ("photo.jpg", image, "image/jpeg")}
            data = {"hints": hints}
            found = {}
            for name, goal in (("optimization", 2.0), (run_name, 1.0)):
                seconds = timed_posts(server.url, "/api/colorize", files, data,
                                      {"run": name}, args.repeats)
                found["optimization" if name == "optimization" else "learned"] = summary(
                    seconds, goal)
                print(json.dumps({name: found[list(found)[-1]]}), file=sys.stderr,
                      flush=True)
            suggest = timed_posts(server.url, "/api/suggest", files, data,
                                  {"run": run_name, "x": 640, "y": 400}, args.repeats)
        finally:
            server.stop()
        image_size = json.load(open(os.path.join(run_dir, "config.json")))["data"][
            "image_size"]
    found["learned"].update(run=described, render_size=image_size)
    print(json.dumps({
        "photo": f"{PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} JPEG ({len(image)} bytes)",
        "points": NUM_POINTS, "through": "HTTP POST /api/colorize (uvicorn subprocess), "
        "photo uploaded with every request, PNG read to the end",
        "optimization": found["optimization"], "learned": found["learned"],
        "learned_suggest": summary(suggest, 1.0),
        "cpu_count": os.cpu_count(), "machine": platform.processor() or platform.machine(),
    }, indent=2))


if __name__ == "__main__":
    main()
