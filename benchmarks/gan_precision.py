"""Does a GAN preset train stably in mixed precision? ``colorization-train --preset=cgan``
for the same epochs and seed in the default precision (mixed bfloat16 where the CPU
computes it natively, float16 on a tensor-core GPU) and in float32
(``--nomixed_precision``); printed as JSON: whether any logged loss is not finite, each
loss's range per run, and whether every mixed-precision epoch's losses lie within the
float32 run's range (widened by ``--margin`` of that range).

    python benchmarks/gan_precision.py [--preset cgan] [--epochs 6] [--seed 0]
        [--margin 0.1] [--out runs/gan_precision]

Each run is a subprocess with its own run directory (re-running resumes: a finished run is
read again, not retrained).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import subprocess
import sys
import time

FLAG = {"default": [], "float32": ["--nomixed_precision"]}


def train(out: str, preset: str, epochs: int, seed: int, precision: str) -> dict:
    """Trains one run; returns its per-epoch training losses and wall time."""
    run_dir = os.path.join(out, f"{preset}-{precision}-seed{seed}")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "colorization_tf.train", f"--preset={preset}",
                    f"--epochs={epochs}", f"--seed={seed}", f"--run_dir={run_dir}",
                    *FLAG[precision]], check=True,
                   env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    with open(os.path.join(run_dir, "history.csv"), encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    with open(os.path.join(run_dir, "config.json"), encoding="utf-8") as file:
        mixed = json.load(file)["runtime"]["mixed_precision"]
    losses = {key: [float(row[key]) for row in rows] for key in rows[0]
              if key != "epoch" and not key.startswith("val_")}
    return {"mixed_precision": mixed, "wall_s": round(time.perf_counter() - start, 1),
            "losses": losses}


def compare(mixed: dict, exact: dict, margin: float) -> dict:
    """Per loss: both runs' ranges, any non-finite value, and whether each of the mixed
    run's epochs lies inside float32's range widened by ``margin`` of its width."""
    out = {}
    for key, values in exact["losses"].items():
        low, high = min(values), max(values)
        pad = margin * (high - low)
        ours = mixed["losses"].get(key, [])
        out[key] = {"float32_range": [round(low, 5), round(high, 5)],
                    "mixed_range": [round(min(ours), 5), round(max(ours), 5)] if ours else None,
                    "non_finite": sum(not math.isfinite(v) for v in ours + values),
                    "within": bool(ours) and all(low - pad <= v <= high + pad for v in ours)}
    return out


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="cgan")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--margin", type=float, default=0.1)
    parser.add_argument("--out", default="runs/gan_precision")
    args = parser.parse_args(argv)
    runs = {p: train(args.out, args.preset, args.epochs, args.seed, p) for p in FLAG}
    losses = compare(runs["default"], runs["float32"], args.margin)
    result = {"preset": args.preset, "epochs": args.epochs, "seed": args.seed,
              "runs": runs, "losses": losses,
              "stable": all(v["non_finite"] == 0 and v["within"] for v in losses.values())}
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
