"""The study database's schema, versioned with ``PRAGMA user_version``: ``MIGRATIONS[v]``
takes a database from version v - 1 to v; ``storage`` applies them in one transaction at
the first start of a new version and refuses a database newer than this code.

- Version 1: studies (their config JSON is their identity), the image pool, participants
  with their trial plan, trials (what was shown and the right answer) and answers.
- Version 2: every participant gets an opaque ``pseudonym`` (what results show; the
  cookie value never leaves the participants table) and the crowd platform's ids
  (``external_id``: one participation per id); answers get a ``response_ms``; a
  ``secrets`` table keeps the generated admin token.
"""

from __future__ import annotations

SCHEMA_VERSION = 2

# MIGRATIONS[v] takes a database from version v - 1 to version v.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE studies (
            id INTEGER PRIMARY KEY,
            config TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL)""",
        """CREATE TABLE images (
            id TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            source_index INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('original', 'colorized', 'attention')),
            run TEXT NOT NULL DEFAULT '',
            file TEXT NOT NULL,
            created_at REAL NOT NULL,
            UNIQUE (source, source_index, kind, run))""",
        """CREATE TABLE participants (
            id TEXT PRIMARY KEY,
            study_id INTEGER NOT NULL REFERENCES studies (id),
            method TEXT,
            plan TEXT NOT NULL,
            created_at REAL NOT NULL)""",
        "CREATE INDEX participants_by_study ON participants (study_id, method)",
        """CREATE TABLE trials (
            id TEXT PRIMARY KEY,
            participant_id TEXT NOT NULL REFERENCES participants (id),
            position INTEGER NOT NULL,
            practice INTEGER NOT NULL CHECK (practice IN (0, 1)),
            attention INTEGER NOT NULL CHECK (attention IN (0, 1)),
            source_index INTEGER NOT NULL,
            run TEXT,
            images TEXT NOT NULL,
            truth TEXT NOT NULL,
            created_at REAL NOT NULL,
            UNIQUE (participant_id, position))""",
        """CREATE TABLE answers (
            trial_id TEXT PRIMARY KEY REFERENCES trials (id),
            answer TEXT NOT NULL,
            correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
            answered_at REAL NOT NULL)""",
    ),
    2: (
        "ALTER TABLE participants ADD COLUMN pseudonym TEXT",
        "ALTER TABLE participants ADD COLUMN external_id TEXT",
        "ALTER TABLE participants ADD COLUMN external TEXT",
        "UPDATE participants SET pseudonym = lower(hex(randomblob(8))) WHERE pseudonym IS NULL",
        "CREATE UNIQUE INDEX participants_by_pseudonym ON participants (pseudonym)",
        """CREATE UNIQUE INDEX participants_by_external ON participants (study_id, external_id)
            WHERE external_id IS NOT NULL""",
        "ALTER TABLE answers ADD COLUMN response_ms REAL",
        """CREATE TABLE secrets (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            created_at REAL NOT NULL)""",
    ),
}
