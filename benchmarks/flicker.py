"""Video figures, printed as JSON: flicker (mean |delta ab| between consecutive frames, in
Lab units) of a static clip colorized with a noisy stand-in predictor, for temporal
smoothing alpha 0 / 0.5 / 0.8 / 0.9 in both modes (``ema``, ``flow``), measured on the ab
the smoother hands to recombine (``model_ab``) and on the decoded output video
(``output``, codec included); ``colorize_video`` throughput in frames/s on a 640x360 clip
per mode; and, on moving clips with ground truth, the trail / flicker / MAE summary of
``benchmarks/video_consistency.py`` (``moving_clips_with_truth``; run that script for
every clip and the plot).

    python benchmarks/flicker.py [--frames 48] [--throughput_frames 96] [--truth_frames 24]
        [--run_dir DIR]

The stand-in predicts one colour plus noise, per frame (a global shift, the visible
flicker of frame-by-frame colorizers) and per pixel, at 64x64; its recombine keeps the
frame's L and upsamples ab (skimage Lab, about the cost of the real one). With
``--run_dir`` a trained run (``colorization_tf.inference.load_run``) replaces it; on a
static clip a deterministic model has no flicker to remove, so its figures there measure
the codec, and the throughput is the real one.
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
import warnings

import imageio_ffmpeg
import numpy as np
from skimage import color as skcolor

from colorization_tf.inference import temporal, video

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import video_consistency  # noqa: E402  (a sibling script, not a package module)

AB_LAB_UNITS = 127.5  # scaled ab -> Lab units (colorization_tf.color.AB_HALF_RANGE)
ALPHAS = (0.0, 0.5, 0.8, 0.9)


class NoisyPredictor:
    """A constant colour plus Gaussian noise: ``global_noise`` shared by a frame's pixels,
    ``pixel_noise`` independent per pixel (both in scaled ab)."""

    def __init__(self, size: int = 64, global_noise: float = 0.04, pixel_noise: float = 0.02,
                 seed: int = 0):
        self.size = size
        self.global_noise = global_noise
        self.pixel_noise = pixel_noise
        self.rng = np.random.default_rng(seed)

    def predict_ab(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows = np.linspace(0, frames.shape[1] - 1, self.size).astype(int)
        cols = np.linspace(0, frames.shape[2] - 1, self.size).astype(int)
        small = frames[:, rows][:, :, cols].astype(np.float32) / 255.0
        lightness = skcolor.rgb2lab(small)[..., :1] / 50.0 - 1.0
        shape = lightness.shape[:3] + (2,)
        shift = self.rng.normal(0, self.global_noise, (shape[0], 1, 1, 2))
        ab = np.array([0.15, 0.25]) + shift + self.rng.normal(0, self.pixel_noise, shape)
        return ab.astype(np.float32), lightness.astype(np.float32)

    @staticmethod
    def recombine(frame: np.ndarray, ab: np.ndarray) -> np.ndarray:
        """The frame's own L with ab upsampled (nearest) to its size."""
        lab = skcolor.rgb2lab(frame.astype(np.float32) / 255.0)
        rows = np.arange(frame.shape[0]) * ab.shape[0] // frame.shape[0]
        cols = np.arange(frame.shape[1]) * ab.shape[1] // frame.shape[1]
        lab[..., 1:] = np.clip(ab[rows][:, cols], -1.0, 1.0) * AB_LAB_UNITS
        with warnings.catch_warnings():  # "negative Z values clipped": the gamut clip, wanted
            warnings.simplefilter("ignore", UserWarning)
            rgb = skcolor.lab2rgb(lab)
        return np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def make_clip(path: str, width: int, height: int, frames: int, moving: bool) -> str:
    """ffmpeg's testsrc at 24 fps: moving as it is, or its first frame held (static)."""
    source = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel",
              "error", "-y", "-f", "lavfi", "-i", f"testsrc=size={width}x{height}:rate=24"]
    if not moving:
        source += ["-vf", "trim=end_frame=1,loop=loop=-1:size=1"]
    subprocess.run([*source, "-frames:v", str(frames), "-c:v", "libx264", "-crf", "12",
                    "-pix_fmt", "yuv420p", path], check=True)
    return path


def output_flicker(path: str) -> float:
    """Flicker of a decoded video's a*b*, in Lab units (streamed)."""
    lab_ab = (skcolor.rgb2lab(frame.astype(np.float32) / 255.0)[..., 1:]
              for frame in video.read_frames(path))
    return temporal.flicker(lab_ab)


def flicker_figures(folder: str, callables, frames: int) -> dict:
    static = make_clip(os.path.join(folder, "static.mp4"), 256, 144, frames, moving=False)
    figures = {"clip": f"static testsrc frame, 256x144, {frames} frames"}
    for mode in temporal.MODES:
        for alpha in ALPHAS:
            predict_ab, recombine = callables()
            out = os.path.join(folder, f"static-{mode}-{alpha}.mp4")
            summary = video.colorize_video(static, out, predict_ab, recombine,
                                           smoothing=alpha, mode=mode, progress=False)
            figures[f"{mode}_alpha_{alpha}"] = {
                "model_ab": round(summary.flicker * AB_LAB_UNITS, 3),
                "output": round(output_flicker(out), 3)}
    return figures


def throughput_figures(folder: str, callables, frames: int, batch_size: int) -> dict:
    clip = make_clip(os.path.join(folder, "moving.mp4"), 640, 360, frames, moving=True)
    out = os.path.join(folder, "moving-out.mp4")
    figures = {"clip": f"moving testsrc, 640x360, {frames} frames", "batch_size": batch_size}
    predict_ab, recombine = callables()
    runs = [(f"colorize_{mode}_0.8_frames_per_s", recombine, mode) for mode in temporal.MODES]
    runs.append(("decode_encode_only_frames_per_s", lambda frame, ab: frame, "ema"))
    for name, join, mode in runs:
        summary = video.colorize_video(clip, out, predict_ab, join, smoothing=0.8, mode=mode,
                                       batch_size=batch_size, progress=False)
        figures[name] = round(summary.frames_per_second, 2)
    return figures


def truth_figures(frames: int) -> dict | None:
    """Overall scores and goals of video_consistency on the samples photos (stand-in)."""
    if not frames:
        return None
    result = video_consistency.measure(config=video_consistency.ClipConfig(frames=frames))
    return {"command": f"python benchmarks/video_consistency.py --frames {frames}",
            "overall": result["overall"], "goals": result["goals"]}


def model_callables(run_dir: str | None):
    """A factory of fresh (predict_ab, recombine) pairs: the stand-in, or a trained run."""
    if run_dir is None:
        def stand_in():
            predictor = NoisyPredictor()
            return predictor.predict_ab, predictor.recombine

        return stand_in
    from colorization_tf.inference import load_run, photos

    predictor = load_run(run_dir)
    return lambda: photos.video_callables(predictor)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=48, help="frames of the static clip")
    parser.add_argument("--throughput_frames", type=int, default=96)
    parser.add_argument("--batch_size", type=int, default=8)
    parser.add_argument("--truth_frames", type=int, default=24,
                        help="frames of each ground-truth moving clip (0 skips them)")
    parser.add_argument("--run_dir", default=None, help="a trained run instead of the stand-in")
    args = parser.parse_args(argv)
    callables = model_callables(args.run_dir)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        result = {
            "predictor": args.run_dir or "noisy stand-in (global 0.04 + pixel 0.02 scaled ab)",
            "flicker_lab_units": flicker_figures(folder, callables, args.frames),
            "throughput": throughput_figures(folder, callables, args.throughput_frames,
                                             args.batch_size),
            "moving_clips_with_truth": truth_figures(args.truth_frames),
            "machine": {"processor": platform.processor() or platform.machine(),
                        "cpus": os.cpu_count(), "load_average": os.getloadavg()},
            "seconds": round(time.perf_counter() - start, 1),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
