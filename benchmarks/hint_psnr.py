"""PSNR against the number of user points (the layout of Zhang et al. 2017's
PSNR-vs-points figure), printed as JSON: each run colorizes the test split with 0, 1, 10,
50, ... points revealed from the ground truth, the same points for every run.

    python benchmarks/hint_psnr.py --run_dirs runs/unet_hints-samples[,runs/unet_l1-samples]
        [--points 0,1,10,50] [--split test] [--dataset samples] [--locations gaussian]

Points are simulated as in training (``data.hints.simulate_hints`` with a fixed count:
1x1-9x9 patches carrying the patch's mean ab, locations around the centre), keyed by
(--seed, image index, count), so every run sees the same hints. Runs that read no hints
(e.g. unet_l1) are scored once and appear as flat lines. PSNR is on uint8 sRGB of the
image at the run's size (``evaluation.metrics.psnr``), ab MAE on the [-1, 1] scale.
"""

from __future__ import annotations

import argparse
import dataclasses
import json

import numpy as np
import tensorflow as tf

from colorization_tf.data import hints, make_dataset
from colorization_tf.evaluation import metrics
from colorization_tf.inference import load_run


def score_run(run_dir: str, points: list[int], split: str, dataset: str | None, seed: int,
              locations: str, batch_size: int = 16) -> dict:
    """{count: {"psnr": dB, "mae": ab MAE, "images": n}} for one run."""
    predictor = load_run(run_dir)
    data = dataclasses.replace(predictor.config.data, features=(), max_examples=None,
                               **({"dataset": dataset} if dataset else {}))
    counts = points if predictor.accepts_hints else [0]
    psnr = {n: [] for n in counts}
    mae = {n: [] for n in counts}
    index = 0
    for batch in make_dataset(data, split, batch_size):
        lightness, ab = batch["L"], batch["ab"]
        size = len(lightness)
        for n in counts:
            if n:
                maps = [hints.simulate_hints(ab[i], [seed, (index + i) * 1000 + n],
                                             locations=locations, count=n)
                        for i in range(size)]
                hint_ab = tf.stack([m[0] for m in maps])
                hint_mask = tf.stack([m[1] for m in maps])
                predicted = predictor.predict(lightness, hint_ab, hint_mask)
            else:
                predicted = predictor.predict(lightness)
            psnr[n].append(metrics.psnr(metrics.to_uint8_rgb(lightness, ab),
                                        metrics.to_uint8_rgb(lightness, predicted)).numpy())
            mae[n].append(metrics.mae(ab, predicted).numpy())
        index += size
    out = {}
    for n in points:
        key = n if n in psnr else 0
        values = np.concatenate(psnr[key])
        finite = values[np.isfinite(values)]
        out[str(n)] = {"psnr": round(float(finite.mean()), 3),
                       "mae": round(float(np.concatenate(mae[key]).mean()), 4),
                       "images": int(values.size)}
    return {"preset": predictor.config.preset, "accepts_hints": predictor.accepts_hints,
            "by_points": out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run_dirs", required=True)
    parser.add_argument("--points", default="0,1,10,50")
    parser.add_argument("--split", default="test")
    parser.add_argument("--dataset", default=None, help="default: each run's own")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--locations", default="gaussian", choices=hints.LOCATIONS)
    args = parser.parse_args()
    points = [int(p) for p in args.points.split(",")]
    results = {}
    for run_dir in args.run_dirs.split(","):
        result = score_run(run_dir, points, args.split, args.dataset, args.seed,
                           args.locations)
        by_points = result["by_points"]
        if "0" in by_points:
            result["gain_db"] = {n: round(v["psnr"] - by_points["0"]["psnr"], 3)
                                 for n, v in by_points.items()}
        results[run_dir] = result
    print(json.dumps({"split": args.split, "points": points, "seed": args.seed,
                      "locations": args.locations, "runs": results}, indent=2))


if __name__ == "__main__":
    main()
