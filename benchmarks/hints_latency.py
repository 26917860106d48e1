"""Interactive colorization latency, printed as JSON: a 1 MP photo with 10 colour points,
colorized by Levin et al. 2004's optimization (``inference.optimization``) at several
solve sizes (long side of the grid the sparse system is solved on; the ab is upsampled to
the photo's full resolution), end to end as ``colorization-colorize --method=optimization``
does it (decode, hints, solve, recombine, PNG write; not the process start), with the
per-stage split and the PSNR against the photo's true colours (how much the smaller grid
costs).

    python benchmarks/hints_latency.py [--solve_sizes 128,192,256,384] [--repeats 3]
                                       [--full_resolution] [--run_dir RUN]
                                       [--compare_solvers 512] [--rasterize]

The photo is scikit-image's astronaut at 1280 x 800, saved as JPEG quality 90; the 10 points
(radius 2) sit at fixed random places (seed 0) and carry the photo's own colour there.
--full_resolution also solves at 1280 x 800 (about a minute on two cores).
--run_dir RUN (a learned-hints run) also times it on the same photo and hints
(:func:`learned_hints_latency`); without it "learned" is null.
--compare_solvers N also times other solvers of the same system on an N-pixel-long grid
(:func:`compare_solvers`): SuperLU (what the package uses), scipy's GMRES and BiCGStab
with an incomplete-LU preconditioner, and pyamg's multigrid when pyamg is installed (it is
not a dependency).
--rasterize also times :func:`hints.rasterize` on the largest hints file allowed (10,000
points, or one stroke of 10,000 vertices) over a 4032 x 3024 photo (:func:`rasterize_worst`).
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

import numpy as np
import skimage.data
from PIL import Image

PHOTO_SIZE = (1280, 800)  # width, height: 1.02 MP
NUM_POINTS = 10


def make_photo(folder: str) -> tuple[str, str, np.ndarray]:
    """``(photo path, hints path, true colour uint8 [H,W,3])``."""
    true = np.asarray(Image.fromarray(skimage.data.astronaut()).resize(
        PHOTO_SIZE, Image.Resampling.BICUBIC))
    photo = os.path.join(folder, "photo.jpg")
    Image.fromarray(true).save(photo, quality=90)
    rng = np.random.default_rng(0)
    width, height = PHOTO_SIZE
    points = []
    for x, y in zip(rng.integers(0, width, NUM_POINTS), rng.integers(0, height, NUM_POINTS),
                    strict=True):
        r, g, b = (int(v) for v in true[y, x])
        points.append({"x": int(x), "y": int(y), "color": f"#{r:02x}{g:02x}{b:02x}",
                       "radius": 2})
    hints_path = os.path.join(folder, "hints.json")
    with open(hints_path, "w") as handle:
        json.dump({"points": points}, handle)
    return photo, hints_path, true


def stages(photo: str, hints_path: str, solve_size: int) -> dict[str, float]:
    """Seconds of each step of one colorization (what ``colorize_codes`` does, split)."""
    import scipy.sparse.linalg

    from colorization_tf.inference import full_resolution, hints, optimization, user_images

    times = {}
    start = time.perf_counter()
    codes = user_images.read_codes(photo)
    parsed = hints.load_hints(hints_path)
    times["decode"] = time.perf_counter() - start
    height, width = codes.shape[:2]
    shape = optimization.solve_shape(height, width, solve_size)
    start = time.perf_counter()
    lightness = optimization.lightness_at(codes, shape)
    hint_ab, hint_mask = hints.rasterize(parsed, (height, width), shape)
    times["lightness_and_hints"] = time.perf_counter() - start
    start = time.perf_counter()
    fixed = hint_mask[..., 0] > 0.5
    matrix = optimization.system_matrix((lightness + 1.0) / 2.0, fixed)
    free = ~fixed.ravel()
    free_matrix = matrix[free][:, free].tocsc()
    times["build_system"] = time.perf_counter() - start
    start = time.perf_counter()
    factor = scipy.sparse.linalg.splu(free_matrix)
    factor.solve(-(matrix[free][:, ~free] @ hint_ab.reshape(-1, 2)[~free]))
    times["factorise_and_solve"] = time.perf_counter() - start
    ab = optimization.solve_ab(lightness, hint_ab, hint_mask)
    start = time.perf_counter()
    full_resolution.fast_recombine(codes, ab)
    times["recombine"] = time.perf_counter() - start
    return {k: round(v, 3) for k, v in times.items()}


def end_to_end(photo: str, hints_path: str, solve_size: int | None, folder: str,
               predictor=None) -> tuple[float, str]:
    """Seconds for ``guided.colorize_with_hints`` on the one photo (PNG, level 1), with
    the optimization or, given ``predictor``, a run that reads hints; and the output."""
    from colorization_tf.inference import guided

    out = tempfile.mkdtemp(dir=folder)
    start = time.perf_counter()
    summary = guided.colorize_with_hints([photo], out, hints_path, predictor=predictor,
                                         solve_size=solve_size, log=lambda line: None)
    seconds = time.perf_counter() - start
    if summary.failed:
        raise RuntimeError(summary.failed)
    return seconds, summary.written[0][1]


def psnr(output: str, true: np.ndarray) -> float:
    error = np.mean((np.asarray(Image.open(output).convert("RGB"), np.float64) - true) ** 2)
    return float(10 * np.log10(255.0 ** 2 / error))


def compare_solvers(photo: str, hints_path: str, solve_size: int) -> dict:
    """Seconds (and the largest error against SuperLU, scaled ab) of each solver on the
    system ``optimization.solve_ab`` builds for the photo at ``solve_size``."""
    import scipy.sparse.linalg

    from colorization_tf.inference import hints, optimization, user_images

    codes = user_images.read_codes(photo)
    height, width = codes.shape[:2]
    shape = optimization.solve_shape(height, width, solve_size)
    lightness = optimization.lightness_at(codes, shape)
    hint_ab, hint_mask = hints.rasterize(hints.load_hints(hints_path), (height, width), shape)
    fixed = hint_mask[..., 0].ravel() > 0.5
    matrix = optimization.system_matrix((lightness + 1.0) / 2.0, fixed.reshape(shape))
    free_matrix = matrix[~fixed][:, ~fixed].tocsc()
    rhs = -(matrix[~fixed][:, fixed] @ hint_ab.reshape(-1, 2)[fixed])
    found = {"grid": f"{shape[1]}x{shape[0]}"}
    start = time.perf_counter()
    exact = scipy.sparse.linalg.splu(free_matrix).solve(rhs)
    found["superlu"] = {"seconds": round(time.perf_counter() - start, 3)}

    def timed(name, solve_channel):
        start = time.perf_counter()
        try:
            got = np.stack([solve_channel(rhs[:, k]) for k in range(2)], 1)
        except Exception as err:  # a solver that breaks down is a result too
            found[name] = {"failed": f"{type(err).__name__}: {err}"}
            return
        found[name] = {"seconds": round(time.perf_counter() - start, 3),
                       "max_error": float(np.abs(got - exact).max())}

    def krylov(method):
        def solve(b):
            ilu = scipy.sparse.linalg.spilu(free_matrix, drop_tol=1e-4, fill_factor=10)
            preconditioner = scipy.sparse.linalg.LinearOperator(free_matrix.shape, ilu.solve)
            x, info = method(free_matrix, b, M=preconditioner, rtol=1e-6, maxiter=500)
            if info != 0:
                raise RuntimeError(f"did not converge (info {info})")
            return x
        return solve

    timed("gmres_ilu", krylov(scipy.sparse.linalg.gmres))
    timed("bicgstab_ilu", krylov(scipy.sparse.linalg.bicgstab))
    try:
        import pyamg
    except ImportError:
        found["pyamg"] = "not installed"
        return found
    csr = free_matrix.tocsr()
    for name, build in (("pyamg_air", lambda: pyamg.air_solver(csr)),
                        ("pyamg_smoothed_aggregation", lambda: pyamg.smoothed_aggregation_solver(
                            csr, symmetry="nonsymmetric"))):
        timed(name, lambda b, build=build: build().solve(b, tol=1e-6, accel="gmres",
                                                         maxiter=200))
    return found


def rasterize_worst() -> dict:
    """Seconds of ``hints.rasterize`` for 10,000 points (radius 3) and for one stroke of
    10,000 vertices (a random walk, steps of about 30 px, width 8) in a 12 MP photo, at the
    default solve grid and at full resolution."""
    from colorization_tf.inference import hints, optimization

    photo = (3024, 4032)
    rng = np.random.default_rng(0)
    walk = np.abs(np.cumsum(rng.normal(0, 30, (hints.MAX_POINTS, 2)), 0)) % [4031, 3023]
    cases = {
        "10000_points": {"points": [{"x": float(x), "y": float(y), "color": "#ff0000",
                                     "radius": 3} for x, y in walk]},
        "10000_vertex_stroke": {"strokes": [{"points": walk.round(1).tolist(),
                                             "color": "#ff0000", "width": 8}]}}
    found = {}
    for name, payload in cases.items():
        parsed = hints.parse_hints(json.dumps(payload))
        for label, target in (("solve_grid", optimization.solve_shape(*photo)),
                              ("full_resolution", photo)):
            start = time.perf_counter()
            hints.rasterize(parsed, photo, target)
            found[f"{name}_{label}_seconds"] = round(time.perf_counter() - start, 3)
    return found


def learned_hints_latency(run_dir: str, photo: str, hints_path: str, repeats: int,
                          folder: str) -> dict:
    """The learned-hints model's latency (Zhang et al. 2017; presets ``unet_hints``,
    ``unet_hints_global``), timed like :func:`end_to_end`: ``colorization-colorize
    --run_dir=RUN --hints=...`` on the same photo and hints, in a running process, after
    one warm-up call (goal: under 1 s). A run that reads no hints raises ``ValueError``."""
    from colorization_tf.inference import load_run

    predictor = load_run(run_dir)

    def once() -> float:
        return end_to_end(photo, hints_path, None, folder, predictor)[0]

    once()  # warm-up: graph tracing
    seconds = [once() for _ in range(repeats)]
    return {"run": run_dir, "preset": predictor.config.preset,
            "render_size": predictor.image_size, "goal_seconds": 1.0,
            "end_to_end_seconds": round(statistics.median(seconds), 3),
            "all_seconds": [round(s, 3) for s in seconds]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--solve_sizes", default="128,192,256,384")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--full_resolution", action="store_true")
    parser.add_argument("--run_dir", default=None)
    parser.add_argument("--compare_solvers", type=int, default=0)
    parser.add_argument("--rasterize", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.solve_sizes.split(",") if s] + ([0] if args.full_resolution
                                                                     else [])
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from colorization_tf.inference import optimization

    with tempfile.TemporaryDirectory() as folder:
        photo, hints_path, true = make_photo(folder)
        end_to_end(photo, hints_path, 64, folder)  # warm-up: TF start, graph tracing
        results = []
        for size in sizes:
            repeats = 1 if size == 0 else args.repeats
            seconds = []
            for _ in range(repeats):
                elapsed, output = end_to_end(photo, hints_path, size, folder)
                seconds.append(elapsed)
            height, width = optimization.solve_shape(PHOTO_SIZE[1], PHOTO_SIZE[0], size)
            results.append({
                "solve_size": size or "full", "solve_grid": f"{width}x{height}",
                "end_to_end_seconds": round(statistics.median(seconds), 3),
                "all_seconds": [round(s, 3) for s in seconds],
                "stages_seconds": stages(photo, hints_path, size),
                "psnr_db": round(psnr(output, true), 2)})
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
        solvers = (compare_solvers(photo, hints_path, args.compare_solvers)
                   if args.compare_solvers else None)
        learned = (learned_hints_latency(args.run_dir, photo, hints_path, args.repeats,
                                         folder) if args.run_dir else None)
    print(json.dumps({
        "photo": f"{PHOTO_SIZE[0]}x{PHOTO_SIZE[1]}", "points": NUM_POINTS,
        "default_solve_size": optimization.DEFAULT_SOLVE_SIZE, "goal_seconds": 2.0,
        "optimization": results, "solvers": solvers, "learned": learned,
        "rasterize": rasterize_worst() if args.rasterize else None,
        "cpu_count": os.cpu_count(), "machine": platform.processor() or platform.machine(),
    }, indent=2))


if __name__ == "__main__":
    main()
