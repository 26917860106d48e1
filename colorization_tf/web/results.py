"""The study's results: its figures with the exclusion rules applied and without, the
acknowledged answers as the experimenter sees them, and ``turing_results`` (a finished
study's per-run figures read from its database, no server: ``evaluate --turing_db``).

Answers name participants by their ``pseudonym``, never by their id (the cookie value),
and carry no image ids, so results never tell which image was the real one.
Standard library only: ``evaluate`` reads a study without FastAPI.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from colorization_tf.web import exclusions as exclusions_lib
from colorization_tf.web import statistics
from colorization_tf.web import storage as storage_lib
from colorization_tf.web.study_config import StudyConfig


def summarize(rows: Sequence[Mapping[str, Any]], runs: Sequence[str],
              rules: exclusions_lib.ExclusionRules | None = None) -> dict[str, Any]:
    """The study's figures from its answered trials (``Transaction.answered_trials``):
    ``answers`` (every acknowledged answer, see ``public_answer``), ``participants`` (who
    answered at least once), ``runs`` (exactly ``runs``) and ``originals`` (judgements of
    original photos, single mode) with the exclusion ``rules`` applied,
    ``without_exclusions`` (the same figures of everyone), ``excluded`` (participants each
    rule excludes, and ``any``), ``exclusion_rules`` (the thresholds) and
    ``attention_failed`` (= ``excluded["attention"]``)."""
    rules = rules or exclusions_lib.ExclusionRules()
    participant_flags = exclusions_lib.flags(rows, rules)
    left_out = exclusions_lib.excluded(participant_flags)
    excluded = exclusions_lib.counts(participant_flags)
    return {
        "answers": [public_answer(row, participant_flags.get(row["participant"], {}))
                    for row in rows],
        "participants": len({row["participant"] for row in rows}),
        **statistics.figures(rows, runs, left_out),
        "without_exclusions": statistics.figures(rows, runs),
        "excluded": excluded,
        "exclusion_rules": dataclasses.asdict(rules),
        "attention_failed": excluded["attention"],
    }


def public_answer(row: Mapping[str, Any],
                  failed: Mapping[str, bool] | None = None) -> dict[str, Any]:
    """One acknowledged answer for the results (the CSV codebook in docs/study.md): the
    participant's pseudonym, never their id, and no image ids."""
    failed = failed or {}
    details = json.loads(row["external"]) if row.get("external") else {}
    return {
        "participant": row["pseudonym"],
        "external_id": row.get("external_id"),
        "external_study": details.get("STUDY_ID"),
        "external_session": details.get("SESSION_ID"),
        "index": int(row["position"]) + 1,
        "practice": bool(row["practice"]),
        "attention": bool(row["attention"]),
        "run": row["run"],
        "truth": answer_value(row["truth"]),
        "answer": answer_value(row["answer"]),
        "correct": bool(row["correct"]),
        "response_ms": (None if row.get("response_ms") is None
                        else round(float(row["response_ms"]))),
        "answered_at": row["answered_at"],
        **{f"excluded_{rule}": bool(failed.get(rule)) for rule in exclusions_lib.RULES},
        "excluded": any(failed.values()),
    }


def answer_value(text: str) -> str | int:
    """A stored answer as the results show it: 0/1 (pair mode) as an int, else the text."""
    return int(text) if text in ("0", "1") else text


def turing_results(db_path: str | os.PathLike, study_id: int | None = None) -> dict[str, dict]:
    """The Turing-test figures of a study database, per run:
    ``{run: {"shown", "accuracy", "fooled_rate", "ci_low", "ci_high"}}`` (test trials of
    participants the study's exclusion rules keep; the interval is Wilson 95% on
    accuracy). Reads the latest study unless ``study_id`` is given; starts no server.
    Raises FileNotFoundError / ValueError with a one-line reason naming ``--turing_db``."""
    try:
        stored = storage_lib.read_study(db_path, study_id)
    except FileNotFoundError as err:
        raise FileNotFoundError(f"--turing_db={err}") from None
    except LookupError as err:
        raise ValueError(f"--turing_db={err}") from None
    config = StudyConfig.from_json(stored.config)
    return summarize(stored.answers, config.runs, config.exclusions)["runs"]
