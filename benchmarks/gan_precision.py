"""Does a GAN preset train stably in mixed precision? ``colorization-train --preset=cgan``
for the same epochs and seeds in the default precision (mixed bfloat16 where the CPU
computes it natively, float16 on a tensor-core GPU) and in float32
(``--nomixed_precision``); printed as JSON: whether any logged loss is not finite and, per
loss and epoch, whether every mixed-precision run lies inside the band the float32 runs
span at that epoch over the seeds (widened by ``--margin`` of float32's whole range), and
by how much it leaves it; and, as the yardstick for that, how far each float32 run leaves
the band of the other float32 runs (``seed_spread``: a drift no larger than float32's
own from seed to seed is not a precision effect); and each run's test MAE (the quality the
losses lead to).

    python benchmarks/gan_precision.py [--preset cgan] [--epochs 6] [--seeds 0,1,2]
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
    with open(os.path.join(run_dir, "metrics.json"), encoding="utf-8") as file:
        test_mae = json.load(file)["test"]["model"]["mae"]
    losses = {key: [float(row[key]) for row in rows] for key in rows[0]
              if key != "epoch" and not key.startswith("val_")}
    return {"mixed_precision": mixed, "wall_s": round(time.perf_counter() - start, 1),
            "test_mae": round(test_mae, 4), "losses": losses}


def compare(mixed: list[dict], exact: list[dict], margin: float,
            ranges: dict[str, float] | None = None) -> dict:
    """Per loss: each precision's range, any non-finite value, and per epoch the float32
    runs' band over the seeds (widened by ``margin`` of float32's whole range, or of
    ``ranges[loss]`` where given) with the mixed runs' values; ``within``: every mixed
    value inside its epoch's band; ``outside_by``: the furthest a mixed value lies outside
    it, as a share of that range."""
    out = {}
    for key in exact[0]["losses"]:
        ours = [run["losses"].get(key, []) for run in mixed]
        theirs = [run["losses"][key] for run in exact]
        every = [v for values in theirs for v in values]
        low, high = min(every), max(every)
        width = high - low if ranges is None else ranges[key]
        pad = margin * width
        epochs, furthest = [], 0.0
        for epoch in range(min(len(values) for values in theirs + ours)):
            band = [values[epoch] for values in theirs]
            at = [values[epoch] for values in ours]
            lo, hi = min(band) - pad, max(band) + pad
            furthest = max([furthest] + [max(lo - v, v - hi, 0.0) for v in at])
            epochs.append({"float32": [round(min(band), 5), round(max(band), 5)],
                           "mixed": [round(v, 5) for v in at]})
        flat = [v for values in ours for v in values]
        out[key] = {"float32_range": [round(low, 5), round(high, 5)],
                    "mixed_range": [round(min(flat), 5), round(max(flat), 5)] if flat else None,
                    "non_finite": sum(not math.isfinite(v) for v in flat + every),
                    "per_epoch": epochs, "within": bool(flat) and furthest == 0.0,
                    "outside_by": round(furthest / width, 4) if width else None}
    return out


def seed_spread(mixed: list[dict], exact: list[dict], margin: float) -> dict:
    """How far a run leaves the band of float32 runs of other seeds, per loss, for float32
    itself and for mixed precision: each float32 run against the band of the others (leave
    one out), and each mixed run against each of those same bands (the mean over them), so
    both are held to bands of as many seeds; shares of all float32 runs' range, the margin
    as in :func:`compare`. ``within_seed_spread``: no mixed run leaves its bands by more
    than some float32 run leaves the band of the others. Needs two float32 runs or more."""
    ranges = {key: _range(exact, key) for key in exact[0]["losses"]}
    bands = [exact[:i] + exact[i + 1:] for i in range(len(exact))]

    held_out = [compare([run], others, margin, ranges)  # once per run and band, every loss
                for run, others in zip(exact, bands, strict=True)]
    ours = [[compare([run], others, margin, ranges) for others in bands] for run in mixed]
    out = {}
    for key in ranges:
        theirs = [found[key]["outside_by"] or 0.0 for found in held_out]
        mine = [sum(found[key]["outside_by"] or 0.0 for found in per_band) / len(bands)
                for per_band in ours]
        out[key] = {"float32_held_out": [round(v, 4) for v in theirs],
                    "mixed": [round(v, 4) for v in mine],
                    "within_seed_spread": max(mine) <= max(theirs)}
    return out


def _range(runs: list[dict], key: str) -> float:
    every = [v for run in runs for v in run["losses"][key]]
    return max(every) - min(every)


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="cgan")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated: one run of each "
                        "precision per seed")
    parser.add_argument("--margin", type=float, default=0.1)
    parser.add_argument("--out", default="runs/gan_precision")
    args = parser.parse_args(argv)
    seeds = [int(seed) for seed in args.seeds.split(",")]
    runs = {p: [train(args.out, args.preset, args.epochs, seed, p) for seed in seeds]
            for p in FLAG}
    losses = compare(runs["default"], runs["float32"], args.margin)
    spread = seed_spread(runs["default"], runs["float32"], args.margin) if len(seeds) > 1 else {}
    result = {"preset": args.preset, "epochs": args.epochs, "seeds": seeds,
              "runs": runs, "losses": losses, "seed_spread": spread,
              "stable": all(v["non_finite"] == 0 and v["within"] for v in losses.values()),
              "within_seed_spread": bool(spread) and all(
                  v["within_seed_spread"] for v in spread.values()),
              "test_mae": {p: [run["test_mae"] for run in runs[p]] for p in FLAG}}
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
