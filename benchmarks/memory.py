"""Peak resident memory of a short training run against dataset size, printed as JSON:
the streaming pipeline should keep it flat (issue goal: 20,000 images within 80 MB of
2,000 at 64 px).

    python benchmarks/memory.py [--sizes 2000,20000] [--image_size 64] [--root /tmp/...]

Each size gets a folder of random JPEG photos (made once, reused) and one fresh
``python -m colorization_tf.train`` process: 2 steps of batch 32, validation and end-of-run
scores on 64 spread images; the figure is that child's peak RSS (getrusage).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image


def photo_folder(root: str, count: int, side: int) -> str:
    """``root/N`` holding ``count`` random (side+16) x (side+32) JPEGs, made once."""
    folder = os.path.join(root, str(count))
    done = os.path.join(folder, ".complete")
    if os.path.exists(done):
        return folder
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(count)
    for i in range(count):
        pixels = rng.integers(0, 256, (side + 16, side + 32, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(os.path.join(folder, f"{i:06d}.jpg"), quality=85)
    open(done, "w").close()
    return folder


def peak_rss_mb(folder: str, image_size: int, run_dir: str) -> float:
    """Peak RSS (MB) of one 2-step training run on ``folder``, in a child process."""
    command = [sys.executable, "-m", "colorization_tf.train", "--preset=unet_l1",
               f"--dataset=folder:{folder}", f"--image_size={image_size}", "--epochs=1",
               "--steps_per_epoch=2", "--batch_size=32", "--eval_examples=64",
               f"--run_dir={run_dir}"]
    wrapper = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
               "stdout=subprocess.DEVNULL); print(resource.getrusage("
               "resource.RUSAGE_CHILDREN).ru_maxrss)")
    done = subprocess.run([sys.executable, "-c", wrapper, *command], check=True,
                          capture_output=True, text=True)
    return int(done.stdout.strip().splitlines()[-1]) / 1024  # Linux: kilobytes


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000")
    parser.add_argument("--image_size", type=int, default=64)
    parser.add_argument("--root", default=os.path.join(tempfile.gettempdir(),
                                                       "colorization_memory_bench"))
    args = parser.parse_args(argv)
    rows = []
    for count in (int(n) for n in args.sizes.split(",")):
        folder = photo_folder(args.root, count, args.image_size)
        with tempfile.TemporaryDirectory() as run_dir:
            rows.append({"images": count,
                         "peak_rss_mb": round(peak_rss_mb(folder, args.image_size, run_dir), 1)})
    out = {"image_size": args.image_size, "runs": rows,
           "growth_mb": round(rows[-1]["peak_rss_mb"] - rows[0]["peak_rss_mb"], 1)}
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
