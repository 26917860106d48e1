"""Colorize-page flood, printed as JSON: N concurrent uploads of a large JPEG against a real
uvicorn server (the test launcher, tests/web/fake_server.py) whose colorize page runs the
real inference path (an untrained tiny U-Net loaded with ``load_run``, integer decoding,
``full_resolution.fast_recombine``), while one participant asks for their trial
every 50 ms. Reports the server's peak RSS (``VmHWM``), every upload's status, and the
participant's GET /api/trial latency during the flood.

Goals (issue: a study server a lab can put on the internet): peak RSS under 3 GB, every
upload answered 200/413/503, median GET /api/trial under 200 ms.

    python benchmarks/web_uploads.py [--uploads 20] [--megapixels 36] [--workers 2] \\
        [--queue 8] [--colorizer untrained|fake]
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import os
import statistics
import sys
import tempfile
import threading
import time

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "web"))

import httpx  # noqa: E402
from clients import flood, trial_latencies  # noqa: E402
from server_process import ServerProcess  # noqa: E402


def photo(megapixels: float) -> bytes:
    """A photo-like JPEG (smooth colour gradients, mild noise) of about ``megapixels``."""
    height = int(round((megapixels * 1e6 * 2 / 3) ** 0.5))
    width = int(round(height * 3 / 2))
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.stack([x / width, y / height, 0.5 + 0.5 * np.sin(x / 97.0 + y / 61.0)], -1)
    noise = np.random.default_rng(0).normal(0, 2, (height, width, 1)).astype(np.float32)
    pixels = np.clip(rgb * 255 + noise, 0, 255).astype(np.uint8)
    del y, x, rgb, noise
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (Linux ``VmHWM``), in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc (Linux only)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--megapixels", type=float, default=36.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--queue", type=int, default=8)
    parser.add_argument("--colorizer", choices=["untrained", "fake"], default="untrained")
    args = parser.parse_args()
    data = photo(args.megapixels)
    with tempfile.TemporaryDirectory() as folder:
        server = ServerProcess(os.path.join(folder, "bench.sqlite"), count=12,
                               workers=args.workers, queue=args.queue,
                               colorizer=args.colorizer).start(timeout=300)
        try:
            warm = httpx.post(server.url + "/api/colorize", timeout=600,
                              files={"image": ("small.jpg", photo(0.05), "image/jpeg")})
            if warm.status_code != 200:
                raise RuntimeError(f"warm-up upload answered {warm.status_code}: {warm.text}")
            idle_mb = peak_rss_mb(server.process.pid)
            stop = threading.Event()
            latencies: list = []
            watcher = threading.Thread(
                target=lambda: latencies.extend(trial_latencies(server.url, stop)))
            watcher.start()
            time.sleep(1.0)  # a few measurements before the flood
            start = time.perf_counter()
            results = flood(server.url, data, args.uploads)
            elapsed = time.perf_counter() - start
            stop.set()
            watcher.join()
            alive = server.process.poll() is None
            figures = {
                "uploads": args.uploads,
                "upload_bytes": len(data),
                "megapixels": args.megapixels,
                "colorizer": args.colorizer,
                "workers": args.workers,
                "queue": args.queue,
                "statuses": dict(collections.Counter(s for s, _, _ in results)),
                "seconds_200": sorted(round(t, 1) for s, t, _ in results if s == 200),
                "flood_seconds": round(elapsed, 1),
                "server_peak_rss_mb": round(peak_rss_mb(server.process.pid)),
                "server_rss_after_warm_up_mb": round(idle_mb),
                "server_alive": alive,
                "trial_requests": len(latencies),
                "trial_statuses": dict(collections.Counter(s for s, _ in latencies)),
                "trial_median_ms": round(1000 * statistics.median(t for _, t in latencies), 1),
                "trial_p95_ms": round(1000 * sorted(t for _, t in latencies)[
                    int(0.95 * (len(latencies) - 1))], 1),
                "cpus": os.cpu_count(),
            }
        finally:
            server.stop()
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
