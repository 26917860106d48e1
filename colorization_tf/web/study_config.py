"""A study's configuration: the protocol two servers must share to serve the same study.

``StudyConfig`` is the study's identity in the database (its canonical JSON): a server
started with another config, exclusion rules included, serves a new, empty study. The
flags of ``colorization-web`` fill it; ``validate`` names the flag whose value cannot work.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping

from colorization_tf.web import exclusions as exclusions_lib

MODES = ("single", "pair")


@dataclasses.dataclass(frozen=True)
class StudyConfig:
    """A study's protocol; two servers with equal configs serve the same study.

    ``runs``: the names of the runs judged; ``source``: ``dataset:split:size`` of the
    images; ``images``: the pool size; ``mode``: ``single`` (one image, real or
    colorized?) or ``pair`` (Zhang et al.'s two-alternative forced choice); ``trials`` test
    and ``practice_trials`` practice trials per session; ``attention_checks``: the share
    of test trials that are attention checks; ``display_ms``: how long images are shown
    (0: until answered); ``exclusions``: the rules that leave participants out."""

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
