"""Study-server figures, printed as JSON: answers per second sustained by a real uvicorn
server with 16 concurrent participants (each answer = GET /api/trial + POST /api/answer,
both committed to SQLite with synchronous=FULL), and POST /api/colorize latency for a
1 MP and a 4 MP photo. The server is the test launcher (tests/web/fake_server.py): fake
images and a fake colorizer (a channel rotation, no TensorFlow), so the colorize figures
measure the server's own work (upload, decoding, colour handling, PNG encoding), not a
model's.

    python benchmarks/web_answers.py [--clients 16] [--answers 100] [--repeats 5]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "web"))

import httpx  # noqa: E402
from clients import run_participants  # noqa: E402
from server_process import ServerProcess  # noqa: E402


def answers_per_second(url: str, clients: int, answers: int) -> dict:
    """``clients`` participants answer ``answers`` trials each, concurrently."""
    start = time.perf_counter()
    participants = run_participants(url, clients=clients, answers=answers)
    elapsed = time.perf_counter() - start
    statuses = [s for p in participants for s in p.statuses]
    acknowledged = sum(len(p.acknowledged) for p in participants)
    return {"clients": clients, "answers": acknowledged, "seconds": round(elapsed, 3),
            "answers_per_s": round(acknowledged / elapsed, 1),
            "requests_per_s": round(len(statuses) / elapsed, 1),
            "server_errors": sum(s >= 500 for s in statuses)}


def photo(megapixels: float, seed: int = 0) -> bytes:
    """A photo-like JPEG (smooth colour gradients, mild noise) of about ``megapixels``."""
    height = int(round((megapixels * 1e6 * 3 / 4) ** 0.5))
    width = int(round(height * 4 / 3))
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.stack([x / width, y / height, 0.5 + 0.5 * np.sin(x / 97.0 + y / 61.0)], -1)
    rgb = np.clip(rgb * 255 + rng.normal(0, 6, rgb.shape), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def colorize_latency(url: str, megapixels: float, repeats: int) -> dict:
    """Median and min wall time of POST /api/colorize (after one warm-up)."""
    data = photo(megapixels)
    times = []
    with httpx.Client(base_url=url, timeout=300) as client:
        for attempt in range(repeats + 1):
            start = time.perf_counter()
            reply = client.post("/api/colorize", files={"image": ("photo.jpg", data,
                                                                  "image/jpeg")})
            elapsed = time.perf_counter() - start
            if reply.status_code != 200:
                raise RuntimeError(f"colorize answered {reply.status_code}: {reply.text}")
            if attempt:
                times.append(elapsed)
        size = Image.open(io.BytesIO(reply.content)).size
    return {"megapixels": round(size[0] * size[1] / 1e6, 2), "size": list(size),
            "upload_bytes": len(data), "median_s": round(statistics.median(times), 3),
            "min_s": round(min(times), 3), "repeats": repeats}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--answers", type=int, default=100, help="answers per client")
    parser.add_argument("--repeats", type=int, default=5, help="colorize requests per size")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        server = ServerProcess(os.path.join(folder, "bench.sqlite"), trials=args.answers,
                               practice_trials=0, count=50).start()
        try:
            figures = {
                "answers": answers_per_second(server.url, args.clients, args.answers),
                "colorize": [colorize_latency(server.url, mp, args.repeats) for mp in (1, 4)],
                "colorizer": "fake (channel rotation, no model)",
                "cpus": os.cpu_count(),
            }
        finally:
            server.stop()
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
