"""The visual Turing test as a service over the study database: sessions, drawing and
judging trials, results. Everything is decided here, on the server; what a session shows
is planned by ``planning``, the figures come from ``results`` and ``statistics``, and the
protocol's settings from ``study_config``.

- A participant is known by a random id kept in their cookie; results name them only by an
  unrelated random ``pseudonym`` (and the crowd platform's id, if they came with one), so
  nothing in the results lets anyone act as a participant.
- A crowd platform's id (``ExternalIds``) takes part once: a second visit resumes its
  session, whatever the cookie says.
- Answers are judged here (``parse_answer``, ``judge``): ``"real"``/``"colorized"`` in
  single mode, the index (0 or 1) of the image judged colorized in pair mode. Practice
  answers get feedback; test answers do not.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
import sqlite3
import time
from collections.abc import Mapping
from typing import Any

from colorization_tf.web import planning
from colorization_tf.web import results as results_lib
from colorization_tf.web.study_config import StudyConfig

SINGLE_ANSWERS = ("real", "colorized")
PAIR_ANSWERS = (0, 1)
EXTERNAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}")


class UnknownTrial(LookupError):
    """No such trial, or it belongs to another participant."""


class InvalidAnswer(ValueError):
    """An answer value that does not fit the study's mode."""


class StudyFull(Exception):
    """The study has its ``max_participants``: no new session is opened."""


@dataclasses.dataclass(frozen=True)
class ExternalIds:
    """A crowd platform's ids of a participant: ``participant_id`` (Prolific's
    ``PROLIFIC_PID`` or a generic ``participant``) takes part once; ``details`` keeps the
    rest (e.g. Prolific's ``STUDY_ID`` and ``SESSION_ID``) for the results."""

    participant_id: str
    details: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> ExternalIds | None:
        """The ids in a study URL's query (``PROLIFIC_PID``, ``STUDY_ID``, ``SESSION_ID``,
        or ``participant``); None without one. Raises ValueError for a malformed id."""
        pid = query.get("PROLIFIC_PID") or query.get("participant")
        if not pid:
            return None
        details = []
        for key in ("PROLIFIC_PID", "participant", "STUDY_ID", "SESSION_ID"):
            value = query.get(key)
            if value is None:
                continue
            if not EXTERNAL_ID.fullmatch(value):
                raise ValueError(f"{key}: expected 1-128 letters, digits or _.:@-")
            details.append((key, value))
        return cls(pid, tuple(details))


def parse_answer(mode: str, answer: Any) -> str:
    """The stored form of an answer (``"real"``/``"colorized"``, or ``"0"``/``"1"``);
    raises ``InvalidAnswer`` when it does not fit ``mode``."""
    if mode == "single":
        if isinstance(answer, str) and answer in SINGLE_ANSWERS:
            return answer
        raise InvalidAnswer('answer must be "real" or "colorized" in single mode')
    if type(answer) is int and answer in PAIR_ANSWERS:
        return str(answer)
    raise InvalidAnswer("answer must be 0 or 1 (the index of the colorized image) in pair mode")


def judge(truth: str, answer: str) -> bool:
    """Whether a stored answer is the trial's right answer."""
    return answer == truth


@dataclasses.dataclass
@dataclasses.dataclass
class Trial:
    """What a participant is shown: nothing in it tells real from colorized."""

    trial_id: str
    images: list[str]
    practice: bool
    index: int
    total: int


class Study:
    """One study on a database: participants, drawing, answering, results."""

    def __init__(self, config: StudyConfig, storage, image_ids: planning.ImageIds,
                 pool_size: int, rng: random.Random | None = None) -> None:
        config.validate()
        if pool_size < 1:
            raise ValueError("the image pool is empty")
        if config.practice_trials and pool_size < 2:
            raise ValueError("practice trials need their own images: the pool holds 1")
        self.config = config
        self.storage = storage
        self.image_ids = image_ids
        self.pool_size = pool_size
        self.rng = rng or random.SystemRandom()
        with storage.write() as tx:
            self.study_id = tx.study_id(config.to_json())

    def find(self, participant_id: str | None,
             external: ExternalIds | None = None) -> str | None:
        """The participant a visit continues: the one with the ``external`` platform id
        when given (a second visit resumes its session, whatever the cookie says),
        otherwise the cookie's ``participant_id`` if it belongs to this study."""
        with self.storage.read() as tx:
            if external is not None:
                row = tx.participant_by_external(self.study_id, external.participant_id)
                return None if row is None else str(row["id"])
            if participant_id and tx.participant(self.study_id, participant_id) is not None:
                return participant_id
        return None

    def participant_count(self) -> int:
        """Participants (started sessions) of this study."""
        with self.storage.read() as tx:
            return tx.participant_count(self.study_id)

    def create(self, external: ExternalIds | None = None, max_participants: int = 0) -> str:
        """A new participant's id (their cookie value). Raises ``StudyFull`` when the
        study already has ``max_participants`` (0: no limit); an external id that already
        takes part gets that participant (two first visits racing)."""
        new = planning.new_id()
        try:
            with self.storage.write() as tx:
                if max_participants and tx.participant_count(self.study_id) >= max_participants:
                    raise StudyFull(max_participants)
                method = None
                if self.config.mode == "pair":
                    method = planning.choose_method(tx.method_counts(self.study_id),
                                                    self.config.runs, self.rng)
                tx.add_participant(
                    new, self.study_id, method, planning.make_plan(self.config, method, self.rng),
                    pseudonym=planning.new_pseudonym(),
                    external_id=None if external is None else external.participant_id,
                    external=None if external is None else dict(external.details))
        except sqlite3.IntegrityError:
            found = self.find(None, external) if external is not None else None
            if found is None:
                raise
            return found
        return new

    def participant(self, participant_id: str | None) -> tuple[str, bool]:
        """``(id, created)``: the known participant of this study, or a new one (no
        external id, no limit; the server uses ``find`` and ``create``)."""
        found = self.find(participant_id)
        if found is not None:
            return found, False
        return self.create(), True

    def next_trial(self, participant_id: str) -> Trial | None:
        """The participant's open trial, or a newly drawn one; None when the session is
        complete. Drawing happens inside one write transaction, so two tabs of one
        participant never draw two trials for one position."""
        with self.storage.write() as tx:
            row = tx.participant(self.study_id, participant_id)
            if row is None:
                raise UnknownTrial(participant_id)
            plan = json.loads(row["plan"])
            trial = tx.open_trial(participant_id)
            if trial is None:
                position = tx.trial_count(participant_id)
                if position >= len(plan):
                    return None
                slot = plan[position]
                candidates = planning.source_candidates(self.config, self.pool_size,
                                                        slot["practice"])
                source = planning.draw_source(tx.used_sources(participant_id), candidates,
                                              self.rng)
                images, truth = planning.compose_trial(self.config.mode, slot, source,
                                                       self.image_ids, self.rng)
                trial_id = planning.new_id()
                tx.add_trial(trial_id, participant_id, position, slot["practice"],
                             slot["attention"], source, slot["run"], images, truth)
                return Trial(trial_id, images, bool(slot["practice"]), position + 1, len(plan))
            return Trial(trial["id"], json.loads(trial["images"]), bool(trial["practice"]),
                         int(trial["position"]) + 1, len(plan))

    def trial_image(self, participant_id: str | None, trial_id: str, slot: int) -> str | None:
        """The pool image id shown at ``slot`` of the participant's own trial; None for
        anyone else's trial, an unknown trial or slot. Image URLs name (trial, slot), so no
        two participants (and no two trials) share a URL for one image."""
        if participant_id is None:
            return None
        with self.storage.read() as tx:
            trial = tx.trial(trial_id)
        if trial is None or trial["participant_id"] != participant_id:
            return None
        images = json.loads(trial["images"])
        return images[slot] if 0 <= slot < len(images) else None

    def progress(self, participant_id: str) -> tuple[int, int]:
        """``(answered, total)`` trials of the participant's session."""
        with self.storage.read() as tx:
            count = tx.trial_count(participant_id)
            open_trial = tx.open_trial(participant_id)
        return count - (open_trial is not None), self.config.total

    def answer(self, participant_id: str | None, trial_id: str, answer: Any,
               response_ms: float | None = None) -> dict[str, Any]:
        """Judges and stores an answer with its response time (the browser's, in ms; when
        None, the server's time since the trial was drawn); returns ``{"recorded": True,
        "practice": bool}`` plus ``"feedback"`` (``correct``, ``truth``) for practice trials
        only. The answer is committed when this returns. Raises ``InvalidAnswer``,
        ``UnknownTrial`` (no such trial, or another participant's) or
        ``storage.AlreadyAnswered``."""
        stored = parse_answer(self.config.mode, answer)
        with self.storage.write() as tx:
            trial = tx.trial(trial_id)
            if trial is None or participant_id is None or trial["participant_id"] != participant_id:
                raise UnknownTrial(trial_id)
            correct = judge(trial["truth"], stored)
            if response_ms is None:
                response_ms = max(0.0, (time.time() - float(trial["created_at"])) * 1000.0)
            tx.add_answer(trial_id, stored, correct, response_ms)
        reply: dict[str, Any] = {"recorded": True, "practice": bool(trial["practice"])}
        if trial["practice"]:
            reply["feedback"] = {"correct": correct,
                                 "truth": results_lib.answer_value(trial["truth"])}
        return reply

    def results(self) -> dict[str, Any]:
        """``summarize`` of this study's answers with its exclusion rules."""
        with self.storage.read() as tx:
            rows = tx.answered_trials(self.study_id)
        return results_lib.summarize(rows, self.config.runs, self.config.exclusions)
