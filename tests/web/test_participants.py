"""Honest participants: crowd-platform ids (one participation, resume, recorded with the
answers), completion code and link, --max_participants, the per-address new-session
rate limit (429), and the exclusion rules (attention, straight-lining, speed) with figures
reported with and without them."""

from __future__ import annotations

import fake_study
import pytest
import support

from colorization_tf.web import exclusions, limits

support.require_module("fastapi", "the [web] extra is not installed")

from fastapi.testclient import TestClient  # noqa: E402

ADMIN = fake_study.ADMIN
PROLIFIC = {"PROLIFIC_PID": "5f1a2b3c4d5e6f7a8b9c0d1e", "STUDY_ID": "study-42",
            "SESSION_ID": "sess-7"}


def _truth(db, trial_id: str) -> str:
    with db.read() as tx:
        return tx.trial(trial_id)["truth"]


def _answer(client, db, choose, params=None, response_ms=1500, limit=None):
    """Answers with ``choose(truth, trial)`` until done (or ``limit`` answers)."""
    count = 0
    while not (trial := client.get("/api/trial", params=params).json())["done"]:
        if limit is not None and count >= limit:
            return trial
        answer = choose(_truth(db, trial["trial_id"]), trial)
        if trial["mode"] == "pair":
            answer = int(answer)
        reply = client.post("/api/answer", json={"trial_id": trial["trial_id"],
                                                 "answer": answer,
                                                 "response_ms": response_ms})
        assert reply.status_code == 200, reply.text
        count += 1
    return trial


def _right(truth, trial):
    return truth


def _by_pseudonym(results):
    flags = {}
    for answer in results["answers"]:
        flags[answer["participant"]] = (answer["excluded_attention"],
                                        answer["excluded_straight_lining"],
                                        answer["excluded_fast"])
    return flags


# --------------------------------------------------------------------- crowd platforms


def test_a_prolific_id_takes_part_once_and_resumes(make_client):
    client, db = make_client(trials=4, practice_trials=1, completion_code="C0DE-1234",
                             completion_url="https://app.prolific.com/submissions/complete")
    first = client.get("/api/trial", params=PROLIFIC).json()
    client.post("/api/answer", json={"trial_id": first["trial_id"], "answer": "real"})
    second = client.get("/api/trial", params=PROLIFIC).json()
    # a new browser (no cookie) with the same id resumes, never starts anew
    elsewhere = TestClient(client.app)
    resumed = elsewhere.get("/api/trial", params=PROLIFIC).json()
    assert resumed["trial_id"] == second["trial_id"] and resumed["index"] == 2
    assert elsewhere.cookies.get("participant") == client.cookies.get("participant")
    with db.read() as tx:
        rows = tx._db.execute("SELECT external_id, external FROM participants").fetchall()
    assert len(rows) == 1 and rows[0][0] == PROLIFIC["PROLIFIC_PID"]
    done = _answer(elsewhere, db, _right, params=PROLIFIC)
    assert done["done"] and done["completion_code"] == "C0DE-1234"
    assert done["completion_url"] == "https://app.prolific.com/submissions/complete"
    again = TestClient(client.app).get("/api/trial", params=PROLIFIC).json()
    assert again["done"] and again["completion_code"] == "C0DE-1234"  # no second session
    with db.read() as tx:
        assert tx.participant_count(1) == 1
    answers = client.get("/api/results", headers=ADMIN).json()["answers"]
    assert {(a["external_id"], a["external_study"], a["external_session"])
            for a in answers} == {(PROLIFIC["PROLIFIC_PID"], "study-42", "sess-7")}


def test_a_generic_participant_id_and_a_shared_browser(make_client):
    client, db = make_client()
    client.get("/api/trial", params={"participant": "lab-01"})
    cookie_a = client.cookies.get("participant")
    client.get("/api/trial", params={"participant": "lab-02"})  # same browser, next person
    cookie_b = client.cookies.get("participant")
    assert cookie_a != cookie_b
    client.get("/api/trial", params={"participant": "lab-01"})
    assert client.cookies.get("participant") == cookie_a
    with db.read() as tx:
        ids = sorted(r[0] for r in tx._db.execute("SELECT external_id FROM participants"))
    assert ids == ["lab-01", "lab-02"]


@pytest.mark.parametrize("params", [{"PROLIFIC_PID": "x" * 200},
                                    {"participant": "<script>"},
                                    {"participant": "a b"},
                                    {"PROLIFIC_PID": "ok", "STUDY_ID": "../etc"}])
def test_malformed_platform_ids_are_422(make_client, params):
    client, db = make_client()
    reply = client.get("/api/trial", params=params)
    assert reply.status_code == 422 and "expected" in reply.json()["detail"]
    with db.read() as tx:
        assert tx.participant_count(1) == 0


def test_the_end_without_a_completion_code(make_client):
    client, db = make_client(trials=2, practice_trials=0)
    done = _answer(client, db, _right)
    assert done["done"] and done["completion_code"] is None and done["completion_url"] is None


def test_max_participants_closes_the_study(make_client):
    client, _ = make_client(max_participants=2)
    first, second, third = (TestClient(client.app) for _ in range(3))
    assert first.get("/api/trial").status_code == 200
    assert second.get("/api/trial", params={"participant": "w2"}).status_code == 200
    closed = third.get("/api/trial")
    assert closed.status_code == 403 and "full" in closed.json()["detail"]
    assert third.get("/api/trial", params={"participant": "w3"}).status_code == 403
    assert first.get("/api/trial").status_code == 200  # those inside continue
    assert TestClient(client.app).get("/api/trial", params={"participant": "w2"}
                                      ).status_code == 200  # and may resume


# --------------------------------------------------------------------- rate limit


def test_new_sessions_are_rate_limited_per_address(make_client):
    client, db = make_client(new_sessions_per_hour=3)
    assert client.get("/api/trial", params={"participant": "w1"}).status_code == 200
    browsers = [TestClient(client.app) for _ in range(4)]
    statuses = [browser.get("/api/trial").status_code for browser in browsers]
    assert statuses == [200, 200, 429, 429]  # cookie-less requests: 3 sessions an hour
    refused = TestClient(client.app).get("/api/trial")
    assert refused.status_code == 429
    assert "Too many new sessions" in refused.json()["detail"]
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    with db.read() as tx:
        assert tx.participant_count(1) == 3
    # the limit is on new sessions only: known participants (cookie or id) go on
    assert browsers[0].get("/api/trial").status_code == 200
    assert TestClient(client.app).get("/api/trial", params={"participant": "w1"}
                                      ).status_code == 200


def test_rate_limit_counts_the_forwarded_address_of_a_trusted_proxy(make_client):
    client, _ = make_client(new_sessions_per_hour=1, forwarded_allow_ips=("testclient",))
    for address in ("198.51.100.1", "198.51.100.2"):
        headers = {"X-Forwarded-For": address}
        assert TestClient(client.app).get("/api/trial", headers=headers).status_code == 200
        assert TestClient(client.app).get("/api/trial", headers=headers).status_code == 429


def test_rate_limiter_window_slides():
    now = [0.0]
    limiter = limits.RateLimiter(per_window=2, window_s=100.0, clock=lambda: now[0])
    assert [limiter.take("a"), limiter.take("a")] == [0.0, 0.0]
    assert limiter.take("a") == pytest.approx(100.0)
    assert limiter.take("b") == 0.0  # per address
    now[0] = 60.0
    assert limiter.take("a") == pytest.approx(40.0)
    now[0] = 100.5  # the first two events left the window
    assert limiter.take("a") == 0.0
    assert limits.NEW_SESSIONS_PER_HOUR == 100 and 50 <= limits.NEW_SESSIONS_PER_HOUR <= 150


def test_rate_limiter_forgets_the_longest_idle_addresses():
    limiter = limits.RateLimiter(per_window=1, max_keys=2)
    for key in ("a", "b", "c"):
        assert limiter.take(key) == 0.0
    assert limiter.take("a") == 0.0  # forgotten: a new allowance
    assert limiter.take("c") > 0


# --------------------------------------------------------------------- exclusions


def test_careless_participants_are_excluded_in_single_mode(make_client):
    """Attention checks cannot catch "colorized" to everything in single mode (an obvious
    fake can only be colorized): straight-lining does."""
    client, db = make_client(trials=20, practice_trials=2, attention_checks=0.2)
    people = {name: TestClient(client.app) for name in
              ("careful", "always_colorized", "always_real", "fast", "inattentive")}
    _answer(people["careful"], db, _right)
    _answer(people["always_colorized"], db, lambda truth, trial: "colorized")
    _answer(people["always_real"], db, lambda truth, trial: "real")
    _answer(people["fast"], db, _right, response_ms=150)

    def inattentive(truth, trial):  # right on photos, wrong on every attention check
        with db.read() as tx:
            row = tx.trial(trial["trial_id"])
        return "real" if row["attention"] else truth

    _answer(people["inattentive"], db, inattentive)
    results = client.get("/api/results", headers=ADMIN).json()
    pseudonym = {}
    with db.read() as tx:
        for name, who in people.items():
            pseudonym[name] = tx._db.execute(
                "SELECT pseudonym FROM participants WHERE id = ?",
                (who.cookies.get("participant"),)).fetchone()[0]
    flags = _by_pseudonym(results)
    assert flags[pseudonym["careful"]] == (False, False, False)
    assert flags[pseudonym["always_colorized"]] == (False, True, False)  # passes attention
    assert flags[pseudonym["always_real"]] == (True, True, False)
    assert flags[pseudonym["fast"]] == (False, False, True)
    assert flags[pseudonym["inattentive"]] == (True, False, False)
    assert results["excluded"] == {"attention": 2, "straight_lining": 2, "fast": 1, "any": 4}
    # with exclusions only the careful participant counts: always right
    counted = results["originals"]["shown"] + sum(f["shown"] for f in
                                                  results["runs"].values())
    assert counted == 16  # 20 test trials, 4 attention checks
    assert results["originals"]["accuracy"] == 1.0
    everyone = results["without_exclusions"]
    assert everyone["originals"]["shown"] + sum(
        f["shown"] for f in everyone["runs"].values()) == 5 * 16
    assert results["exclusion_rules"] == {"min_attention_accuracy": 0.75,
                                          "max_same_answer_share": 0.9,
                                          "min_median_response_ms": 300.0}


def test_always_left_is_excluded_in_pair_mode(make_client):
    client, db = make_client(mode="pair", trials=12, practice_trials=0, attention_checks=0.0)
    _answer(client, db, lambda truth, trial: "0")
    careful = TestClient(client.app)
    _answer(careful, db, _right)
    results = client.get("/api/results", headers=ADMIN).json()
    assert results["excluded"]["straight_lining"] == 1 and results["excluded"]["any"] == 1


def test_the_rules_are_stored_with_the_study(tmp_path):
    from colorization_tf.web import storage, study_config

    rules = exclusions.ExclusionRules(min_attention_accuracy=0.5, max_same_answer_share=0.95,
                                      min_median_response_ms=200)
    config = study_config.StudyConfig(runs=("a",), source="s", images=4, exclusions=rules)
    with storage.Storage(tmp_path / "s.sqlite") as db:
        with db.write() as tx:
            study_id = tx.study_id(config.to_json())
        with db.read() as tx:
            assert study_config.StudyConfig.from_json(tx.study_config(study_id)).exclusions == rules
    other = study_config.StudyConfig(runs=("a",), source="s", images=4)
    assert other.to_json() != config.to_json()  # other rules: another study


@pytest.mark.parametrize("values,flag", [
    ({"min_attention_accuracy": 1.5}, "--exclude_attention_below"),
    ({"max_same_answer_share": 0.4}, "--exclude_same_answer_at"),
    ({"min_median_response_ms": -1}, "--exclude_median_rt_below_ms")])
def test_bad_rules_name_their_flag(values, flag):
    with pytest.raises(ValueError, match=flag):
        exclusions.ExclusionRules(**values).validate()


def _rows(answers, attention=(), response_ms=1000.0):
    return [{"participant": "p", "practice": False, "attention": i in attention,
             "answer": answer, "correct": int(correct), "response_ms": response_ms}
            for i, (answer, correct) in enumerate(answers)]


def test_rule_thresholds_by_hand():
    rules = exclusions.ExclusionRules()
    # 9 of 10 alike: straight-lining (0.9 is >= 0.9); 8 of 10: not
    nine = _rows([("real", 1)] * 9 + [("colorized", 1)])
    assert exclusions.flags(nine, rules)["p"]["straight_lining"]
    eight = _rows([("real", 1)] * 8 + [("colorized", 1)] * 2)
    assert not exclusions.flags(eight, rules)["p"]["straight_lining"]
    # fewer than STRAIGHT_LINING_MIN_ANSWERS answers are not judged
    short = _rows([("real", 1)] * (exclusions.STRAIGHT_LINING_MIN_ANSWERS - 1))
    assert not exclusions.flags(short, rules)["p"]["straight_lining"]
    # attention: 3 of 4 right is 75% (kept), 2 of 4 is not
    mixed = [("real", 1), ("colorized", 1)] * 3
    kept = _rows(mixed + [("colorized", 1)] * 3 + [("colorized", 0)], attention={6, 7, 8, 9})
    assert not exclusions.flags(kept, rules)["p"]["attention"]
    dropped = _rows(mixed + [("colorized", 1)] * 2 + [("real", 0)] * 2,
                    attention={6, 7, 8, 9})
    assert exclusions.flags(dropped, rules)["p"]["attention"]
    # median response time: 299 ms excluded, 300 kept
    assert exclusions.flags(_rows(mixed, response_ms=299.0), rules)["p"]["fast"]
    assert not exclusions.flags(_rows(mixed, response_ms=300.0), rules)["p"]["fast"]
