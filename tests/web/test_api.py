"""The JSON API and pages in-process (FastAPI TestClient): payloads that hide the truth,
200 once / 409 / 404 / 422 / 413, practice feedback only, sessions, results."""

from __future__ import annotations

import csv
import io
import json

import fake_study
import pytest
import support

support.require_module("fastapi", "the [web] extra is not installed")

ADMIN = fake_study.ADMIN

TRIAL_KEYS = {"trial_id", "images", "practice", "index", "total", "mode", "display_ms", "done"}


def _answer_for(client, trial):
    """Any valid answer for the trial's mode."""
    return "real" if trial["mode"] == "single" else 0


def test_pages_are_real_pages(make_client):
    client, _ = make_client()
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for text in ("instructions-single", "consent", "progress", "<kbd>R</kbd>", "app.js"):
        assert text in page.text
    assert client.get("/static/app.js").status_code == 200
    assert "svg" in client.get("/static/results.js").text
    assert client.get("/results", headers=ADMIN).status_code == 200
    assert 'type="file"' in client.get("/colorize").text
    assert client.get("/docs").status_code == 404


def test_trial_payload_reveals_nothing(make_client):
    client, _ = make_client(trials=10, practice_trials=2)
    texts = []
    for _ in range(12):
        trial = client.get("/api/trial").json()
        assert set(trial) == TRIAL_KEYS
        assert trial["images"] == [f"/img/{trial['trial_id']}/0"]
        texts.append(json.dumps(trial))
        client.post("/api/answer", json={"trial_id": trial["trial_id"], "answer": "real"})
        image = client.get(trial["images"][0])
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert "last-modified" not in image.headers and "etag" not in image.headers
    for text in texts:
        for secret in ("run_a", "run_b", "original", "colorized", "attention", "truth",
                       "correct", "is_real"):
            assert secret not in text


def test_progress_counts_practice_then_test_trials(make_client):
    client, _ = make_client(trials=3, practice_trials=2, attention_checks=0.0)
    seen = []
    while not (trial := client.get("/api/trial").json())["done"]:
        assert client.get("/api/trial").json()["trial_id"] == trial["trial_id"]  # reload
        seen.append((trial["index"], trial["total"], trial["practice"]))
        reply = client.post("/api/answer", json={"trial_id": trial["trial_id"],
                                                 "answer": "colorized"})
        assert reply.status_code == 200
        assert ("feedback" in reply.json()) == trial["practice"]
    assert seen == [(1, 5, True), (2, 5, True), (3, 5, False), (4, 5, False), (5, 5, False)]
    assert trial["trial_id"] is None and trial["index"] == trial["total"] == 5


def test_an_answer_is_taken_once(make_client):
    client, _ = make_client()
    trial = client.get("/api/trial").json()
    body = {"trial_id": trial["trial_id"], "answer": "real"}
    assert client.post("/api/answer", json=body).status_code == 200
    again = client.post("/api/answer", json=dict(body, answer="colorized"))
    assert again.status_code == 409 and "already" in again.json()["detail"]
    results = client.get("/api/results", headers=ADMIN).json()
    assert [a["answer"] for a in results["answers"]] == ["real"]


def test_unknown_or_someone_elses_trial_is_404(make_client):
    from fastapi.testclient import TestClient

    client, _ = make_client()
    trial = client.get("/api/trial").json()
    other = TestClient(client.app)
    other.get("/api/trial")  # a second participant, with its own cookie
    body = {"trial_id": trial["trial_id"], "answer": "real"}
    assert other.post("/api/answer", json=body).status_code == 404
    stranger = TestClient(client.app)  # no cookie at all
    assert stranger.post("/api/answer", json=body).status_code == 404
    forged = TestClient(client.app, cookies={"participant": "0" * 32})
    assert forged.post("/api/answer", json=body).status_code == 404
    unknown = {"trial_id": "f" * 32, "answer": "real"}
    assert client.post("/api/answer", json=unknown).status_code == 404
    assert client.post("/api/answer", json=body).status_code == 200  # still the owner's


@pytest.mark.parametrize("body", [
    {}, {"trial_id": "a" * 32}, {"answer": "real"},
    {"trial_id": "a" * 32, "answer": "REAL"}, {"trial_id": "a" * 32, "answer": 0},
    {"trial_id": "a" * 32, "answer": True}, {"trial_id": "a" * 32, "answer": None},
    {"trial_id": "a" * 31, "answer": "real"}, {"trial_id": "A" * 32, "answer": "real"},
    {"trial_id": "'; DROP TABLE answers; --", "answer": "real"},
    {"trial_id": "a" * 32, "answer": "real", "truth": "real"},
    {"trial_id": 5, "answer": "real"}, [1, 2], "real"])
def test_malformed_answers_are_422(make_client, body):
    client, storage = make_client()
    client.get("/api/trial")
    reply = client.post("/api/answer", json=body)
    assert reply.status_code == 422, reply.text
    with storage.read() as tx:
        assert tx._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 0


def test_non_json_and_oversized_bodies_are_refused(make_client):
    client, _ = make_client()
    assert client.post("/api/answer", content=b"{not json",
                       headers={"content-type": "application/json"}).status_code == 422
    huge = json.dumps({"trial_id": "a" * 32, "answer": "real", "x": "y" * 100_000})
    reply = client.post("/api/answer", content=huge,
                        headers={"content-type": "application/json"})
    assert reply.status_code == 413
    assert client.get("/api/study").status_code == 200


def test_bad_image_ids_are_404(make_client):
    client, _ = make_client()
    for path in ["/img/" + "0" * 32, "/img/..%2Fstudy.sqlite", "/img/" + "a" * 200,
                 "/img/%00"]:
        assert client.get(path).status_code in (404, 422)


def test_pair_mode_takes_indexes(make_client):
    client, _ = make_client(mode="pair", trials=4, practice_trials=1, attention_checks=0.0)
    trial = client.get("/api/trial").json()
    assert trial["mode"] == "pair" and len(trial["images"]) == 2
    wrong_kind = client.post("/api/answer", json={"trial_id": trial["trial_id"],
                                                  "answer": "real"})
    assert wrong_kind.status_code == 422 and "pair mode" in wrong_kind.json()["detail"]
    reply = client.post("/api/answer", json={"trial_id": trial["trial_id"], "answer": 1})
    assert reply.status_code == 200
    assert reply.json()["feedback"]["truth"] in (0, 1)


def test_results_json_csv_and_runs_keys(make_client):
    client, _ = make_client(trials=10, practice_trials=2, attention_checks=0.0)
    answered = 0
    while not (trial := client.get("/api/trial").json())["done"]:
        client.post("/api/answer", json={"trial_id": trial["trial_id"], "answer": "colorized"})
        answered += 1
    results = client.get("/api/results", headers=ADMIN).json()
    assert set(results) == {"answers", "participants", "runs", "originals",
                            "attention_failed", "without_exclusions", "excluded",
                            "exclusion_rules"}
    assert set(results["runs"]) == {"run_a", "run_b"}
    assert len(results["answers"]) == answered == 12
    assert results["participants"] == 1 and results["attention_failed"] == 0
    # always answering "colorized" (fast): excluded, so the headline figures are empty...
    assert results["excluded"]["straight_lining"] == results["excluded"]["any"] == 1
    assert results["originals"]["shown"] == 0
    # ...and without exclusions every colorization is judged right, every original wrong
    everyone = results["without_exclusions"]
    for figures in everyone["runs"].values():
        assert figures["accuracy"] in (None, 1.0)
    assert everyone["originals"]["accuracy"] == 0.0
    assert sum(f["shown"] for f in everyone["runs"].values()) + \
        everyone["originals"]["shown"] == 10
    for answer in results["answers"]:
        assert not any("image" in key for key in answer)
    table = list(csv.DictReader(io.StringIO(client.get("/summary.csv", headers=ADMIN).text)))
    assert [(row["exclusions"], row["name"]) for row in table] == [
        ("applied", "run_a"), ("applied", "run_b"), ("applied", "original photos"),
        ("none", "run_a"), ("none", "run_b"), ("none", "original photos")]
    assert float(table[5]["accuracy"]) == 0.0 and table[2]["accuracy"] == ""
    answers = list(csv.DictReader(io.StringIO(client.get("/results.csv", headers=ADMIN).text)))
    assert len(answers) == 12
    assert [row["trial"] for row in answers] == [str(i) for i in range(1, 13)]
    assert {row["excluded_straight_lining"] for row in answers} == {"1"}
