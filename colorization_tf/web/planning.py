"""Trial planning: what a session shows, in which order, and which images each trial draws.

Protocol (Zhang et al. 2016, section 3.1, and the primary paper):
- ``single`` mode: one image, the original photo or a colorization. Half of a block's
  trials show originals (so guessing "colorized" always scores 50%), the other half cycle
  through the runs in a shuffled order.
- ``pair`` mode: the original and one colorization side by side in random order; each
  participant sees one method, given to new participants so that counts stay balanced.
- A session is ``practice_trials`` practice trials, then ``trials`` test trials, of which
  ``attention_count`` are attention checks (a random-hue recolouring of an original).
- Practice trials draw from their own images (the first ``practice_images`` of the pool),
  disjoint from the test images. Within each part, images are drawn without replacement
  while it lasts, then the least used ones again.

Everything random takes the caller's ``random.Random``, so a seeded study is reproducible.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from colorization_tf.web.study_config import StudyConfig

# A function giving the id of one pool image: (source_index, kind, run) -> image id, with
# kind in "original", "colorized" (run = its name) and "attention" (run = "").
ImageIds = Callable[[int, str, str], str]


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
