"""Study participants and colorize-page uploads as HTTP clients (httpx, one cookie jar
each), for tests and the benchmarks that run against a real server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx


class Participant:
    """Answers trials one after another; records every acknowledged (200) answer."""

    def __init__(self, url: str, timeout: float = 60.0) -> None:
        self.client = httpx.Client(base_url=url, timeout=timeout)
        self.acknowledged: list[tuple[str, str]] = []
        self.statuses: list[int] = []

    def answer_all(self, limit: int | None = None,
                   choose: Callable[[dict], object] = lambda trial: "real") -> None:
        """Answers until the session is done (or ``limit`` answers)."""
        while limit is None or len(self.acknowledged) < limit:
            reply = self.client.get("/api/trial")
            self.statuses.append(reply.status_code)
            trial = reply.json()
            if trial["done"]:
                return
            answer = choose(trial)
            posted = self.client.post("/api/answer",
                                      json={"trial_id": trial["trial_id"], "answer": answer})
            self.statuses.append(posted.status_code)
            if posted.status_code == 200:
                self.acknowledged.append((trial["trial_id"], str(answer)))

    def close(self) -> None:
        self.client.close()


def run_participants(url: str, clients: int, answers: int | None = None) -> list[Participant]:
    """``clients`` participants answering concurrently, one thread each; errors raised in
    a thread are re-raised here."""
    participants = [Participant(url) for _ in range(clients)]
    errors: list[BaseException] = []

    def work(participant: Participant) -> None:
        try:
            participant.answer_all(answers)
        except BaseException as err:  # noqa: BLE001 - reported by the caller
            errors.append(err)

    threads = [threading.Thread(target=work, args=(p,)) for p in participants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for participant in participants:
        participant.close()
    if errors:
        raise errors[0]
    return participants


def post_photo(url: str, data: bytes, timeout: float = 600.0) -> tuple[int, float, str]:
    """``(status, seconds, Retry-After)`` of one POST /api/colorize of ``data``."""
    start = time.perf_counter()
    try:
        with httpx.Client(base_url=url, timeout=timeout) as client:
            reply = client.post("/api/colorize", files={"image": ("photo.jpg", data,
                                                                  "image/jpeg")})
    except httpx.HTTPError as err:  # a dropped connection counts as a failure, not a crash
        return -1, time.perf_counter() - start, type(err).__name__
    return reply.status_code, time.perf_counter() - start, reply.headers.get("Retry-After", "")


def flood(url: str, data: bytes, uploads: int) -> list[tuple[int, float, str]]:
    """``uploads`` concurrent POST /api/colorize of ``data``, released together."""
    barrier = threading.Barrier(uploads)
    results: list = [None] * uploads

    def work(index: int) -> None:
        barrier.wait()
        results[index] = post_photo(url, data)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(uploads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def trial_latencies(url: str, stop: threading.Event, pause_s: float = 0.05) -> list[tuple]:
    """One participant asking for their trial again and again until ``stop``:
    ``(status, seconds)`` of each GET /api/trial."""
    measured = []
    with httpx.Client(base_url=url, timeout=60.0) as client:
        client.get("/api/trial")  # the session exists before the measurements
        while not stop.is_set():
            start = time.perf_counter()
            status = client.get("/api/trial").status_code
            measured.append((status, time.perf_counter() - start))
            stop.wait(pause_s)
    return measured
