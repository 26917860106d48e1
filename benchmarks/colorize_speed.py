"""Photo colorize throughput, printed as JSON: photos/s and megapixels/s of the batched
pipeline (``inference.batch``) on 1 MP and 4 MP photos with PNG and JPEG output, the
one-photo-at-a-time loop of commit 3c3a893 (``baseline``: read_rgb, Predictor.colorize_rgb,
PNG at Pillow's default level) on the same 4 MP photos, peak RSS of a process colorizing
20 vs 200 photos, and the per-stage split (seconds summed over photos; stages overlap).

    python benchmarks/colorize_speed.py [--photos 8] [--rss_counts 20,200] [--run_dir DIR]

The photos are scikit-image's astronaut upscaled, plus noise (so PNG sizes are those of a
real photo, not of a smooth image), saved as JPEG quality 90. Without --run_dir a tiny
U-Net is trained for a few seconds (the model's cost is a small share at any size here).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import skimage.data
from PIL import Image

SIZES = {"1MP": (1280, 800), "4MP": (2560, 1600)}


def make_photos(folder: str, size: tuple[int, int], count: int) -> list[str]:
    os.makedirs(folder, exist_ok=True)
    base = Image.fromarray(skimage.data.astronaut()).resize(size, Image.Resampling.BICUBIC)
    rng = np.random.default_rng(0)
    paths = []
    for index in range(count):
        noisy = np.asarray(base, np.int16) + rng.normal(0, 4, (size[1], size[0], 3))
        path = os.path.join(folder, f"photo{index:03d}.jpg")
        Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(path, quality=90)
        paths.append(path)
    return paths


def train_tiny(folder: str) -> str:
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
    from support import tiny_config

    from colorization_tf import training

    run_dir = os.path.join(folder, "run")
    training.train(tiny_config(), run_dir, verbose=0)
    return run_dir


def batched(predictor, paths: list[str], out: str, fmt: str, batch_size: int) -> dict:
    from colorization_tf.inference import batch

    times = batch.StageTimes()
    jobs = [(p, os.path.join(out, os.path.splitext(os.path.basename(p))[0] + "." + fmt))
            for p in paths]
    start = time.perf_counter()
    batch.colorize_files(predictor, jobs, batch.Encoder(fmt), batch_size=batch_size,
                         times=times)
    return _rates(paths, time.perf_counter() - start) | {"stages_s": times.as_dict()}


def baseline(predictor, paths: list[str], out: str) -> dict:
    """The loop of commit 3c3a893 (photos.colorize_paths before batching)."""
    from colorization_tf.inference import batch, user_images

    encoder = batch.Encoder("png", compress_level=6)
    start = time.perf_counter()
    for path in paths:
        rgb = user_images.read_rgb(path)
        encoder.save(predictor.colorize_rgb(rgb), os.path.join(out, os.path.basename(path)
                                                                + ".png"))
    return _rates(paths, time.perf_counter() - start)


def _rates(paths: list[str], seconds: float) -> dict:
    with Image.open(paths[0]) as image:
        megapixels = image.size[0] * image.size[1] / 1e6
    return {"photos": len(paths), "seconds": round(seconds, 2),
            "photos_per_s": round(len(paths) / seconds, 3),
            "megapixels_per_s": round(len(paths) * megapixels / seconds, 2)}


def peak_rss(run_dir: str, folder: str, count: int) -> float:
    """Peak RSS (MiB) of a fresh `colorize` CLI process over ``count`` 1 MP photos."""
    photos_dir = os.path.join(folder, f"rss{count}")
    make_photos(photos_dir, SIZES["1MP"], count)
    command = [sys.executable, "-c", "import resource, runpy, sys; sys.argv = sys.argv[1:]; "
               "exec('try:\\n runpy.run_module(\"colorization_tf.colorize\", "
               "run_name=\"__main__\")\\nexcept SystemExit: pass'); "
               "print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)",
               "colorize", f"--run_dir={run_dir}", f"--output_dir={photos_dir}-out",
               photos_dir]
    done = subprocess.run(command, capture_output=True, text=True, check=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    kib = int(done.stdout.split("RSS")[-1].split()[0])
    return round(kib / 1024, 1)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=8, help="photos per measurement")
    parser.add_argument("--batch_size", type=int, default=8)
    parser.add_argument("--rss_counts", default="20,200", help="'' skips the RSS runs")
    parser.add_argument("--run_dir", default=None)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from colorization_tf.inference import load_run

    result: dict = {"machine": {"processor": platform.processor() or platform.machine(),
                                "cpus": os.cpu_count()}}
    with tempfile.TemporaryDirectory() as folder:
        run_dir = args.run_dir or train_tiny(folder)
        predictor = load_run(run_dir)
        result["run"] = {"name": predictor.name, "render_size": predictor.image_size}
        for label, size in SIZES.items():
            paths = make_photos(os.path.join(folder, label), size, args.photos)
            for fmt in ("png", "jpg"):
                out = os.path.join(folder, f"{label}-{fmt}")
                result[f"{label}_{fmt}"] = batched(predictor, paths, out, fmt,
                                                   args.batch_size)
            if label == "4MP":
                result["4MP_baseline_png"] = baseline(predictor, paths,
                                                      os.path.join(folder, "baseline"))
        result["speedup_4MP_png"] = round(result["4MP_png"]["photos_per_s"]
                                          / result["4MP_baseline_png"]["photos_per_s"], 2)
        counts = [int(c) for c in args.rss_counts.split(",") if c]
        result["peak_rss_mib_1MP"] = {str(c): peak_rss(run_dir, folder, c) for c in counts}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
