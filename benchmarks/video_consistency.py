"""Temporal consistency against ground truth: flicker and colour trails of raw
frame-by-frame colour, EMA smoothing and motion-compensated (flow) smoothing, printed as
JSON, with a plot of flicker against trail error.

    python benchmarks/video_consistency.py [--photos samples|DIR] [--size 128]
        [--frames 48] [--plot docs/images/video_consistency.png]

Clips are synthetic, made from colour photos (the ``samples`` test photos, coffee and
grace_hopper, by default, or every image of a folder), so the true colour of every pixel
of every frame and the true motion are known:

* ``pan``: the camera pans across a photo (1.7, 0.6 px per frame at 128 px);
* ``zoom``: the camera zooms into it (x1/0.985 per frame about the centre);
* ``object``: a textured disc cut from another photo crosses the still photo
  (2.5 px per frame).

Frames are rendered at the working resolution (the model's, ``--size``) by bilinear
resampling of the photo's CIELAB planes (scikit-image's conversion, the package's scaling:
ab / 127.5). A stand-in colorizer returns the true ab plus the noise frame-by-frame models
show: a per-frame global shift (``--global_noise``, scaled ab) and per-pixel noise
(``--pixel_noise``). Each mode runs the package's :class:`TemporalSmoother`, streamed frame
by frame, and is scored against the truth, in Lab units:

* ``mae``: mean |ab - true ab| over all pixels of all frames;
* ``trail_mae``: the same over pixels near moving edges, where the true colour changed by
  more than ``--edge_change`` Lab units within the last 4 frames (where an average that
  does not follow the motion leaves trails);
* ``flicker``: the warping error of Lai et al. (ECCV 2018, "Learning Blind Video Temporal
  Consistency"): |output_t - output_{t-1} warped to t| over pixels visible in both frames,
  with the clip's *true* flow and occlusions (so the score does not depend on the flow the
  smoother estimates). Lai et al. square the difference; here it is the mean absolute
  difference, in the units of the other figures.

``truth`` scores the true ab itself (its flicker is what bilinear warping alone leaves).
``goals`` checks issue 29's targets against ``ema`` at alpha 0.8.
``smoother_cpu_ms_per_frame`` (per clip) and ``smoother_cpu_ms_per_frame_by_size`` (a pan
at 32 to 512 px) are the CPU time of the smoother alone: what each mode adds to a frame.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
from collections.abc import Iterator

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage import color as skcolor

from colorization_tf import files
from colorization_tf.inference import optical_flow, temporal

AB_LAB_UNITS = 127.5  # scaled ab -> Lab units (colorization_tf.color's a' = (a + 0.5) / 127.5)
HISTORY = 4  # frames back over which a change of true colour marks a moving edge
ALPHAS = (0.5, 0.8, 0.9)
KINDS = ("pan", "zoom", "object")
COST_SIZES = (32, 64, 128, 256, 512)
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


@dataclasses.dataclass(frozen=True)
class ClipConfig:
    """One synthetic clip's geometry and the stand-in's noise (scaled ab units)."""

    size: int = 128
    frames: int = 48
    global_noise: float = 0.04
    pixel_noise: float = 0.02
    edge_change: float = 6.0  # Lab units
    seed: int = 0


@dataclasses.dataclass
class Frame:
    """One frame's truth: lightness [s,s,1] and ab [s,s,2] in model units, the backward
    flow [s,s,2] (x, y) from this frame to the previous one, and where the previous frame
    shows the same point (bool [s,s])."""

    lightness: np.ndarray
    ab: np.ndarray
    flow: np.ndarray
    visible: np.ndarray


# --------------------------------------------------------------------------- the clips


def load_photos(source: str) -> list[tuple[str, np.ndarray]]:
    """(name, uint8 RGB) of the ``samples`` test photos or of every image in a folder."""
    if source == "samples":
        from colorization_tf.data import samples

        return samples.whole_photos(("test",))
    if not os.path.isdir(source):
        raise SystemExit(f"--photos={source}: expected 'samples' or a folder of images")
    names = sorted(n for n in os.listdir(source) if n.lower().endswith(IMAGE_EXTENSIONS))
    photos = []
    for name in names:
        with Image.open(os.path.join(source, name)) as image:
            photos.append((os.path.splitext(name)[0], np.asarray(image.convert("RGB"))))
    if not photos:
        raise SystemExit(f"--photos={source}: no images in that folder")
    return photos


def lab_planes(photo: np.ndarray, short_side: int) -> np.ndarray:
    """The photo resized so its short side is ``short_side``, as model-scaled Lab
    ``[H,W,3]`` (L' = (L-50)/50, ab' = (ab+0.5)/127.5)."""
    height, width = photo.shape[:2]
    scale = short_side / min(height, width)
    resized = Image.fromarray(photo).resize((round(width * scale), round(height * scale)),
                                            Image.LANCZOS)
    lab = skcolor.rgb2lab(np.asarray(resized, np.float32) / 255.0)
    return np.concatenate([(lab[..., :1] - 50.0) / 50.0,
                           (lab[..., 1:] + 0.5) / AB_LAB_UNITS], -1).astype(np.float32)


def _sample(planes: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    return np.stack([ndimage.map_coordinates(planes[..., c], [rows, cols], order=1,
                                             mode="nearest")
                     for c in range(planes.shape[-1])], -1)


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float32)
    return rows, cols


def _frame(lab: np.ndarray, flow: np.ndarray, visible: np.ndarray) -> Frame:
    return Frame(lab[..., :1], lab[..., 1:], flow.astype(np.float32), visible)


def pan_clip(photo: np.ndarray, config: ClipConfig) -> Iterator[Frame]:
    """Frame t shows the photo at p + t*v: the previous frame shows p at p + v."""
    size, velocity = config.size, np.array([1.7, 0.6], np.float32)  # x, y px per frame
    travel = np.ceil(velocity * config.frames).astype(int)
    planes = lab_planes(photo, size + int(travel.max()) + 2)
    rows, cols = _grid(size)
    flow = np.broadcast_to(velocity, (size, size, 2))
    visible = (cols + velocity[0] <= size - 1) & (rows + velocity[1] <= size - 1)
    for t in range(config.frames):
        lab = _sample(planes, rows + t * velocity[1], cols + t * velocity[0])
        yield _frame(lab, flow, visible)


def zoom_clip(photo: np.ndarray, config: ClipConfig, rate: float = 0.985) -> Iterator[Frame]:
    """Frame t samples the photo about its centre with step rate**t (zooming in): the
    previous frame shows p at c + (p - c) * rate."""
    size = config.size
    planes = lab_planes(photo, int(size * 1.2))
    centre = (np.array(planes.shape[:2], np.float32) - 1) / 2
    rows, cols = _grid(size)
    mid = (size - 1) / 2
    flow = np.stack([(cols - mid) * (rate - 1), (rows - mid) * (rate - 1)], -1)
    visible = np.ones((size, size), bool)
    for t in range(config.frames):
        step = rate ** t
        lab = _sample(planes, centre[0] + (rows - mid) * step, centre[1] + (cols - mid) * step)
        yield _frame(lab, flow, visible)


def object_clip(background: np.ndarray, texture: np.ndarray, config: ClipConfig,
                radius_share: float = 0.2, speed: float = 2.5) -> Iterator[Frame]:
    """A disc of ``texture`` (radius ``radius_share`` of the frame) crosses the still
    ``background`` from left to right at ``speed`` px per frame (scaled to 128 px). The
    previous frame shows a disc pixel at p - v; background uncovered since then is not
    visible in it."""
    size = config.size
    radius, speed = radius_share * size, speed * size / 128
    back = lab_planes(background, size)[:size, :size]
    front = lab_planes(texture, int(2 * radius) + 4)
    front_centre = (np.array(front.shape[:2], np.float32) - 1) / 2
    rows, cols = _grid(size)
    start = np.array([size / 2, radius], np.float32)  # y, x

    def disc(t: int) -> tuple[np.ndarray, np.ndarray]:
        centre = start + np.array([0.0, speed * t], np.float32)
        return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius ** 2, centre

    for t in range(config.frames):
        inside, centre = disc(t)
        lab = back.copy()
        texture_lab = _sample(front, rows - centre[0] + front_centre[0],
                              cols - centre[1] + front_centre[1])
        lab[inside] = texture_lab[inside]
        flow = np.zeros((size, size, 2), np.float32)
        flow[inside, 0] = -speed
        before, _ = disc(t - 1)
        visible = np.where(inside, cols - speed >= 0, ~before)
        yield _frame(lab, flow, visible)


def clips(photos: list[tuple[str, np.ndarray]], config: ClipConfig):
    """(name, frame iterator factory) of every clip: each kind on each photo; the object
    is cut from the next photo in the list."""
    for index, (name, photo) in enumerate(photos):
        other = photos[(index + 1) % len(photos)][1]
        yield f"pan:{name}", lambda photo=photo: pan_clip(photo, config)
        yield f"zoom:{name}", lambda photo=photo: zoom_clip(photo, config)
        yield f"object:{name}", lambda photo=photo, other=other: object_clip(photo, other,
                                                                            config)


# --------------------------------------------------------------------------- the scores


def warp_true(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``image`` [s,s,C] resampled at p + flow(p) (scipy, bilinear): the previous frame
    brought into the current one along the true motion."""
    rows, cols = _grid(image.shape[0])
    return _sample(image, rows + flow[..., 1], cols + flow[..., 0])


class Scores:
    """Streaming ab MAE, trail MAE near moving edges, and warping error (Lab units)."""

    def __init__(self, edge_change: float):
        self.edge_change = edge_change / AB_LAB_UNITS
        self.sums = {"mae": [0.0, 0], "trail_mae": [0.0, 0], "flicker": [0.0, 0]}
        self._previous: np.ndarray | None = None

    def add(self, output: np.ndarray, frame: Frame, moving_edges: np.ndarray | None) -> None:
        error = np.abs(output - frame.ab).mean(-1)
        self._accumulate("mae", error)
        if moving_edges is not None:
            self._accumulate("trail_mae", error[moving_edges])
        if self._previous is not None:
            change = np.abs(output - warp_true(self._previous, frame.flow)).mean(-1)
            self._accumulate("flicker", change[frame.visible])
        self._previous = output

    def _accumulate(self, name: str, values: np.ndarray) -> None:
        self.sums[name][0] += float(values.sum())
        self.sums[name][1] += values.size

    def result(self) -> dict:
        return {name: round(total / count * AB_LAB_UNITS, 3) if count else None
                for name, (total, count) in self.sums.items()}


def moving_edges(history: list[np.ndarray], edge_change: float) -> np.ndarray | None:
    """Bool [s,s]: the true ab changed by more than ``edge_change`` (scaled) between the
    newest frame of ``history`` and any of the HISTORY before it (None until there are)."""
    if len(history) <= HISTORY:
        return None
    change = [np.abs(history[-1] - old).max(-1) for old in history[:-1]]
    return np.max(change, axis=0) > edge_change


def modes(alphas: tuple[float, ...]) -> list[tuple[str, str, float]]:
    """(label, mode, alpha): truth, raw, then ema and flow at each alpha."""
    runs = [("truth", "truth", 0.0), ("raw", "ema", 0.0)]
    for mode in temporal.MODES[::-1]:
        runs += [(f"{mode}_{alpha}", mode, alpha) for alpha in alphas]
    return runs


def score_clip(make_frames, config: ClipConfig, alphas: tuple[float, ...],
               flow: optical_flow.FlowConfig | None = None) -> dict:
    """Every mode's scores on one clip, streamed: the clip is rendered once per mode, the
    noise drawn from the same seed for each mode."""
    figures = {}
    for label, mode, alpha in modes(alphas):
        rng = np.random.default_rng(config.seed)
        smoother = temporal.TemporalSmoother(alpha, mode="ema" if mode == "truth" else mode,
                                             flow_config=flow)
        scores, history, seconds = Scores(config.edge_change), [], 0.0
        for frame in make_frames():
            shift = rng.normal(0, config.global_noise, (1, 1, 2))
            noisy = (frame.ab + shift + rng.normal(0, config.pixel_noise, frame.ab.shape)
                     ).astype(np.float32)
            start = time.process_time()
            output = frame.ab if label == "truth" else smoother(noisy, frame.lightness)
            seconds += time.process_time() - start
            history = (history + [frame.ab])[-(HISTORY + 1):]
            scores.add(output, frame, moving_edges(history, scores.edge_change))
        figures[label] = scores.result() | {
            "smoother_cpu_ms_per_frame": round(1000 * seconds / config.frames, 2)}
    return figures


def aggregate(per_clip: dict[str, dict]) -> dict:
    """Mean of each figure over clips (each clip weighs the same), per mode."""
    labels = next(iter(per_clip.values())).keys()
    result = {}
    for label in labels:
        rows = [clip[label] for clip in per_clip.values()]
        result[label] = {key: round(float(np.mean([r[key] for r in rows if r[key] is not None])),
                                    3) for key in rows[0]}
    return result


def goals(overall: dict, alphas: tuple[float, ...]) -> dict:
    """Issue 29's targets: among flow alphas with flicker <= ema 0.8's, the one with the
    lowest trail error; its trail <= half of ema 0.8's; its MAE <= raw's."""
    reference = overall["ema_0.8"]
    candidates = [f"flow_{a}" for a in alphas
                  if overall[f"flow_{a}"]["flicker"] <= reference["flicker"]]
    if not candidates:
        return {"flow_setting": None, "met": False,
                "why": "no flow alpha reaches ema 0.8's flicker"}
    best = min(candidates, key=lambda label: overall[label]["trail_mae"])
    chosen = overall[best]
    trail_ratio = chosen["trail_mae"] / reference["trail_mae"]
    return {"flow_setting": best,
            "flicker_vs_ema_0.8": [chosen["flicker"], reference["flicker"]],
            "trail_ratio_to_ema_0.8": round(trail_ratio, 3),
            "mae_vs_raw": [chosen["mae"], overall["raw"]["mae"]],
            "met": bool(trail_ratio <= 0.5 and chosen["mae"] <= overall["raw"]["mae"])}


def smoother_cost(photo: np.ndarray, sizes: tuple[int, ...], frames: int = 24,
                  flow: optical_flow.FlowConfig | None = None) -> dict:
    """CPU milliseconds per frame of each mode's smoother (alpha 0.8) on a pan clip at
    each working resolution: what the flow step adds to ``colorize`` per frame."""
    result = {}
    for size in sizes:
        config = ClipConfig(size=size, frames=frames)
        clip = list(pan_clip(photo, config))
        row = {}
        for mode in temporal.MODES:
            smoother = temporal.TemporalSmoother(0.8, mode=mode, flow_config=flow)
            start = time.process_time()
            for frame in clip:
                smoother(frame.ab, frame.lightness)
            row[mode] = round(1000 * (time.process_time() - start) / frames, 2)
        result[str(size)] = row
    return result


# --------------------------------------------------------------------------- the plot


def plot(per_clip: dict[str, dict], overall: dict, alphas: tuple[float, ...],
         path: str) -> None:
    """Flicker (x) against trail error (y), one panel per clip kind and one overall; each
    mode a line through its alphas from raw. Written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [(kind, aggregate({k: v for k, v in per_clip.items()
                                if k.startswith(kind + ":")})) for kind in KINDS]
    panels.append(("all clips", overall))
    figure, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.8))
    for axis, (title, figures) in zip(axes, panels, strict=True):
        for mode, style in (("ema", "o--"), ("flow", "s-")):
            points = [figures["raw"]] + [figures[f"{mode}_{a}"] for a in alphas]
            axis.plot([p["flicker"] for p in points], [p["trail_mae"] for p in points],
                      style, label=mode)
            for alpha, point in zip((0.0, *alphas), points, strict=True):
                axis.annotate(f"{alpha:g}", (point["flicker"], point["trail_mae"]),
                              textcoords="offset points", xytext=(4, 3), fontsize=7)
        axis.plot(figures["truth"]["flicker"], 0.0, "k*", label="truth")
        axis.set_title(title)
        axis.set_xlabel("flicker: warping error (Lab units)")
        axis.grid(alpha=0.3)
    axes[0].set_ylabel("trail error: ab MAE near moving edges")
    axes[0].legend(fontsize=8)
    figure.tight_layout()
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with files.atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=110, format=os.path.splitext(path)[1][1:] or "png")
    plt.close(figure)


# --------------------------------------------------------------------------- main


def measure(photos: str = "samples", config: ClipConfig | None = None,
            alphas: tuple[float, ...] = ALPHAS, plot_path: str | None = None,
            flow: optical_flow.FlowConfig | None = None) -> dict:
    """Scores of every mode on every clip and overall, as a JSON-ready dict."""
    config, flow = config or ClipConfig(), flow or optical_flow.FlowConfig()
    start = time.perf_counter()
    photo_list = load_photos(photos)
    per_clip = {name: score_clip(make, config, alphas, flow)
                for name, make in clips(photo_list, config)}
    overall = aggregate(per_clip)
    if plot_path:
        plot(per_clip, overall, alphas, plot_path)
    return {"photos": photos, "clip": dataclasses.asdict(config),
            "flow": dataclasses.asdict(flow),
            "units": "Lab (ab scaled x127.5)", "overall": overall,
            "goals": goals(overall, alphas),
            "smoother_cpu_ms_per_frame_by_size": smoother_cost(photo_list[0][1], COST_SIZES,
                                                               flow=flow),
            "per_clip": per_clip,
            "plot": plot_path,
            "machine": {"processor": platform.processor() or platform.machine(),
                        "cpus": os.cpu_count(), "load_average": os.getloadavg()},
            "seconds": round(time.perf_counter() - start, 1)}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", default="samples", help="'samples' or a folder")
    parser.add_argument("--size", type=int, default=128, help="working resolution (px)")
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--global_noise", type=float, default=0.04)
    parser.add_argument("--pixel_noise", type=float, default=0.02)
    parser.add_argument("--edge_change", type=float, default=6.0)
    parser.add_argument("--alphas", default=",".join(map(str, ALPHAS)))
    parser.add_argument("--flow_preset", default=optical_flow.FlowConfig.preset,
                        choices=optical_flow.PRESETS)
    parser.add_argument("--finest_scale", type=int, default=optical_flow.FlowConfig.finest_scale)
    parser.add_argument("--plot", default="video_consistency.png",
                        help="flicker-vs-trail plot ('' = none)")
    args = parser.parse_args(argv)
    if args.size < 32 or args.frames < HISTORY + 2:
        raise SystemExit(f"--size must be >= 32 and --frames >= {HISTORY + 2}")
    config = ClipConfig(size=args.size, frames=args.frames, global_noise=args.global_noise,
                        pixel_noise=args.pixel_noise, edge_change=args.edge_change)
    alphas = tuple(float(a) for a in args.alphas.split(","))
    if 0.8 not in alphas:
        raise SystemExit("--alphas must include 0.8 (the goals compare with ema 0.8)")
    flow = optical_flow.FlowConfig(preset=args.flow_preset, finest_scale=args.finest_scale)
    print(json.dumps(measure(args.photos, config, alphas, args.plot or None, flow), indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
