"""The study database: SQLite (stdlib ``sqlite3``) in WAL mode, one file a lab can archive.

Why it is built this way:
- WAL lets readers (results page) run while one writer commits; ``synchronous=FULL``
  makes every commit durable, so an answer acknowledged with 200 survives ``kill -9``
  (and a power cut) of the server.
- Every write is one short ``BEGIN IMMEDIATE`` transaction: the write lock is taken at
  the start, so two writers never deadlock upgrading a read lock, and ``busy_timeout``
  makes a writer wait for the lock instead of failing with "database is locked".
- Connections come from a small pool (one per concurrently working thread), never shared
  by two threads at once.
- The schema (``schema``) is versioned with ``PRAGMA user_version``: created on first
  start, migrated forward step by step, refused when it is newer than this code.
- All SQL is parameterised; the only formatted statements set ``user_version`` from the
  integer constant ``SCHEMA_VERSION`` and the busy timeout from an int.

``read_study(path)`` reads a finished study's answers without starting a server
(``results.turing_results``, for ``evaluate --turing_db``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import queue
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from colorization_tf.web.schema import MIGRATIONS, SCHEMA_VERSION

BUSY_TIMEOUT_MS = 30_000


class StorageError(ValueError):
    """The database file cannot be used (not SQLite, newer schema, no WAL)."""


class AlreadyAnswered(Exception):
    """A second answer to a trial (the first one stays)."""


class Transaction:
    """The queries of one transaction; every method runs on the same connection."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    # ------------------------------------------------------------------ studies

    def study_id(self, config: str) -> int:
        """The id of the study with this (canonical JSON) config, created when new."""
        row = self._db.execute("SELECT id FROM studies WHERE config = ?", (config,)).fetchone()
        if row is not None:
            return int(row[0])
        cursor = self._db.execute("INSERT INTO studies (config, created_at) VALUES (?, ?)",
                                  (config, time.time()))
        return int(cursor.lastrowid)

    def latest_study(self) -> tuple[int, str] | None:
        """``(id, config)`` of the most recently created study, or None."""
        row = self._db.execute(
            "SELECT id, config FROM studies ORDER BY created_at DESC, id DESC LIMIT 1").fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def study_config(self, study_id: int) -> str | None:
        """The config JSON of study ``study_id``, or None."""
        row = self._db.execute("SELECT config FROM studies WHERE id = ?",
                               (study_id,)).fetchone()
        return None if row is None else str(row[0])

    # ------------------------------------------------------------------ images

    def images(self, source: str) -> list[sqlite3.Row]:
        """Every registered image of ``source``: id, source_index, kind, run, file."""
        return self._db.execute(
            "SELECT id, source_index, kind, run, file FROM images WHERE source = ? "
            "ORDER BY source_index, kind, run", (source,)).fetchall()

    def add_images(self, source: str, rows: Iterable[tuple[str, int, str, str, str]]) -> None:
        """Registers ``(id, source_index, kind, run, file)`` rows of ``source``."""
        now = time.time()
        self._db.executemany(
            "INSERT INTO images (id, source, source_index, kind, run, file, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(i, source, index, kind, run, file, now) for i, index, kind, run, file in rows])

    # ------------------------------------------------------------------ participants

    def participant(self, study_id: int, participant_id: str) -> sqlite3.Row | None:
        """The participant (id, method, plan, external_id) if it belongs to this study."""
        return self._db.execute(
            "SELECT id, method, plan, external_id FROM participants WHERE id = ? AND "
            "study_id = ?", (participant_id, study_id)).fetchone()

    def participant_by_external(self, study_id: int, external_id: str) -> sqlite3.Row | None:
        """The participant of this study with this crowd-platform id, if any."""
        return self._db.execute(
            "SELECT id, method, plan, external_id FROM participants WHERE study_id = ? AND "
            "external_id = ?", (study_id, external_id)).fetchone()

    def participant_count(self, study_id: int) -> int:
        """How many participants the study has (started sessions)."""
        return int(self._db.execute("SELECT COUNT(*) FROM participants WHERE study_id = ?",
                                    (study_id,)).fetchone()[0])

    def method_counts(self, study_id: int) -> dict[str, int]:
        """How many participants of the study were given each method (pair mode)."""
        rows = self._db.execute(
            "SELECT method, COUNT(*) FROM participants WHERE study_id = ? AND method IS NOT NULL "
            "GROUP BY method", (study_id,)).fetchall()
        return {str(method): int(count) for method, count in rows}

    def add_participant(self, participant_id: str, study_id: int, method: str | None,
                        plan: Sequence[dict], pseudonym: str | None = None,
                        external_id: str | None = None,
                        external: dict[str, str] | None = None) -> None:
        """Registers a participant with their method (pair mode), trial plan, the opaque
        ``pseudonym`` results show (random when None) and crowd-platform ids. Raises
        ``sqlite3.IntegrityError`` when ``external_id`` already takes part."""
        self._db.execute(
            "INSERT INTO participants (id, study_id, method, plan, created_at, pseudonym, "
            "external_id, external) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (participant_id, study_id, method, json.dumps(list(plan)), time.time(),
             pseudonym or secrets.token_hex(8), external_id,
             json.dumps(external) if external else None))

    # ------------------------------------------------------------------ secrets

    def secret(self, name: str) -> str | None:
        """A stored server secret (e.g. the generated admin token), or None."""
        row = self._db.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def set_secret(self, name: str, value: str) -> None:
        """Stores a server secret once (a second call for the same name is an error)."""
        self._db.execute("INSERT INTO secrets (name, value, created_at) VALUES (?, ?, ?)",
                         (name, value, time.time()))

    # ------------------------------------------------------------------ trials

    def open_trial(self, participant_id: str) -> sqlite3.Row | None:
        """The participant's drawn but unanswered trial, if any."""
        return self._db.execute(
            "SELECT t.* FROM trials t LEFT JOIN answers a ON a.trial_id = t.id "
            "WHERE t.participant_id = ? AND a.trial_id IS NULL "
            "ORDER BY t.position LIMIT 1", (participant_id,)).fetchone()

    def trial_count(self, participant_id: str) -> int:
        """How many trials the participant has drawn."""
        return int(self._db.execute("SELECT COUNT(*) FROM trials WHERE participant_id = ?",
                                    (participant_id,)).fetchone()[0])

    def used_sources(self, participant_id: str) -> dict[int, int]:
        """How often each source image has been drawn for the participant."""
        rows = self._db.execute(
            "SELECT source_index, COUNT(*) FROM trials WHERE participant_id = ? "
            "GROUP BY source_index", (participant_id,)).fetchall()
        return {int(index): int(count) for index, count in rows}

    def add_trial(self, trial_id: str, participant_id: str, position: int, practice: bool,
                  attention: bool, source_index: int, run: str | None, images: Sequence[str],
                  truth: str) -> None:
        """Stores a drawn trial: what is shown (image ids, in order) and the right answer."""
        self._db.execute(
            "INSERT INTO trials (id, participant_id, position, practice, attention, "
            "source_index, run, images, truth, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (trial_id, participant_id, position, int(practice), int(attention), source_index,
             run, json.dumps(list(images)), truth, time.time()))

    def trial(self, trial_id: str) -> sqlite3.Row | None:
        """The trial with this id, whoever drew it."""
        return self._db.execute("SELECT * FROM trials WHERE id = ?", (trial_id,)).fetchone()

    # ------------------------------------------------------------------ answers

    def add_answer(self, trial_id: str, answer: str, correct: bool,
                   response_ms: float | None = None) -> None:
        """Stores the answer to a trial and its response time (ms); raises
        ``AlreadyAnswered`` for a second one."""
        try:
            self._db.execute(
                "INSERT INTO answers (trial_id, answer, correct, answered_at, response_ms) "
                "VALUES (?, ?, ?, ?, ?)",
                (trial_id, answer, int(correct), time.time(),
                 None if response_ms is None else float(response_ms)))
        except sqlite3.IntegrityError as err:
            if self._db.execute("SELECT 1 FROM answers WHERE trial_id = ?",
                                (trial_id,)).fetchone():
                raise AlreadyAnswered(trial_id) from err
            raise

    def answered_trials(self, study_id: int) -> list[dict[str, Any]]:
        """Every answered trial of the study with its answer, in answering order;
        ``participant`` is the internal id (never shown), ``pseudonym`` what results show."""
        rows = self._db.execute(
            "SELECT t.id AS trial_id, t.participant_id AS participant, p.pseudonym, "
            "p.external_id, p.external, t.position, t.practice, t.attention, t.run, t.truth, "
            "a.answer, a.correct, a.answered_at, a.response_ms, t.created_at AS drawn_at "
            "FROM answers a JOIN trials t ON t.id = a.trial_id "
            "JOIN participants p ON p.id = t.participant_id "
            "WHERE p.study_id = ? ORDER BY a.answered_at, t.id", (study_id,)).fetchall()
        return [dict(row) for row in rows]


class Storage:
    """A study database file; thread-safe (each transaction takes a pooled connection)."""

    def __init__(self, path: str | os.PathLike, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.path = os.fspath(path)
        self._busy_timeout_ms = int(busy_timeout_ms)
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(directory):
            raise StorageError(f"{self.path}: folder {directory} does not exist")
        connection = self._connect()
        try:
            self._migrate(connection)
        finally:
            self._idle.put(connection)

    # ------------------------------------------------------------------ transactions

    @contextlib.contextmanager
    def write(self) -> Iterator[Transaction]:
        """A write transaction (``BEGIN IMMEDIATE``): committed when the block ends, rolled
        back when it raises. Keep it short: it holds the database's write lock."""
        with self._connection() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(connection)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    @contextlib.contextmanager
    def read(self) -> Iterator[Transaction]:
        """A read transaction: one consistent snapshot, never blocking writers (WAL)."""
        with self._connection() as connection:
            connection.execute("BEGIN")
            try:
                yield Transaction(connection)
            finally:
                connection.execute("COMMIT")

    def pragma(self, name: str) -> Any:
        """The value of ``PRAGMA name`` on a pooled connection (what the server's own
        transactions see); ``name`` is one of a fixed set."""
        if name not in ("synchronous", "journal_mode", "busy_timeout", "foreign_keys"):
            raise ValueError(f"unknown pragma {name!r}")
        with self._connection() as connection:
            return connection.execute(f"PRAGMA {name}").fetchone()[0]

    def close(self) -> None:
        """Closes every pooled connection (after the server has stopped)."""
        with self._lock:
            self._closed = True
            connections, self._all = self._all, []
        for connection in connections:
            connection.close()

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ connections

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if self._closed:
            raise StorageError(f"{self.path}: storage is closed")
        try:
            connection = self._idle.get_nowait()
        except queue.Empty:
            connection = self._connect()
        try:
            yield connection
        finally:
            if connection.in_transaction:  # only after an error inside COMMIT/ROLLBACK
                connection.rollback()
            self._idle.put(connection)

    def _connect(self) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(self.path, timeout=self._busy_timeout_ms / 1000,
                                         isolation_level=None, check_same_thread=False)
            connection.row_factory = sqlite3.Row
            connection.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms:d}")
            mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            connection.execute("PRAGMA synchronous = FULL")
            connection.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as err:
            raise StorageError(f"{self.path}: not a usable SQLite database ({err})") from err
        if str(mode).lower() != "wal":
            connection.close()
            raise StorageError(f"{self.path}: SQLite cannot use WAL mode here (got {mode}); "
                               "put the database on a local disk")
        with self._lock:
            self._all.append(connection)
        return connection

    def _migrate(self, connection: sqlite3.Connection) -> None:
        """Creates or upgrades the schema to ``SCHEMA_VERSION`` in one transaction."""
        if _user_version(connection) == SCHEMA_VERSION:
            return
        connection.execute("BEGIN IMMEDIATE")
        try:
            version = _user_version(connection)  # another process may have migrated
            if version > SCHEMA_VERSION:
                raise StorageError(
                    f"{self.path}: schema version {version} is newer than this "
                    f"colorization_tf understands ({SCHEMA_VERSION}); upgrade the package")
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[target]:
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {int(SCHEMA_VERSION):d}")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")


def _user_version(connection: sqlite3.Connection) -> int:
    try:
        return int(connection.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as err:
        raise StorageError(f"not a usable SQLite database ({err})") from err


@dataclasses.dataclass(frozen=True)
class StoredStudy:
    """One study as its database holds it: ``study_id``, ``config`` (the canonical JSON
    ``StudyConfig.to_json`` wrote) and ``answers`` (``Transaction.answered_trials``)."""

    study_id: int
    config: str
    answers: list[dict[str, Any]]


def read_study(path: str | os.PathLike, study_id: int | None = None) -> StoredStudy:
    """The answers of one study in the database at ``path`` (the latest study unless
    ``study_id`` is given), read in one snapshot without a server. Raises
    FileNotFoundError (no such file), LookupError (no such study) or StorageError."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file")
    with Storage(path) as storage, storage.read() as tx:
        if study_id is None:
            found = tx.latest_study()
        else:
            config = tx.study_config(int(study_id))
            found = None if config is None else (int(study_id), config)
        if found is None:
            raise LookupError(f"{path}: the database holds no study"
                              + ("" if study_id is None else f" with id {study_id}"))
        return StoredStudy(found[0], found[1], tx.answered_trials(found[0]))
