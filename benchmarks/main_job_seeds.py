"""The main job (``colorization-train`` with no flags) over several seeds and precisions:
test MAE mean, standard deviation and range across seeds, wall and CPU time per run.

    python benchmarks/main_job_seeds.py --seeds 0,1,2 --precisions default,float32

Each run is a subprocess with its own run directory under ``--out`` (re-running resumes:
a finished run is scored again, not retrained, and its wall and CPU time are then those
of the scoring alone). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

# "constant_lr": the schedule before the annealed one (an explicit --epochs keeps the
# preset's optimiser: a constant rate over the 12 samples epochs)
FLAG = {"default": [], "float32": ["--nomixed_precision"], "mixed": ["--mixed_precision"],
        "constant_lr": ["--epochs=12"]}


def run_one(out: str, seed: int, precision: str) -> dict:
    """Trains and scores one main job; returns its figures."""
    run_dir = os.path.join(out, f"{precision}-seed{seed}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "colorization_tf.train", f"--seed={seed}",
                    f"--run_dir={run_dir}", *FLAG[precision]], check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(os.path.join(run_dir, "metrics.json"), encoding="utf-8") as file:
        test = json.load(file)["test"]["model"]
    with open(os.path.join(run_dir, "config.json"), encoding="utf-8") as file:
        runtime = json.load(file)["runtime"]
    return {"seed": seed, "precision": precision, "mixed_precision": runtime["mixed_precision"],
            "test_mae": test["mae"], "wall_s": round(wall, 1),
            "cpu_s": round(after.ru_utime + after.ru_stime
                           - before.ru_utime - before.ru_stime, 1)}


def summary(runs: list[dict]) -> dict:
    """Mean, sample standard deviation and range of test MAE; mean wall and CPU time."""
    maes = [run["test_mae"] for run in runs]
    mean = statistics.fmean(maes)
    spread = max(maes) - min(maes)
    return {"test_mae_mean": round(mean, 5),
            "test_mae_std": round(statistics.stdev(maes), 5) if len(maes) > 1 else 0.0,
            "test_mae_range": [round(min(maes), 5), round(max(maes), 5)],
            "range_over_mean": round(spread / mean, 4),
            "wall_s_mean": round(statistics.fmean(r["wall_s"] for r in runs), 1),
            "cpu_s_mean": round(statistics.fmean(r["cpu_s"] for r in runs), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--precisions", default="default,float32")
    parser.add_argument("--out", default="runs/main_job_seeds")
    args = parser.parse_args()
    from colorization_tf import cpu  # noqa: PLC0415  (light: no TensorFlow)

    runs = [run_one(args.out, int(seed), precision)
            for precision in args.precisions.split(",") for seed in args.seeds.split(",")]
    by_precision = {p: summary([r for r in runs if r["precision"] == p])
                    for p in args.precisions.split(",")}
    print(json.dumps({"cpu": cpu.cpu_features().to_dict(), "runs": runs,
                      "summary": by_precision}, indent=1))


if __name__ == "__main__":
    main()
