"""Study participants as HTTP clients (httpx, one cookie jar each), for tests and the
benchmark that run against a real server."""

from __future__ import annotations

import threading
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
