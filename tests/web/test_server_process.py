"""Against a real uvicorn server in a subprocess: 16 concurrent participants x 50 answers
stored exactly once without a 5xx; and after ``kill -9`` and a restart on the same
database, every acknowledged answer is there, none twice, and no image is recomputed."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

pytest.importorskip("uvicorn", reason="the [web] extra is not installed")

from clients import Participant, run_participants  # noqa: E402


def _answers(database: str) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT trial_id, answer FROM answers").fetchall()


@pytest.mark.slow
def test_16_clients_x_50_answers_are_stored_exactly_once(server_process):
    server = server_process(trials=50, practice_trials=0, attention_checks=0.1, count=30)
    participants = run_participants(server.url, clients=16)
    statuses = [s for p in participants for s in p.statuses]
    assert not [s for s in statuses if s >= 500]
    assert set(statuses) == {200}
    acknowledged = [a for p in participants for a in p.acknowledged]
    assert len(acknowledged) == 800 == len(set(acknowledged))
    stored = _answers(server.database)
    assert sorted(stored) == sorted(acknowledged)
    assert "database is locked" not in server.read_log()


@pytest.mark.slow
def test_acknowledged_answers_survive_kill_9(server_process):
    server = server_process(trials=200, practice_trials=0, count=30)
    participants = [Participant(server.url, timeout=5.0) for _ in range(6)]

    def work(participant):
        try:
            participant.answer_all()
        except Exception:  # noqa: BLE001 - the server is killed under it on purpose
            pass

    threads = [threading.Thread(target=work, args=(p,)) for p in participants]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while sum(len(p.acknowledged) for p in participants) < 60 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()  # SIGKILL while the clients are still answering
    for thread in threads:
        thread.join()
    acknowledged = [a for p in participants for a in p.acknowledged]
    assert len(acknowledged) >= 60

    restarted = server_process(trials=200, practice_trials=0, count=30)
    assert restarted.database == server.database
    stored = _answers(restarted.database)
    assert len(stored) == len(set(t for t, _ in stored))  # none twice
    assert set(acknowledged) <= set(stored)  # every acknowledged one, as acknowledged
    assert len(stored) - len(acknowledged) <= len(participants)  # at most one in flight each
    assert "image pool: computing" in server.read_log()
    assert "image pool: computing" not in restarted.read_log()  # the cached pool is reused
    survivor = Participant(restarted.url)
    survivor.answer_all(limit=3)
    survivor.close()
    assert len(_answers(restarted.database)) == len(stored) + 3
