"""The study database: schema and its version, WAL, transactions, exactly-once answers,
parameterised SQL, concurrent writers, and reading a study (``read_study``,
``results.turing_results``) without a server."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from colorization_tf.web import results, statistics, storage, study_config


def _participant_with_trial(db: storage.Storage, trial_id: str = "t" * 32) -> str:
    with db.write() as tx:
        study_id = tx.study_id('{"x": 1}')
        tx.add_participant("p" * 32, study_id, None, [])
        tx.add_trial(trial_id, "p" * 32, 0, False, False, 0, "run_a", ["i" * 32], "colorized")
    return trial_id


def test_schema_is_created_versioned_and_in_wal_mode(tmp_path):
    path = tmp_path / "study.sqlite"
    with storage.Storage(path):
        pass
    with sqlite3.connect(path) as raw:
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE "
                                                "type = 'table'")}
        assert {"studies", "images", "participants", "trials", "answers"} <= tables
        assert raw.execute("PRAGMA user_version").fetchone()[0] == storage.SCHEMA_VERSION
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with storage.Storage(path) as again, again.read() as tx:  # reopening keeps it
        assert tx.latest_study() is None


def test_a_newer_schema_or_a_foreign_file_is_refused(tmp_path):
    newer = tmp_path / "newer.sqlite"
    with sqlite3.connect(newer) as raw:
        raw.execute(f"PRAGMA user_version = {storage.SCHEMA_VERSION + 1}")
    with pytest.raises(storage.StorageError, match="newer"):
        storage.Storage(newer)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(storage.StorageError, match="not a usable SQLite database"):
        storage.Storage(junk)
    with pytest.raises(storage.StorageError, match="does not exist"):
        storage.Storage(tmp_path / "missing" / "study.sqlite")


def test_an_answer_is_stored_once(tmp_path):
    with storage.Storage(tmp_path / "s.sqlite") as db:
        trial_id = _participant_with_trial(db)
        with db.write() as tx:
            tx.add_answer(trial_id, "real", False)
        with pytest.raises(storage.AlreadyAnswered), db.write() as tx:
            tx.add_answer(trial_id, "colorized", True)
        with db.read() as tx:
            rows = tx.answered_trials(1)
    assert [(r["answer"], r["correct"]) for r in rows] == [("real", 0)]


def test_a_failed_write_is_rolled_back(tmp_path):
    with storage.Storage(tmp_path / "s.sqlite") as db:
        with pytest.raises(RuntimeError), db.write() as tx:
            tx.study_id('{"a": 1}')
            raise RuntimeError("boom")
        with db.read() as tx:
            assert tx.latest_study() is None


def test_values_are_parameters_not_sql(tmp_path):
    hostile = "x'); DROP TABLE answers; --"
    with storage.Storage(tmp_path / "s.sqlite") as db:
        with db.write() as tx:
            study_id = tx.study_id(hostile)
        with db.read() as tx:
            assert tx.study_config(study_id) == hostile
            assert tx.participant(study_id, hostile) is None
            assert tx.answered_trials(study_id) == []


def test_concurrent_writers_never_see_database_locked(tmp_path):
    """32 threads x 25 short write transactions, each on its own connection."""
    with storage.Storage(tmp_path / "s.sqlite") as db:
        with db.write() as tx:
            study_id = tx.study_id("{}")
        errors = []

        def work(worker: int) -> None:
            try:
                for i in range(25):
                    with db.write() as tx:
                        tx.add_participant(f"{worker:016x}{i:016x}", study_id, None, [])
            except Exception as err:  # noqa: BLE001 - collected for the assertion
                errors.append(err)

        threads = [threading.Thread(target=work, args=(w,)) for w in range(32)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with db.read() as tx:
            assert tx.method_counts(study_id) == {}
            assert tx._db.execute("SELECT COUNT(*) FROM participants").fetchone()[0] == 800


def test_turing_results_reads_a_database_without_a_server(tmp_path):
    path = tmp_path / "s.sqlite"
    config = study_config.StudyConfig(runs=("run_a", "run_b"), source="fake", images=4)
    with storage.Storage(path) as db:
        with db.write() as tx:
            study_id = tx.study_id(config.to_json())
            tx.add_participant("p" * 32, study_id, None, [])
            for i, (run, correct) in enumerate([("run_a", 1), ("run_a", 0), ("run_a", 0),
                                                (None, 1)]):
                trial = f"{i:032x}"
                tx.add_trial(trial, "p" * 32, i, False, False, i, run, ["i" * 32],
                             "colorized" if run else "real")
                tx.add_answer(trial, "colorized" if correct == (run is not None) else "real",
                              bool(correct))
    figures = results.turing_results(path)
    assert set(figures) == {"run_a", "run_b"}
    assert figures["run_a"]["shown"] == 3
    assert figures["run_a"]["accuracy"] == pytest.approx(1 / 3)
    assert figures["run_a"]["fooled_rate"] == pytest.approx(2 / 3)
    low, high = statistics.wilson_interval(1, 3)
    assert (figures["run_a"]["ci_low"], figures["run_a"]["ci_high"]) == (low, high)
    assert figures["run_b"] == {"shown": 0, "accuracy": None, "fooled_rate": None,
                                "ci_low": None, "ci_high": None}
    with pytest.raises(FileNotFoundError, match="--turing_db"):
        results.turing_results(tmp_path / "missing.sqlite")
    with storage.Storage(tmp_path / "empty.sqlite"):
        pass
    with pytest.raises(ValueError, match="no study"):
        results.turing_results(tmp_path / "empty.sqlite")


def test_read_study_picks_the_latest_study_or_the_one_asked_for(tmp_path):
    path = tmp_path / "s.sqlite"
    with storage.Storage(path) as db:
        with db.write() as tx:
            first = tx.study_id('{"study": 1}')
            tx.add_participant("p" * 32, first, None, [])
            tx.add_trial("t" * 32, "p" * 32, 0, False, False, 0, "run_a", ["i" * 32],
                         "colorized")
            tx.add_answer("t" * 32, "real", False)
        with db.write() as tx:
            second = tx.study_id('{"study": 2}')
    latest = storage.read_study(path)
    assert (latest.study_id, latest.config, latest.answers) == (second, '{"study": 2}', [])
    older = storage.read_study(path, first)
    assert older.config == '{"study": 1}'
    assert [(row["trial_id"], row["answer"]) for row in older.answers] == [("t" * 32, "real")]
    with pytest.raises(LookupError, match=f"no study with id {second + 1}"):
        storage.read_study(path, second + 1)
