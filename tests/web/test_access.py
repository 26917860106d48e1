"""Who sees what: results only with the experimenter's token (401 without, compared in
constant time), the token generated once and kept in the database, no participant's
cookie value in any results response, per-trial image URLs that others cannot open,
practice images disjoint from test images, cookie flags, and the durability setting
(``synchronous=FULL``) on every connection the storage opens."""

from __future__ import annotations

import json
import re
import sqlite3

import fake_study
import pytest
import support

support.require_module("fastapi", "the [web] extra is not installed")

from fastapi.testclient import TestClient  # noqa: E402

from colorization_tf.web import admin, storage  # noqa: E402

ADMIN = fake_study.ADMIN
RESULTS = ("/results", "/api/results", "/results.csv", "/summary.csv")


def _answer_all(client, answer="real", response_ms=1200):
    while not (trial := client.get("/api/trial").json())["done"]:
        reply = client.post("/api/answer", json={"trial_id": trial["trial_id"],
                                                 "answer": answer,
                                                 "response_ms": response_ms})
        assert reply.status_code == 200
    return trial


@pytest.mark.parametrize("path", RESULTS)
def test_results_need_the_token(make_client, path):
    client, _ = make_client()
    _answer_all(client)
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"},
                    {"Authorization": "Basic " + fake_study.ADMIN_TOKEN},
                    {"Authorization": "Bearer " + fake_study.ADMIN_TOKEN[:-1]}):
        reply = client.get(path, headers=headers)
        assert reply.status_code == 401, (path, headers)
        assert "token" in reply.json()["detail"] and reply.headers["WWW-Authenticate"]
    assert client.get(path, headers=ADMIN).status_code == 200


def test_the_token_in_the_url_becomes_a_cookie_and_leaves_the_address(make_client):
    client, _ = make_client()
    reply = client.get(f"/results?token={fake_study.ADMIN_TOKEN}", follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == "/results"
    cookie = reply.headers["set-cookie"]
    assert cookie.startswith(f"{admin.COOKIE}=") and "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    assert client.get("/api/results").status_code == 200  # the cookie now carries it
    assert client.get("/results").status_code == 200


def test_token_comparison_is_constant_time_hmac():
    assert admin.matches("a" * 20, "a" * 20)
    assert not admin.matches("a" * 20, "a" * 19 + "b")
    assert not admin.matches("a" * 20, None) and not admin.matches("a" * 20, "")
    assert not admin.matches("a" * 20, "a" * 21)


def test_a_generated_token_is_kept_in_the_database_and_given_once(tmp_path):
    with storage.Storage(tmp_path / "s.sqlite") as db:
        token, generated = admin.resolve_token(db, None)
        assert generated and len(token) >= admin.MIN_LENGTH
        assert admin.resolve_token(db, None) == (token, False)  # the restart's view
        assert admin.resolve_token(db, "my-own-token-0123456789") == (
            "my-own-token-0123456789", False)
        with pytest.raises(ValueError, match="--admin_token"):
            admin.resolve_token(db, "short")
    with storage.Storage(tmp_path / "s.sqlite") as db:
        assert admin.resolve_token(db, None) == (token, False)


def test_no_cookie_value_in_any_results_response(make_client):
    client, db = make_client(trials=10, practice_trials=2)
    others = [TestClient(client.app) for _ in range(2)]
    cookies = []
    for who in [client, *others]:
        _answer_all(who)
        cookies.append(who.cookies.get("participant"))
    assert all(re.fullmatch(r"[0-9a-f]{32}", c) for c in cookies)
    texts = [client.get(path, headers=ADMIN).text for path in RESULTS[1:]]
    for cookie in cookies:
        for text in texts:
            assert cookie not in text
            assert cookie[:16] not in text and cookie[16:] not in text
    results = client.get("/api/results", headers=ADMIN).json()
    pseudonyms = {answer["participant"] for answer in results["answers"]}
    assert len(pseudonyms) == 3 and not pseudonyms & set(cookies)
    with db.read() as tx:
        stored = {row[0]: row[1] for row in tx._db.execute(
            "SELECT id, pseudonym FROM participants")}
    assert set(stored) == set(cookies) and set(stored.values()) == pseudonyms
    # a pseudonym is no key: as a cookie it opens no session and answers nothing
    forged = TestClient(client.app, cookies={"participant": next(iter(pseudonyms))})
    assert forged.get("/api/trial").json()["index"] == 1  # a new session of its own


def test_two_participants_get_different_urls_for_the_same_image(make_client):
    """A pool of one test image: every test trial of everyone shows it."""
    client, _ = make_client(count=2, practice_trials=1, trials=3, attention_checks=0.0)
    other = TestClient(client.app)
    urls, pictures = {}, {}
    for name, who in (("a", client), ("b", other)):
        seen = []
        while not (trial := who.get("/api/trial").json())["done"]:
            if not trial["practice"]:
                seen += trial["images"]
                pictures.setdefault(name, []).append(who.get(trial["images"][0]).status_code)
            who.post("/api/answer", json={"trial_id": trial["trial_id"], "answer": "real"})
        urls[name] = seen
    assert len(urls["a"]) == len(urls["b"]) == 3
    assert not set(urls["a"]) & set(urls["b"])
    assert len(set(urls["a"])) == 3  # every trial its own URL, even for one image
    assert pictures == {"a": [200] * 3, "b": [200] * 3}
    for url in urls["a"]:  # another participant, or none, cannot open them
        assert other.get(url).status_code == 404
        assert TestClient(client.app).get(url).status_code == 404


def test_practice_images_are_never_test_images(make_client):
    client, db = make_client(count=6, practice_trials=3, trials=12, attention_checks=0.25)
    _answer_all(client)
    with db.read() as tx:
        rows = tx._db.execute("SELECT practice, source_index FROM trials").fetchall()
    practice = {index for is_practice, index in rows if is_practice}
    tests = {index for is_practice, index in rows if not is_practice}
    assert practice == {0, 1, 2} and tests == {3, 4, 5}


def test_cookie_flags(make_client):
    client, _ = make_client()
    cookie = client.get("/api/trial").headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()
    https, _ = make_client("https.sqlite", https=True)
    assert "secure" in https.get("/api/trial").headers["set-cookie"].lower()


def test_secure_cookies_behind_a_trusted_proxy_only(make_client):
    behind, _ = make_client("proxy.sqlite", forwarded_allow_ips=("testclient",))
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    assert "secure" in behind.get("/api/trial", headers=forwarded).headers[
        "set-cookie"].lower()
    untrusted, _ = make_client("direct.sqlite", forwarded_allow_ips=("10.1.2.3",))
    assert "secure" not in untrusted.get("/api/trial", headers=forwarded).headers[
        "set-cookie"].lower()
    plain, _ = make_client("plain.sqlite")
    assert "secure" not in plain.get("/api/trial", headers=forwarded).headers[
        "set-cookie"].lower()


@pytest.mark.parametrize("build_default", [0, 1], ids=["OFF", "NORMAL"])
def test_the_storage_sets_synchronous_full_on_every_connection(make_client, monkeypatch,
                                                                build_default):
    """Every connection the storage opens runs with ``synchronous=FULL``, whatever the
    SQLite build's default: each new connection is first set to OFF or NORMAL (what other
    builds default to; this one defaults to FULL, so a plain check could not tell the
    storage's setting from the build's), then the storage sets its pragmas. Removing the
    storage's ``PRAGMA synchronous = FULL`` leaves these connections at OFF/NORMAL and
    fails this test.

    What this test and the ``kill -9`` test (``test_server_process``) can and cannot show:
    ``kill -9`` kills the process, not the machine; a commit the process has handed to the
    operating system survives it even with ``synchronous=OFF``, so that test shows only
    that an answer is committed before its 200 is sent. What FULL adds (an fsync of the
    WAL at every commit) protects against a power loss or an OS crash, which no test here
    simulates; this test shows the setting that gives that protection is in force on the
    connections the server's own transactions use."""
    opened = []
    connect = sqlite3.connect

    def connect_with_other_default(*args, **kwargs):
        connection = connect(*args, **kwargs)
        connection.execute(f"PRAGMA synchronous = {build_default:d}")
        opened.append(connection)
        return connection

    monkeypatch.setattr(sqlite3, "connect", connect_with_other_default)
    client, db = make_client()
    _answer_all(client)  # the server's own transactions ran on these connections
    assert client.app.state.storage is db and opened
    for connection in opened:
        assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.pragma("synchronous") == 2


def test_results_name_no_image(make_client):
    client, _ = make_client()
    _answer_all(client)
    text = client.get("/api/results", headers=ADMIN).text
    for answer in json.loads(text)["answers"]:
        assert set(answer) >= {"participant", "external_id", "index", "run", "truth",
                               "answer", "response_ms", "excluded"}
    assert "/img/" not in text
