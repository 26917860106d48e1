"""The experimenter's CSV files: ``results.csv`` (one row per acknowledged answer, the
codebook in docs/study.md) and ``summary.csv`` (one row per run and one for the originals,
with exclusions applied and without). Built from ``results.summarize``'s dict, so the
CSV, the JSON and the results page always agree."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

ANSWER_COLUMNS = ("participant", "external_id", "external_study", "external_session",
                  "trial", "practice", "attention", "run", "truth", "answer", "correct",
                  "response_ms", "answered_at", "excluded_attention",
                  "excluded_straight_lining", "excluded_fast", "excluded")
SUMMARY_COLUMNS = ("exclusions", "group", "name", "shown", "accuracy", "fooled_rate",
                   "ci_low", "ci_high")


def answers_to_csv(results: Mapping[str, Any]) -> str:
    """``results.csv``: one row per acknowledged answer; booleans as 0/1, None empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ANSWER_COLUMNS)
    for answer in results["answers"]:
        row = dict(answer, trial=answer["index"])
        writer.writerow(["" if row[key] is None else _cell(row[key]) for key in ANSWER_COLUMNS])
    return buffer.getvalue()


def results_to_csv(results: Mapping[str, Any]) -> str:
    """``summary.csv``: one row per run, then the originals, with exclusions applied
    (``exclusions`` = applied) and without (``exclusions`` = none)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, SUMMARY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for label, figures in (("applied", results), ("none", results["without_exclusions"])):
        for row in summary_rows(figures):
            writer.writerow({"exclusions": label,
                             **{key: "" if row[key] is None else row[key]
                                for key in SUMMARY_COLUMNS[1:]}})
    return buffer.getvalue()


def summary_rows(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per run, then one for originals: ``group``, ``name`` and the figures."""
    rows = [{"group": "run", "name": name, **figures}
            for name, figures in results["runs"].items()]
    rows.append({"group": "originals", "name": "original photos", **results["originals"]})
    return rows


def _cell(value: Any) -> str:
    return str(int(value)) if isinstance(value, bool) else str(value)
