"""Colorize throughput against the codec floor, printed as JSON. In the same run, on the
same inputs with the same codecs and settings: decode + encode alone (the floor: what no
colorizer can beat) and the whole pipeline, for photos at 1 MP and 4 MP with JPEG and PNG
output (``inference.batch``) and a 640x360 video (``video.colorize_video`` with the CLI's
``photos.video_callables``, without smoothing and with motion-compensated smoothing,
``--temporal_smoothing=0.8 --temporal_mode=flow``); each pipeline figure is also given as
a share of its floor.
Also peak RSS of a ``colorize`` process over two photo counts (flat = memory does not grow
with the number of photos; ``--rss_size 24MP``: with camera-sized photos, where the byte
budget on decoded photos binds) and the per-stage split (seconds summed over photos; stages
overlap in time), and the CPU milliseconds of each full-resolution step for one photo.
The network computes in colorize's default precision (bfloat16 or float16 where the device
does so natively); the photos are timed in float32 too, and the colours compared, unless
--no-float32.

    python benchmarks/colorize_speed.py [--photos 48] [--repeats 3] [--rss_counts 10,40]
        [--rss_size 1MP|4MP|24MP] [--run_dir DIR] [--no-float32]

The photos are scikit-image's astronaut upscaled, plus noise (so PNG sizes are those of a
real photo, not of a smooth image), saved as JPEG quality 90; the clip is ffmpeg's moving
testsrc. Without --run_dir a tiny U-Net is trained for a few seconds. Floor and pipeline
use the same threads; each figure is the best of --repeats runs, floor and pipeline
alternating, so load from other jobs on the machine affects both alike; each share is also
given per pair of runs (``paired_shares``, sorted, and their median), which shows how much
the machine's load moved it.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import imageio_ffmpeg
import numpy as np
import skimage.data
from PIL import Image

SIZES = {"1MP": (1280, 800), "4MP": (2560, 1600)}
RSS_SIZES = {**SIZES, "24MP": (6000, 4000)}  # a camera's photos: the byte budget binds


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


def batched(predictor, paths: list[str], out: str, fmt: str, batch_size: int,
            workers: int) -> dict:
    from colorization_tf.inference import batch

    times = batch.StageTimes()
    jobs = [(p, os.path.join(out, os.path.splitext(os.path.basename(p))[0] + "." + fmt))
            for p in paths]
    start = time.perf_counter()
    batch.colorize_files(predictor, jobs, batch.Encoder(fmt), batch_size=batch_size,
                         workers=workers, times=times)
    return _rates(paths, time.perf_counter() - start) | {"stages_s": times.as_dict()}


def floor(paths: list[str], out: str, fmt: str, workers: int) -> dict:
    """Decode + encode alone: the pipeline's reader and encoder (same settings, atomic
    write) in a pool of the same size, nothing in between."""
    from colorization_tf.inference import batch, user_images

    encoder = batch.Encoder(fmt)

    def copy(path: str) -> None:
        name = os.path.splitext(os.path.basename(path))[0] + encoder.extension
        encoder.save(user_images.read_codes(path), os.path.join(out, name))

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(copy, paths))
    return _rates(paths, time.perf_counter() - start)


def cpu_per_photo(folder: str) -> dict:
    """CPU milliseconds of each full-resolution step for one photo of each size, one
    thread (``time.process_time``, best of 10: a shared machine's slow moments drop out)."""
    from colorization_tf.inference import batch, full_resolution, user_images

    def best(step) -> float:
        step()
        times = []
        for _ in range(10):
            start = time.process_time()
            step()
            times.append(time.process_time() - start)
        return round(min(times) * 1000, 2)

    def steps(path: str) -> dict:
        codes = user_images.read_codes(path)
        ab = np.random.default_rng(0).uniform(-1, 1, (32, 32, 2)).astype(np.float32)
        out = os.path.splitext(path)[0] + "-out"
        return {
            "decode_jpg": best(lambda: user_images.read_codes(path)),
            "resize_for_model": best(lambda: full_resolution.small_rgb(codes, 32)),
            "recombine": best(lambda: full_resolution.fast_recombine(codes, ab, workers=1)),
            "encode_jpg": best(lambda: batch.Encoder("jpg").save(codes, out + ".jpg")),
            "encode_png": best(lambda: batch.Encoder("png").save(codes, out + ".png"))}

    return {label: steps(make_photos(os.path.join(folder, "cpu" + label), size, 1)[0])
            for label, size in SIZES.items()}


def photo_figures(predictor, folder: str, count: int, batch_size: int, workers: int,
                  repeats: int, sizes: list[str]) -> dict:
    result = {}
    for label in sizes:
        size = SIZES[label]
        paths = make_photos(os.path.join(folder, label), size, count)
        # steady state: the compiled loops load (or compile) and the model traces once
        batched(predictor, paths[:1], os.path.join(folder, "warm"), "png", batch_size, workers)
        for fmt in ("jpg", "png"):
            out = os.path.join(folder, f"{label}-{fmt}")
            runs: dict[str, list] = {"floor": [], "pipeline": []}
            for _ in range(repeats):  # alternating, so both see the same background load
                runs["floor"].append(floor(paths, out + "-floor", fmt, workers))
                runs["pipeline"].append(batched(predictor, paths, out, fmt, batch_size,
                                                workers))
            pick = {k: max(v, key=lambda r: r["photos_per_s"]) for k, v in runs.items()}
            # each pipeline run against the floor run just before it (the same load), so
            # the spread says how far one figure is from the next on this machine
            paired = sorted(p["photos_per_s"] / f["photos_per_s"]
                            for f, p in zip(runs["floor"], runs["pipeline"], strict=True))
            result[f"{label}_{fmt}"] = pick | {
                "share_of_floor": round(
                    pick["pipeline"]["photos_per_s"] / pick["floor"]["photos_per_s"], 3),
                "paired_shares": [round(share, 3) for share in paired],
                "paired_share_median": round(float(np.median(paired)), 3)}
    return result


def video_figures(predictor, folder: str, frames: int, batch_size: int,
                  repeats: int) -> dict:
    """640x360 clip: decode + encode alone (every frame copied through the same writer)
    against the whole colorize path."""
    from colorization_tf.inference import photos, video

    clip = os.path.join(folder, "clip.mp4")
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin",
                    "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=640x360:rate=24", "-frames:v", str(frames), "-c:v",
                    "libx264", "-crf", "18", "-pix_fmt", "yuv420p", clip], check=True)
    predict_ab, recombine = photos.video_callables(predictor)

    def copy() -> float:
        start = time.perf_counter()
        with video.VideoWriter(os.path.join(folder, "floor.mp4"), 24) as writer:
            for frame in video.read_frames(clip):
                writer.write(frame)
        return writer.frames / (time.perf_counter() - start)

    def colorize(smoothing: float = 0.0) -> float:  # 0.8: motion-compensated smoothing on
        summary = video.colorize_video(clip, os.path.join(folder, "out.mp4"), predict_ab,
                                       recombine, batch_size=batch_size, progress=False,
                                       smoothing=smoothing, mode="flow")
        return summary.frames_per_second

    colorize()  # warm: the model traces for the batch shapes of this clip
    floors, pipelines, compensated = [], [], []
    for _ in range(repeats):
        floors.append(copy())
        pipelines.append(colorize())
        compensated.append(colorize(0.8))
    return {"clip": f"testsrc 640x360, {frames} frames",
            "floor_frames_per_s": round(max(floors), 2),
            "pipeline_frames_per_s": round(max(pipelines), 2),
            "share_of_floor": round(max(pipelines) / max(floors), 3),
            "flow_smoothing_0.8_frames_per_s": round(max(compensated), 2),
            "flow_smoothing_share_of_floor": round(max(compensated) / max(floors), 3)}


def colour_difference(predictor, exact, folder: str) -> dict:
    """How far the default precision's colours are from float32's on the 1 MP photos, in
    levels of 255 per channel: the largest, and the share of values more than 1 apart."""
    photos = [np.asarray(Image.open(path))
              for path in make_photos(os.path.join(folder, "1MP"), SIZES["1MP"], 2)]
    levels = [np.abs(predictor.colorize_rgb(rgb).astype(np.int16) - exact.colorize_rgb(rgb))
              for rgb in photos]
    return {"max_levels": int(max(d.max() for d in levels)),
            "share_over_1_level": float(np.mean([(d > 1).mean() for d in levels])),
            "share_changed": float(np.mean([(d > 0).mean() for d in levels]))}


def _rates(paths: list[str], seconds: float) -> dict:
    with Image.open(paths[0]) as image:
        megapixels = image.size[0] * image.size[1] / 1e6
    return {"photos": len(paths), "seconds": round(seconds, 2),
            "photos_per_s": round(len(paths) / seconds, 3),
            "megapixels_per_s": round(len(paths) * megapixels / seconds, 2)}


def peak_rss(run_dir: str, folder: str, count: int, size: str = "1MP") -> float:
    """Peak RSS (MiB) of a fresh `colorize` CLI process over ``count`` photos of ``size``."""
    photos_dir = os.path.join(folder, f"rss{size}-{count}")
    make_photos(photos_dir, RSS_SIZES[size], count)
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
    parser.add_argument("--photos", type=int, default=48, help="photos per measurement "
                        "(enough that filling and draining the pipeline does not dominate)")
    parser.add_argument("--batch_size", type=int, default=16)
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 2))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--video_frames", type=int, default=96, help="0 skips the video")
    parser.add_argument("--rss_counts", default="10,40", help="'' skips the RSS runs")
    parser.add_argument("--rss_size", default="1MP", choices=list(RSS_SIZES),
                        help="photo size of the RSS runs")
    parser.add_argument("--run_dir", default=None)
    parser.add_argument("--sizes", default=",".join(SIZES),
                        help=f"photo sizes to time, of {', '.join(SIZES)}")
    parser.add_argument("--float32", action=argparse.BooleanOptionalAction, default=True,
                        help="also time the photos in float32 and compare the colours, "
                        "where colorize's default precision is another")
    args = parser.parse_args(argv)
    sizes = [label for label in args.sizes.split(",") if label]
    if not set(sizes) <= set(SIZES):
        parser.error(f"--sizes: expected labels of {', '.join(SIZES)}, got {args.sizes!r}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from colorization_tf.inference import load_run
    from colorization_tf.training import precision

    result: dict = {"machine": {"processor": platform.processor() or platform.machine(),
                                "cpus": os.cpu_count(),
                                "load_average_at_start": os.getloadavg()}}
    with tempfile.TemporaryDirectory() as folder:
        run_dir = args.run_dir or train_tiny(folder)
        predictor = load_run(run_dir, mixed_precision=precision.wanted(None))  # as colorize
        result["run"] = {"name": predictor.name, "render_size": predictor.image_size,
                         "workers": args.workers, "batch_size": args.batch_size,
                         "precision": predictor.precision}
        result["cpu_ms_per_photo"] = cpu_per_photo(folder)
        result["photos"] = photo_figures(predictor, folder, args.photos, args.batch_size,
                                         args.workers, args.repeats, sizes)
        if args.float32 and predictor.precision != "float32":
            exact = load_run(run_dir)
            result["photos_float32"] = photo_figures(exact, folder, args.photos,
                                                     args.batch_size, args.workers,
                                                     args.repeats, sizes)
            result["colours_against_float32"] = colour_difference(predictor, exact, folder)
        if args.video_frames:
            result["video"] = video_figures(predictor, folder, args.video_frames,
                                            args.batch_size, args.repeats)
        counts = [int(c) for c in args.rss_counts.split(",") if c]
        result[f"peak_rss_mib_{args.rss_size}"] = {
            str(c): peak_rss(run_dir, folder, c, args.rss_size) for c in counts}
    result["machine"]["load_average_at_end"] = os.getloadavg()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
