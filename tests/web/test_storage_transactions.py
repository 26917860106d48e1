"""Every ``Transaction`` method on a real SQLite file: what each write stores (read back
through a separate plain ``sqlite3`` connection where it matters), the order and counts
each query returns, uniqueness, ``AlreadyAnswered``, rollbacks, the connection pool, the
pragmas each connection sets (WAL, ``synchronous=FULL``, foreign keys, busy timeout) and
the schema's migration from version 1 and refusal of a newer one."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import types

import pytest

from colorization_tf.web import schema, storage

P1, P2, P3 = "a" * 32, "b" * 32, "c" * 32


@pytest.fixture
def db(tmp_path):
    with storage.Storage(tmp_path / "study.sqlite") as opened:
        yield opened


def _raw(db: storage.Storage) -> sqlite3.Connection:
    """A plain connection of its own: reads only what was committed."""
    connection = sqlite3.connect(db.path)
    connection.row_factory = sqlite3.Row
    return connection


class _Clock:
    """The storage module's ``time.time``, set by hand (only that module sees it)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    found = _Clock()
    monkeypatch.setattr(storage, "time", types.SimpleNamespace(time=found))
    return found


# ---------------------------------------------------------------------- studies

def test_study_id_creates_a_study_once_per_config(db, clock):
    with db.write() as tx:
        first = tx.study_id('{"a": 1}')
        clock.now = 1001.5
        second = tx.study_id('{"b": 2}')
        assert tx.study_id('{"a": 1}') == first
    assert isinstance(first, int) and isinstance(second, int) and first != second
    with db.write() as tx:
        assert tx.study_id('{"b": 2}') == second
    rows = _raw(db).execute("SELECT id, config, created_at FROM studies ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [(first, '{"a": 1}', 1000.0),
                                        (second, '{"b": 2}', 1001.5)]


def test_latest_study_is_the_last_created_ties_broken_by_id(db, clock):
    with db.read() as tx:
        assert tx.latest_study() is None
    with db.write() as tx:
        clock.now = 50.0
        late = tx.study_id("late")
        clock.now = 10.0
        early = tx.study_id("early")  # a larger id, created earlier
    with db.read() as tx:
        assert tx.latest_study() == (late, "late")
        assert tx.study_config(early) == "early"
        assert tx.study_config(late) == "late"
        assert tx.study_config(late + early + 10) is None
    with db.write() as tx:
        clock.now = 50.0
        tied = tx.study_id("tied")  # the same time as "late", a larger id
    with db.read() as tx:
        found = tx.latest_study()
    assert found == (tied, "tied")
    assert type(found[0]) is int and type(found[1]) is str


# ---------------------------------------------------------------------- images

def test_images_are_stored_and_listed_in_source_kind_run_order(db, clock):
    clock.now = 77.0
    with db.write() as tx:
        tx.add_images("set_a", [("i3", 1, "original", "", "a/1.png"),
                                ("i2", 0, "colorized", "run_b", "b/0.png"),
                                ("i1", 0, "colorized", "run_a", "a/0.png"),
                                ("i0", 0, "attention", "", "t/0.png")])
        tx.add_images("set_b", [("j0", 0, "original", "", "x/0.png")])
        tx.add_images("set_a", [])
    with db.read() as tx:
        rows = tx.images("set_a")
        assert tx.images("nothing") == []
    assert [tuple(r) for r in rows] == [("i0", 0, "attention", "", "t/0.png"),
                                        ("i1", 0, "colorized", "run_a", "a/0.png"),
                                        ("i2", 0, "colorized", "run_b", "b/0.png"),
                                        ("i3", 1, "original", "", "a/1.png")]
    assert rows[0].keys() == ["id", "source_index", "kind", "run", "file"]
    raw = _raw(db).execute("SELECT id, source, source_index, kind, run, file, created_at "
                           "FROM images WHERE id = 'j0'").fetchone()
    assert tuple(raw) == ("j0", "set_b", 0, "original", "", "x/0.png", 77.0)


def test_an_image_is_registered_once(db):
    with db.write() as tx:
        tx.add_images("s", [("i1", 0, "original", "", "f.png")])
    with pytest.raises(sqlite3.IntegrityError), db.write() as tx:
        tx.add_images("s", [("i2", 0, "original", "", "g.png")])  # same source/index/kind/run
    with db.read() as tx:
        assert [r["id"] for r in tx.images("s")] == ["i1"]


# ---------------------------------------------------------------------- participants

def _study(db, config="{}") -> int:
    with db.write() as tx:
        return tx.study_id(config)


def test_add_participant_stores_every_field(db, clock):
    study = _study(db)
    clock.now = 12.25
    plan = ({"kind": "practice"}, {"kind": "test", "run": "run_a"})
    with db.write() as tx:
        tx.add_participant(P1, study, "run_a", plan, pseudonym="nick",
                           external_id="worker-7", external={"platform": "prolific",
                                                             "session": "s9"})
        tx.add_participant(P2, study, None, [])
    rows = {r["id"]: r for r in _raw(db).execute(
        "SELECT id, study_id, method, plan, created_at, pseudonym, external_id, external "
        "FROM participants")}
    first = rows[P1]
    assert (first["study_id"], first["method"], first["created_at"]) == (study, "run_a", 12.25)
    assert json.loads(first["plan"]) == [{"kind": "practice"}, {"kind": "test", "run": "run_a"}]
    assert (first["pseudonym"], first["external_id"]) == ("nick", "worker-7")
    assert json.loads(first["external"]) == {"platform": "prolific", "session": "s9"}
    second = rows[P2]
    assert second["method"] is None and json.loads(second["plan"]) == []
    assert second["external_id"] is None
    assert second["external"] is None  # SQL NULL, not the JSON "null"
    # no pseudonym given: a random one of 8 bytes in hex, as the migration makes them
    assert re.fullmatch("[0-9a-f]{16}", second["pseudonym"])


def test_random_pseudonyms_differ(db):
    study = _study(db)
    with db.write() as tx:
        for i in range(20):
            tx.add_participant(f"{i:032x}", study, None, [])
    pseudonyms = [r[0] for r in _raw(db).execute("SELECT pseudonym FROM participants")]
    assert len(pseudonyms) == 20 and len(set(pseudonyms)) == 20
    assert all(re.fullmatch("[0-9a-f]{16}", p) for p in pseudonyms)


def test_participant_lookups_stay_inside_their_study(db):
    study, other = _study(db, "one"), _study(db, "two")
    with db.write() as tx:
        tx.add_participant(P1, study, "run_a", [{"x": 1}], external_id="ext-1")
        tx.add_participant(P2, other, None, [], external_id="ext-1")  # same id, other study
    with db.read() as tx:
        found = tx.participant(study, P1)
        assert dict(found) == {"id": P1, "method": "run_a", "plan": '[{"x": 1}]',
                               "external_id": "ext-1"}
        assert tx.participant(other, P1) is None
        assert tx.participant(study, P3) is None
        assert dict(tx.participant_by_external(study, "ext-1")) == dict(found)
        assert tx.participant_by_external(other, "ext-1")["id"] == P2
        assert tx.participant_by_external(study, "ext-2") is None
        assert list(tx.participant_by_external(other, "ext-1").keys()) == [
            "id", "method", "plan", "external_id"]


def test_an_external_id_takes_part_once_per_study(db):
    study = _study(db)
    with db.write() as tx:
        tx.add_participant(P1, study, None, [], external_id="w1")
    with pytest.raises(sqlite3.IntegrityError), db.write() as tx:
        tx.add_participant(P2, study, None, [], external_id="w1")
    with db.read() as tx:
        assert tx.participant_count(study) == 1
        assert tx.participant(study, P2) is None


def test_participant_and_method_counts(db):
    study, other = _study(db, "one"), _study(db, "two")
    methods = ["run_a", "run_b", "run_a", None, "run_a", None]
    with db.write() as tx:
        assert tx.participant_count(study) == 0
        assert tx.method_counts(study) == {}
        for i, method in enumerate(methods):
            tx.add_participant(f"{i:032x}", study, method, [])
        tx.add_participant(P1, other, "run_b", [])
    with db.read() as tx:
        assert tx.participant_count(study) == 6
        assert tx.participant_count(other) == 1
        assert tx.method_counts(study) == {"run_a": 3, "run_b": 1}  # NULL methods not counted
        assert tx.method_counts(other) == {"run_b": 1}
        assert all(type(k) is str and type(v) is int for k, v in tx.method_counts(study).items())


def test_a_participant_needs_an_existing_study(db):
    """Foreign keys are enforced on every connection."""
    with pytest.raises(sqlite3.IntegrityError), db.write() as tx:
        tx.add_participant(P1, 12345, None, [])


# ---------------------------------------------------------------------- secrets

def test_a_secret_is_stored_once(db, clock):
    clock.now = 5.0
    with db.write() as tx:
        assert tx.secret("admin_token") is None
        tx.set_secret("admin_token", "s3cret")
        tx.set_secret("other", "value")
    with db.read() as tx:
        assert tx.secret("admin_token") == "s3cret"
        assert tx.secret("other") == "value"
        assert tx.secret("missing") is None
    with pytest.raises(sqlite3.IntegrityError), db.write() as tx:
        tx.set_secret("admin_token", "changed")
    with db.read() as tx:
        assert tx.secret("admin_token") == "s3cret"
    assert tuple(_raw(db).execute("SELECT name, value, created_at FROM secrets WHERE name = "
                                  "'admin_token'").fetchone()) == ("admin_token", "s3cret", 5.0)


# ---------------------------------------------------------------------- trials

def _participants(db) -> int:
    study = _study(db)
    with db.write() as tx:
        tx.add_participant(P1, study, None, [])
        tx.add_participant(P2, study, None, [])
    return study


def test_add_trial_stores_what_was_shown(db, clock):
    _participants(db)
    clock.now = 321.0
    with db.write() as tx:
        tx.add_trial("t1", P1, 3, True, False, 17, "run_a", ("x1", "x2"), "colorized")
        tx.add_trial("t2", P1, 4, False, True, 18, None, ["x3"], "real")
    with db.read() as tx:
        first, second = tx.trial("t1"), tx.trial("t2")
        assert tx.trial("t3") is None
    assert dict(first) == {"id": "t1", "participant_id": P1, "position": 3, "practice": 1,
                           "attention": 0, "source_index": 17, "run": "run_a",
                           "images": '["x1", "x2"]', "truth": "colorized", "created_at": 321.0}
    assert (second["practice"], second["attention"], second["run"]) == (0, 1, None)
    assert json.loads(second["images"]) == ["x3"]
    assert type(first["practice"]) is int


def test_a_position_is_drawn_once_per_participant(db):
    _participants(db)
    with db.write() as tx:
        tx.add_trial("t1", P1, 0, False, False, 0, "run_a", [], "colorized")
        tx.add_trial("t2", P2, 0, False, False, 0, "run_a", [], "colorized")
    with pytest.raises(sqlite3.IntegrityError), db.write() as tx:
        tx.add_trial("t3", P1, 0, False, False, 1, "run_a", [], "colorized")
    with db.read() as tx:
        assert tx.trial_count(P1) == 1


def test_open_trial_is_the_first_unanswered_by_position(db):
    _participants(db)
    with db.write() as tx:
        assert tx.open_trial(P1) is None
        for trial, position in (("t_c", 2), ("t_a", 0), ("t_b", 1)):
            tx.add_trial(trial, P1, position, False, False, position, "run_a", [], "real")
        tx.add_trial("t_other", P2, 0, False, False, 0, "run_a", [], "real")
    with db.read() as tx:
        assert tx.open_trial(P1)["id"] == "t_a"
        assert tx.open_trial(P3) is None
    with db.write() as tx:
        tx.add_answer("t_a", "real", True)
    with db.read() as tx:
        found = tx.open_trial(P1)
        assert found["id"] == "t_b"
        assert dict(found) == dict(tx.trial("t_b"))
        assert tx.open_trial(P2)["id"] == "t_other"
    with db.write() as tx:
        tx.add_answer("t_b", "real", True)
        tx.add_answer("t_c", "real", True)
    with db.read() as tx:
        assert tx.open_trial(P1) is None
        assert tx.open_trial(P2)["id"] == "t_other"


def test_trial_count_and_used_sources(db):
    _participants(db)
    with db.write() as tx:
        assert tx.trial_count(P1) == 0
        assert tx.used_sources(P1) == {}
        for position, source in enumerate([5, 2, 5, 5, 9]):
            tx.add_trial(f"t{position}", P1, position, False, False, source, None, [], "real")
        tx.add_trial("u0", P2, 0, False, False, 2, None, [], "real")
    with db.read() as tx:
        assert tx.trial_count(P1) == 5
        assert tx.trial_count(P2) == 1
        assert tx.trial_count(P3) == 0
        assert tx.used_sources(P1) == {5: 3, 2: 1, 9: 1}
        assert tx.used_sources(P2) == {2: 1}
        assert all(type(k) is int and type(v) is int for k, v in tx.used_sources(P1).items())


# ---------------------------------------------------------------------- answers

def test_add_answer_stores_the_answer_and_its_response_time(db, clock):
    _participants(db)
    with db.write() as tx:
        tx.add_trial("t1", P1, 0, False, False, 0, "run_a", [], "colorized")
        tx.add_trial("t2", P1, 1, False, False, 1, "run_a", [], "colorized")
    clock.now = 900.0
    with db.write() as tx:
        tx.add_answer("t1", "colorized", True, response_ms=1234)
        tx.add_answer("t2", "real", False)
    rows = {r["trial_id"]: tuple(r) for r in _raw(db).execute(
        "SELECT trial_id, answer, correct, answered_at, response_ms FROM answers")}
    assert rows == {"t1": ("t1", "colorized", 1, 900.0, 1234.0),
                    "t2": ("t2", "real", 0, 900.0, None)}
    assert type(rows["t1"][4]) is float


def test_a_second_answer_raises_already_answered_and_keeps_the_first(db):
    _participants(db)
    with db.write() as tx:
        tx.add_trial("t1", P1, 0, False, False, 0, "run_a", [], "colorized")
        tx.add_answer("t1", "real", False, 10.0)
    with pytest.raises(storage.AlreadyAnswered) as raised, db.write() as tx:
        tx.add_answer("t1", "colorized", True, 20.0)
    assert raised.value.args == ("t1",)
    assert isinstance(raised.value.__cause__, sqlite3.IntegrityError)
    rows = [tuple(r) for r in _raw(db).execute("SELECT answer, correct, response_ms FROM answers")]
    assert rows == [("real", 0, 10.0)]


def test_an_answer_to_no_trial_is_an_integrity_error_not_already_answered(db):
    _participants(db)
    with pytest.raises(sqlite3.IntegrityError) as raised, db.write() as tx:
        tx.add_answer("no-such-trial", "real", True)
    assert not isinstance(raised.value, storage.AlreadyAnswered)
    assert _raw(db).execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 0


def test_answered_trials_join_answer_trial_and_participant_in_answering_order(db, clock):
    study, other = _study(db, "one"), _study(db, "two")
    with db.write() as tx:
        tx.add_participant(P1, study, None, [], pseudonym="ps1", external_id="w1",
                           external={"k": "v"})
        tx.add_participant(P2, study, None, [], pseudonym="ps2")
        tx.add_participant(P3, other, None, [], pseudonym="ps3")
        clock.now = 100.0
        tx.add_trial("t_b", P1, 0, True, False, 4, "run_a", ["i"], "colorized")
        clock.now = 101.0
        tx.add_trial("t_a", P2, 0, False, True, 5, None, ["j"], "real")
        tx.add_trial("t_c", P1, 1, False, False, 6, "run_b", ["k"], "colorized")
        tx.add_trial("t_x", P3, 0, False, False, 7, "run_a", ["l"], "colorized")
        tx.add_trial("t_open", P2, 1, False, False, 8, "run_a", ["m"], "colorized")
        clock.now = 200.0
        tx.add_answer("t_c", "real", False, 42.5)
        clock.now = 150.0
        tx.add_answer("t_b", "colorized", True)
        tx.add_answer("t_a", "real", True, 7)  # same time as t_b: ordered by trial id
        tx.add_answer("t_x", "real", False)
    with db.read() as tx:
        rows = tx.answered_trials(study)
        assert [r["trial_id"] for r in tx.answered_trials(other)] == ["t_x"]
        assert tx.answered_trials(other + study + 1) == []
    assert [r["trial_id"] for r in rows] == ["t_a", "t_b", "t_c"]
    assert rows[1] == {"trial_id": "t_b", "participant": P1, "pseudonym": "ps1",
                       "external_id": "w1", "external": '{"k": "v"}', "position": 0,
                       "practice": 1, "attention": 0, "run": "run_a", "truth": "colorized",
                       "answer": "colorized", "correct": 1, "answered_at": 150.0,
                       "response_ms": None, "drawn_at": 100.0}
    assert list(rows[0]) == ["trial_id", "participant", "pseudonym", "external_id",
                             "external", "position", "practice", "attention", "run", "truth",
                             "answer", "correct", "answered_at", "response_ms", "drawn_at"]
    assert (rows[0]["participant"], rows[0]["pseudonym"], rows[0]["external_id"],
            rows[0]["external"]) == (P2, "ps2", None, None)
    assert (rows[0]["practice"], rows[0]["attention"], rows[0]["run"],
            rows[0]["response_ms"], rows[0]["drawn_at"]) == (0, 1, None, 7.0, 101.0)
    assert (rows[2]["answer"], rows[2]["correct"], rows[2]["answered_at"],
            rows[2]["response_ms"], rows[2]["position"]) == ("real", 0, 200.0, 42.5, 1)


# ---------------------------------------------------------------------- transactions

def test_a_write_commits_and_a_failing_one_rolls_back_every_statement(db):
    with db.write() as tx:
        study = tx.study_id("kept")
    with pytest.raises(KeyError), db.write() as tx:
        tx.add_participant(P1, study, None, [])
        tx.set_secret("name", "value")
        raise KeyError("boom")
    raw = _raw(db)
    assert raw.execute("SELECT COUNT(*) FROM participants").fetchone()[0] == 0
    assert raw.execute("SELECT COUNT(*) FROM secrets").fetchone()[0] == 0
    assert [r[0] for r in raw.execute("SELECT config FROM studies")] == ["kept"]
    with db.write() as tx:  # the pooled connection is usable again
        tx.add_participant(P1, study, None, [])
    assert raw.execute("SELECT COUNT(*) FROM participants").fetchone()[0] == 1


def test_a_write_interrupted_by_a_base_exception_is_rolled_back(db):
    with pytest.raises(KeyboardInterrupt), db.write() as tx:
        tx.study_id("interrupted")
        raise KeyboardInterrupt
    with db.read() as tx:
        assert tx.latest_study() is None
        assert not tx._db.execute("SELECT COUNT(*) FROM studies").fetchone()[0]


def test_a_write_is_visible_to_other_connections_once_committed(db):
    with db.write() as tx:
        tx.study_id("x")
        assert _raw(db).execute("SELECT COUNT(*) FROM studies").fetchone()[0] == 0
    assert _raw(db).execute("SELECT COUNT(*) FROM studies").fetchone()[0] == 1


def test_a_write_holds_the_write_lock_from_its_start(tmp_path):
    """BEGIN IMMEDIATE: a second writer waits for the first (here: gives up after 50 ms)
    even before the first has written anything."""
    with storage.Storage(tmp_path / "s.sqlite", busy_timeout_ms=50) as db:
        assert db.pragma("busy_timeout") == 50
        with db.write():
            other = sqlite3.connect(db.path, timeout=0.05, isolation_level=None)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            other.close()
        with db.write() as tx:  # released at the end of the block
            tx.study_id("after")


def test_a_read_is_one_snapshot(db):
    with db.write() as tx:
        tx.study_id("first")
    with db.read() as tx:
        assert tx.latest_study()[1] == "first"
        with db.write() as writer:  # another pooled connection, committed
            writer.study_id("second")
        assert tx.latest_study()[1] == "first"
        assert tx._db.in_transaction
    with db.read() as tx:
        assert tx.latest_study()[1] == "second"


def test_a_read_ends_its_transaction_when_the_block_raises(db):
    with pytest.raises(LookupError), db.read() as tx:
        connection = tx._db
        raise LookupError
    assert not connection.in_transaction
    with db.write() as tx:
        assert tx._db is connection  # back in the pool, reused
        tx.study_id("x")


def test_connections_are_pooled_and_used_from_other_threads(db):
    with db.read() as tx:
        first = tx._db
    with db.write() as tx:
        assert tx._db is first  # the idle connection is reused
        with db.read() as inner:
            assert inner._db is not first  # busy: a new one
    errors = []

    def work() -> None:
        try:
            with db.write() as tx:  # connections made on the main thread
                tx.study_id("from a thread")
        except Exception as err:  # noqa: BLE001 - collected for the assertion
            errors.append(err)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert errors == []
    with db.read() as tx:
        assert tx.latest_study()[1] == "from a thread"


def test_close_closes_every_pooled_connection(tmp_path):
    db = storage.Storage(tmp_path / "s.sqlite")
    with db.read() as outer, db.read() as inner:
        connections = [outer._db, inner._db]
    db.close()
    for connection in connections:
        with pytest.raises(sqlite3.ProgrammingError):
            connection.execute("SELECT 1")
    with pytest.raises(storage.StorageError, match="storage is closed"):
        with db.read():
            pass
    with pytest.raises(storage.StorageError, match="storage is closed"):
        db.pragma("synchronous")


def test_the_context_manager_closes_the_storage(tmp_path):
    with storage.Storage(tmp_path / "s.sqlite") as db:
        with db.read() as tx:
            connection = tx._db
    with pytest.raises(sqlite3.ProgrammingError):
        connection.execute("SELECT 1")
    with pytest.raises(storage.StorageError, match="closed"):
        with db.write():
            pass


# ---------------------------------------------------------------------- pragmas

def test_every_connection_is_durable_wal_with_foreign_keys(db):
    # synchronous FULL is 2, foreign_keys ON is 1 (sqlite.org/pragma.html)
    assert db.pragma("synchronous") == 2
    assert db.pragma("journal_mode") == "wal"
    assert db.pragma("foreign_keys") == 1
    assert db.pragma("busy_timeout") == 30_000  # 30 s, the module's documented default
    with db.read() as outer, db.read() as inner:  # a second pooled connection
        for tx in (outer, inner):
            assert tx._db.execute("PRAGMA synchronous").fetchone()[0] == 2
            assert tx._db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
            assert tx._db.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
            assert tx._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert _raw(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # on the file


def test_the_busy_timeout_is_the_one_asked_for(tmp_path):
    with storage.Storage(tmp_path / "s.sqlite", busy_timeout_ms=1234.9) as db:
        assert db.pragma("busy_timeout") == 1234
        with db.read() as tx, db.read() as other:
            assert other._db.execute("PRAGMA busy_timeout").fetchone()[0] == 1234
            assert tx._db is not other._db


def test_only_known_pragmas_are_read(db):
    for name in ("user_version", "synchronous; DROP TABLE answers", "SYNCHRONOUS", ""):
        with pytest.raises(ValueError, match="unknown pragma"):
            db.pragma(name)


def test_a_database_that_cannot_use_wal_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(storage.StorageError, match=r"cannot use WAL mode here \(got memory\)"
                       r"; put the database on a local disk"):
        storage.Storage(":memory:")


# ---------------------------------------------------------------------- schema

def _columns(connection: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]


def test_a_new_database_gets_every_migration(tmp_path):
    path = tmp_path / "s.sqlite"
    storage.Storage(path).close()
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION == 2
    tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"studies", "images", "participants", "trials", "answers", "secrets"}
    assert _columns(raw, "participants") == ["id", "study_id", "method", "plan", "created_at",
                                             "pseudonym", "external_id", "external"]
    assert _columns(raw, "answers") == ["trial_id", "answer", "correct", "answered_at",
                                        "response_ms"]


def test_a_version_1_database_is_migrated_keeping_its_rows(tmp_path):
    path = tmp_path / "v1.sqlite"
    raw = sqlite3.connect(path, isolation_level=None)
    for statement in schema.MIGRATIONS[1]:
        raw.execute(statement)
    raw.execute("INSERT INTO studies (id, config, created_at) VALUES (1, '{}', 0)")
    for participant in (P1, P2):
        raw.execute("INSERT INTO participants (id, study_id, method, plan, created_at) "
                    "VALUES (?, 1, NULL, '[]', 0)", (participant,))
    raw.execute("PRAGMA user_version = 1")
    raw.close()
    with storage.Storage(path) as db, db.write() as tx:
        assert tx.participant_count(1) == 2
        tx.set_secret("token", "t")  # the version-2 table exists
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 2
    pseudonyms = [r[0] for r in raw.execute("SELECT pseudonym FROM participants")]
    assert len(set(pseudonyms)) == 2 and all(re.fullmatch("[0-9a-f]{16}", p)
                                             for p in pseudonyms)
    assert "response_ms" in _columns(raw, "answers")


def test_a_failing_migration_is_rolled_back_whole(tmp_path):
    path = tmp_path / "v1.sqlite"
    raw = sqlite3.connect(path, isolation_level=None)
    for statement in schema.MIGRATIONS[1]:
        raw.execute(statement)
    raw.execute("CREATE TABLE secrets (x)")  # version 2's last statement will fail
    raw.execute("PRAGMA user_version = 1")
    raw.close()
    with pytest.raises(sqlite3.OperationalError, match="secrets already exists"):
        storage.Storage(path)
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 1
    assert "pseudonym" not in _columns(raw, "participants")  # the ALTERs were undone


def test_a_newer_schema_is_refused_and_left_unchanged(tmp_path):
    path = tmp_path / "newer.sqlite"
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("CREATE TABLE mine (x)")
    raw.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(storage.StorageError,
                       match=f"schema version {schema.SCHEMA_VERSION + 1} is newer"):
        storage.Storage(path)
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION + 1
    tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"mine"}
    raw.execute("BEGIN IMMEDIATE")  # no transaction of the refused storage holds the lock
    raw.execute("COMMIT")


def test_a_database_migrated_by_another_process_meanwhile_is_left_as_is(tmp_path,
                                                                        monkeypatch):
    """The version read before taking the write lock may be stale: another process may
    have migrated the file in between; the version read under the lock decides."""
    path = tmp_path / "s.sqlite"
    with storage.Storage(path) as db, db.write() as tx:
        study = tx.study_id("kept")
    real = storage._user_version
    calls = []

    def stale_first(connection):
        calls.append(1)
        return 0 if len(calls) == 1 else real(connection)

    monkeypatch.setattr(storage, "_user_version", stale_first)
    with storage.Storage(path) as db, db.read() as tx:
        assert tx.study_config(study) == "kept"
    assert len(calls) == 2
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 2


def test_an_unreadable_schema_version_is_a_storage_error(tmp_path):
    """sqlite3's DatabaseError (here: reading from a closed connection, a
    ProgrammingError) while reading the schema version becomes a StorageError."""
    connection = sqlite3.connect(tmp_path / "s.sqlite")
    connection.close()
    with pytest.raises(storage.StorageError,
                       match=r"^not a usable SQLite database \(Cannot operate on a closed"):
        storage._user_version(connection)


# ---------------------------------------------------------------------- read_study

def test_read_study_of_an_empty_database_names_no_id(tmp_path):
    path = tmp_path / "s.sqlite"
    storage.Storage(path).close()
    with pytest.raises(LookupError) as raised:
        storage.read_study(path)
    assert str(raised.value) == f"{path}: the database holds no study"
    with pytest.raises(LookupError) as raised:
        storage.read_study(path, 3)
    assert str(raised.value) == f"{path}: the database holds no study with id 3"
    with pytest.raises(FileNotFoundError, match="no such file"):
        storage.read_study(tmp_path / "missing.sqlite")


def test_read_study_returns_config_id_and_answers(tmp_path, clock):
    path = tmp_path / "s.sqlite"
    with storage.Storage(path) as db, db.write() as tx:
        study = tx.study_id('{"s": 1}')
        tx.add_participant(P1, study, None, [])
        tx.add_trial("t1", P1, 0, False, False, 0, "run_a", [], "colorized")
        tx.add_answer("t1", "real", False)
        clock.now = 2000.0
        newer = tx.study_id('{"s": 2}')
    found = storage.read_study(path, study)
    assert (found.study_id, found.config) == (study, '{"s": 1}')
    assert type(found.study_id) is int
    assert [a["trial_id"] for a in found.answers] == ["t1"]
    latest = storage.read_study(path)
    assert (latest.study_id, latest.config, latest.answers) == (newer, '{"s": 2}', [])
