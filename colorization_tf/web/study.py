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
  shows a random-hue recolouring of an original instead of a colorization; a participant
  who gets fewer than ``ATTENTION_MIN_ACCURACY`` of those right is flagged and left out of
  the figures.
- Source images are drawn without replacement within a session while the pool lasts,
  then the least used ones again.

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
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any

MODES = ("single", "pair")
SINGLE_ANSWERS = ("real", "colorized")
PAIR_ANSWERS = (0, 1)
ATTENTION_MIN_ACCURACY = 0.75
Z_95 = 1.959963984540054  # the 97.5% quantile of the standard normal

# A function giving the id of one pool image: (source_index, kind, run) -> image id, with
# kind in "original", "colorized" (run = its name) and "attention" (run = "").
ImageIds = Callable[[int, str, str], str]


class UnknownTrial(LookupError):
    """No such trial, or it belongs to another participant."""


class InvalidAnswer(ValueError):
    """An answer value that does not fit the study's mode."""


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

    def __post_init__(self) -> None:
        object.__setattr__(self, "runs", tuple(self.runs))

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


def attention_flagged(rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """Participants who got fewer than ``ATTENTION_MIN_ACCURACY`` of their answered
    attention checks right."""
    tally: dict[str, list[int]] = {}
    for row in rows:
        if row["attention"] and not row["practice"]:
            counts = tally.setdefault(row["participant"], [0, 0])
            counts[0] += int(row["correct"])
            counts[1] += 1
    return {who for who, (right, seen) in tally.items()
            if right < ATTENTION_MIN_ACCURACY * seen}


def summarize(rows: Sequence[Mapping[str, Any]], runs: Sequence[str]) -> dict[str, Any]:
    """The study's figures from its answered trials (``Transaction.answered_trials``):
    ``answers`` (every acknowledged answer), ``participants`` (who answered at least
    once), ``runs`` (exactly ``runs``), ``originals`` (judgements of original photos,
    single mode), ``attention_failed`` (flagged participants, left out of the figures)."""
    flagged = attention_flagged(rows)
    counted = [row for row in rows if not row["practice"] and not row["attention"]
               and row["participant"] not in flagged]
    tallies = {name: [0, 0] for name in runs}
    originals = [0, 0]
    for row in counted:
        counts = originals if row["run"] is None else tallies.get(row["run"])
        if counts is not None:
            counts[0] += int(row["correct"])
            counts[1] += 1
    return {
        "answers": [public_answer(row, flagged) for row in rows],
        "participants": len({row["participant"] for row in rows}),
        "runs": {name: share_figures(*tallies[name]) for name in runs},
        "originals": share_figures(*originals),
        "attention_failed": len(flagged),
    }


def public_answer(row: Mapping[str, Any], flagged: set[str] = frozenset()) -> dict[str, Any]:
    """One acknowledged answer for the results: no image ids, so results never tell which
    image URL was the real one."""
    return {
        "trial_id": row["trial_id"],
        "participant": row["participant"],
        "index": int(row["position"]) + 1,
        "practice": bool(row["practice"]),
        "attention": bool(row["attention"]),
        "run": row["run"],
        "truth": _answer_value(row["truth"]),
        "answer": _answer_value(row["answer"]),
        "correct": bool(row["correct"]),
        "answered_at": row["answered_at"],
        "flagged": row["participant"] in flagged,
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


def draw_source(used: Mapping[int, int], pool_size: int, rng: random.Random) -> int:
    """A source image not yet drawn in this session, or one of the least drawn."""
    fewest = min(used.get(index, 0) for index in range(pool_size))
    return rng.choice([i for i in range(pool_size) if used.get(i, 0) == fewest])


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
        self.config = config
        self.storage = storage
        self.image_ids = image_ids
        self.pool_size = pool_size
        self.rng = rng or random.SystemRandom()
        with storage.write() as tx:
            self.study_id = tx.study_id(config.to_json())

    def participant(self, participant_id: str | None) -> tuple[str, bool]:
        """``(id, created)``: the known participant of this study, or a new one."""
        if participant_id:
            with self.storage.read() as tx:
                if tx.participant(self.study_id, participant_id) is not None:
                    return participant_id, False
        new = new_id()
        with self.storage.write() as tx:
            method = None
            if self.config.mode == "pair":
                method = choose_method(tx.method_counts(self.study_id), self.config.runs,
                                       self.rng)
            tx.add_participant(new, self.study_id, method, make_plan(self.config, method,
                                                                     self.rng))
        return new, True

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
                source = draw_source(tx.used_sources(participant_id), self.pool_size, self.rng)
                images, truth = compose_trial(self.config.mode, slot, source, self.image_ids,
                                              self.rng)
                trial_id = new_id()
                tx.add_trial(trial_id, participant_id, position, slot["practice"],
                             slot["attention"], source, slot["run"], images, truth)
                return Trial(trial_id, images, bool(slot["practice"]), position + 1, len(plan))
            return Trial(trial["id"], json.loads(trial["images"]), bool(trial["practice"]),
                         int(trial["position"]) + 1, len(plan))

    def progress(self, participant_id: str) -> tuple[int, int]:
        """``(answered, total)`` trials of the participant's session."""
        with self.storage.read() as tx:
            count = tx.trial_count(participant_id)
            open_trial = tx.open_trial(participant_id)
        return count - (open_trial is not None), self.config.total

    def answer(self, participant_id: str | None, trial_id: str, answer: Any) -> dict[str, Any]:
        """Judges and stores an answer; returns ``{"recorded": True, "practice": bool}``
        plus ``"feedback"`` (``correct``, ``truth``) for practice trials only. The answer is
        committed when this returns. Raises ``InvalidAnswer``, ``UnknownTrial`` (no such
        trial, or another participant's) or ``storage.AlreadyAnswered``."""
        stored = parse_answer(self.config.mode, answer)
        with self.storage.write() as tx:
            trial = tx.trial(trial_id)
            if trial is None or participant_id is None or trial["participant_id"] != participant_id:
                raise UnknownTrial(trial_id)
            correct = judge(trial["truth"], stored)
            tx.add_answer(trial_id, stored, correct)
        reply: dict[str, Any] = {"recorded": True, "practice": bool(trial["practice"])}
        if trial["practice"]:
            reply["feedback"] = {"correct": correct, "truth": _answer_value(trial["truth"])}
        return reply

    def results(self) -> dict[str, Any]:
        """``summarize`` of this study's answers."""
        with self.storage.read() as tx:
            rows = tx.answered_trials(self.study_id)
        return summarize(rows, self.config.runs)
