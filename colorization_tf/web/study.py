"""The visual Turing test itself: what a session holds, how trials are drawn and judged,
and the figures a paper reports. Everything is decided here, on the server.

Protocol (Zhang et al. 2016, section 3.1, and the primary paper):
- ``single`` mode (default): one image, the original photo or a colorization; the answer
  is ``"real"`` or ``"colorized"``. Half of a block's trials show originals (so guessing
  "colorized" always scores 50%), the other half cycle through the runs.
- ``pair`` mode (Zhang's two-alternative forced choice): the original and one
  colorization side by side in random order; the answer is the index (0 or 1) of the
  image judged colorized. Each participant sees one method; methods are given to new
  participants so that their counts stay balanced.
- A session is ``practice_trials`` practice trials (answers get feedback and are not
  counted), then ``trials`` test trials. A share ``attention_checks`` of the test trials
  shows a random-hue recolouring of an original instead of a colorization.
- Practice trials draw from their own images (the first ``practice_images`` of the pool),
  disjoint from the test images, so practice feedback teaches nothing about test trials.
  Within each part, images are drawn without replacement while it lasts, then the least
  used ones again.
- Participants who fail the study's exclusion rules (``exclusions``: attention checks,
  straight-lining, too fast; fixed with the study) are left out of the headline figures;
  results also give the figures without exclusions and the count each rule excludes.
- A participant is known by a random id kept in their cookie; results name them only by an
  unrelated random ``pseudonym`` (and the crowd platform's id, if they came with one), so
  nothing in the results lets anyone act as a participant.

Figures: per run, ``shown`` test judgements of its colorizations, ``accuracy`` (share of
correct judgements: the primary paper's Turing column, lower is better), ``fooled_rate``
(1 - accuracy: Zhang's figure) and a Wilson 95% interval ``ci_low``-``ci_high`` on the
accuracy (the fooled rate's interval is ``1 - ci_high`` .. ``1 - ci_low``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from colorization_tf.web import exclusions as exclusions_lib

MODES = ("single", "pair")
SINGLE_ANSWERS = ("real", "colorized")
PAIR_ANSWERS = (0, 1)
EXTERNAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}")
Z_95 = 1.959963984540054  # the 97.5% quantile of the standard normal

# A function giving the id of one pool image: (source_index, kind, run) -> image id, with
# kind in "original", "colorized" (run = its name) and "attention" (run = "").
ImageIds = Callable[[int, str, str], str]


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


@dataclasses.dataclass(frozen=True)
class StudyConfig:
    """A study's protocol; two servers with equal configs serve the same study."""

    runs: tuple[str, ...]
    source: str
    images: int
    mode: str = "single"
    trials: int = 40
    practice_trials: int = 10
    attention_checks: float = 0.1
    display_ms: int = 0
    exclusions: exclusions_lib.ExclusionRules = exclusions_lib.ExclusionRules()

    def __post_init__(self) -> None:
        object.__setattr__(self, "runs", tuple(self.runs))
        if isinstance(self.exclusions, Mapping):
            object.__setattr__(self, "exclusions",
                               exclusions_lib.ExclusionRules(**self.exclusions))

    def validate(self) -> None:
        """Raises ValueError naming the flag whose value cannot work."""
        if not self.runs:
            raise ValueError("--run_dirs is empty: expected at least one run directory")
        if len(set(self.runs)) != len(self.runs):
            raise ValueError(f"--run_dirs: run names (folder names) must differ, got "
                             f"{', '.join(self.runs)}")
        if self.mode not in MODES:
            raise ValueError(f"--mode={self.mode}: expected one of {', '.join(MODES)}")
        if self.images < 1:
            raise ValueError(f"--images={self.images}: expected a positive count")
        if self.trials < 1:
            raise ValueError(f"--trials={self.trials}: expected a positive count")
        if self.practice_trials < 0:
            raise ValueError(f"--practice_trials={self.practice_trials}: expected >= 0")
        if not 0.0 <= self.attention_checks < 1.0:
            raise ValueError(f"--attention_checks={self.attention_checks}: expected a share "
                             "in [0, 1)")
        if self.display_ms < 0:
            raise ValueError(f"--display_ms={self.display_ms}: expected >= 0 (0: no limit)")
        if self.practice_trials > 0 and self.images < 2:
            raise ValueError(f"--images={self.images}: practice trials need their own "
                             "images; expected at least 2 (or --practice_trials=0)")
        self.exclusions.validate()

    @property
    def practice_images(self) -> int:
        """How many pool images (the first ones) are kept for practice trials: one per
        practice trial, at most half the pool; test trials never show them."""
        return min(self.practice_trials, self.images // 2) if self.practice_trials else 0

    @property
    def total(self) -> int:
        """Trials in a session, practice included (the progress counter's denominator)."""
        return self.practice_trials + self.trials

    @property
    def attention_count(self) -> int:
        """Attention checks among the test trials (the share, rounded half up)."""
        return min(self.trials, int(math.floor(self.attention_checks * self.trials + 0.5)))

    def to_json(self) -> str:
        """Canonical JSON (sorted keys): the study's identity in the database."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> StudyConfig:
        """The config ``to_json`` wrote."""
        values = json.loads(text)
        names = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in names})


# --------------------------------------------------------------------- statistics


def wilson_interval(correct: int, shown: int, z: float = Z_95) -> tuple[float, float] | None:
    """Wilson score interval for a binomial share ``correct / shown`` (95% by default);
    None when nothing was shown. Unlike the normal interval it stays inside [0, 1] and is
    sensible for shares near 0 or 1 and small counts."""
    if shown <= 0:
        return None
    share = correct / shown
    z2 = z * z
    denominator = 1.0 + z2 / shown
    centre = (share + z2 / (2 * shown)) / denominator
    half = z / denominator * math.sqrt(share * (1 - share) / shown + z2 / (4 * shown * shown))
    return max(0.0, centre - half), min(1.0, centre + half)


def share_figures(correct: int, shown: int) -> dict[str, Any]:
    """``{"shown", "accuracy", "fooled_rate", "ci_low", "ci_high"}`` of one group (None
    figures when nothing was shown)."""
    if shown <= 0:
        return {"shown": 0, "accuracy": None, "fooled_rate": None, "ci_low": None,
                "ci_high": None}
    low, high = wilson_interval(correct, shown)
    accuracy = correct / shown
    return {"shown": shown, "accuracy": accuracy, "fooled_rate": 1.0 - accuracy,
            "ci_low": low, "ci_high": high}


def figures(rows: Sequence[Mapping[str, Any]], runs: Sequence[str],
            left_out: set[str] = frozenset()) -> dict[str, Any]:
    """``{"runs": {run: share_figures}, "originals": share_figures}`` of the test trials
    (attention checks aside) of participants not in ``left_out``."""
    tallies = {name: [0, 0] for name in runs}
    originals = [0, 0]
    for row in rows:
        if row["practice"] or row["attention"] or row["participant"] in left_out:
            continue
        counts = originals if row["run"] is None else tallies.get(row["run"])
        if counts is not None:
            counts[0] += int(row["correct"])
            counts[1] += 1
    return {"runs": {name: share_figures(*tallies[name]) for name in runs},
            "originals": share_figures(*originals)}


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
        **figures(rows, runs, left_out),
        "without_exclusions": figures(rows, runs),
        "excluded": excluded,
        "exclusion_rules": dataclasses.asdict(rules),
        "attention_failed": excluded["attention"],
    }


def public_answer(row: Mapping[str, Any],
                  failed: Mapping[str, bool] | None = None) -> dict[str, Any]:
    """One acknowledged answer for the results (the CSV codebook in README): the
    participant's pseudonym, never their id (the cookie value), and no image ids, so
    results never tell which image was the real one."""
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
        "truth": _answer_value(row["truth"]),
        "answer": _answer_value(row["answer"]),
        "correct": bool(row["correct"]),
        "response_ms": (None if row.get("response_ms") is None
                        else round(float(row["response_ms"]))),
        "answered_at": row["answered_at"],
        **{f"excluded_{rule}": bool(failed.get(rule)) for rule in exclusions_lib.RULES},
        "excluded": any(failed.values()),
    }


def summary_rows(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per run, then one for originals: the CSV and the results table."""
    rows = [{"group": "run", "name": name, **figures}
            for name, figures in results["runs"].items()]
    rows.append({"group": "originals", "name": "original photos", **results["originals"]})
    return rows


def _answer_value(text: str) -> str | int:
    return int(text) if text in ("0", "1") else text


# --------------------------------------------------------------------- answers


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


# --------------------------------------------------------------------- drawing


def make_plan(config: StudyConfig, method: str | None, rng: random.Random) -> list[dict]:
    """A session's slots in order: ``{"practice", "attention", "run"}``, where ``run`` is
    the run whose colorization is shown (None: the original alone, single mode)."""
    practice = _block(config, method, config.practice_trials, 0, rng)
    test = _block(config, method, config.trials, config.attention_count, rng)
    return ([dict(slot, practice=True) for slot in practice]
            + [dict(slot, practice=False) for slot in test])


def _block(config: StudyConfig, method: str | None, size: int, checks: int,
           rng: random.Random) -> list[dict]:
    plain = size - checks
    if config.mode == "pair":
        targets: list[str | None] = [method] * plain
    else:
        originals = plain // 2 + (rng.random() < 0.5 if plain % 2 else 0)
        runs = list(config.runs)
        rng.shuffle(runs)
        targets = [None] * originals + [runs[i % len(runs)] for i in range(plain - originals)]
    slots = [{"attention": False, "run": run} for run in targets]
    slots += [{"attention": True, "run": None} for _ in range(checks)]
    rng.shuffle(slots)
    return slots


def choose_method(counts: Mapping[str, int], runs: Sequence[str], rng: random.Random) -> str:
    """The run given the fewest participants so far (random among ties)."""
    fewest = min(counts.get(run, 0) for run in runs)
    return rng.choice([run for run in runs if counts.get(run, 0) == fewest])


def draw_source(used: Mapping[int, int], candidates: Sequence[int],
                rng: random.Random) -> int:
    """One of ``candidates`` (source indexes) not yet drawn in this session, or one of
    the least drawn."""
    fewest = min(used.get(index, 0) for index in candidates)
    return rng.choice([i for i in candidates if used.get(i, 0) == fewest])


def source_candidates(config: StudyConfig, pool_size: int, practice: bool) -> range:
    """The source indexes a practice (the first ``practice_images``) or test trial (the
    rest) draws from."""
    split = min(config.practice_images, pool_size - 1)
    return range(0, split) if practice else range(split, pool_size)


def compose_trial(mode: str, slot: Mapping[str, Any], source_index: int, image_ids: ImageIds,
                  rng: random.Random) -> tuple[list[str], str]:
    """The image ids shown (in display order) and the right answer of one trial."""
    if slot["attention"]:
        fake = image_ids(source_index, "attention", "")
    elif slot["run"] is not None:
        fake = image_ids(source_index, "colorized", slot["run"])
    else:
        fake = None
    if mode == "single":
        if fake is None:
            return [image_ids(source_index, "original", "")], "real"
        return [fake], "colorized"
    pair = [image_ids(source_index, "original", ""), fake]
    fake_index = rng.randrange(2)
    if fake_index == 0:
        pair.reverse()
    return pair, str(fake_index)


def new_id() -> str:
    """An opaque random id (32 hex digits) for participants and trials."""
    return secrets.token_hex(16)


def new_pseudonym() -> str:
    """A participant's name in the results: random, unrelated to their id."""
    return secrets.token_hex(8)


# --------------------------------------------------------------------- the service


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

    def __init__(self, config: StudyConfig, storage, image_ids: ImageIds, pool_size: int,
                 rng: random.Random | None = None) -> None:
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
        new = new_id()
        try:
            with self.storage.write() as tx:
                if max_participants and tx.participant_count(self.study_id) >= max_participants:
                    raise StudyFull(max_participants)
                method = None
                if self.config.mode == "pair":
                    method = choose_method(tx.method_counts(self.study_id), self.config.runs,
                                           self.rng)
                tx.add_participant(
                    new, self.study_id, method, make_plan(self.config, method, self.rng),
                    pseudonym=new_pseudonym(),
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
                candidates = source_candidates(self.config, self.pool_size, slot["practice"])
                source = draw_source(tx.used_sources(participant_id), candidates, self.rng)
                images, truth = compose_trial(self.config.mode, slot, source, self.image_ids,
                                              self.rng)
                trial_id = new_id()
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
            reply["feedback"] = {"correct": correct, "truth": _answer_value(trial["truth"])}
        return reply

    def results(self) -> dict[str, Any]:
        """``summarize`` of this study's answers with its exclusion rules."""
        with self.storage.read() as tx:
            rows = tx.answered_trials(self.study_id)
        return summarize(rows, self.config.runs, self.config.exclusions)
