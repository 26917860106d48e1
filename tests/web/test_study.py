"""The protocol: config checks, Wilson intervals, session plans, balanced methods, drawing
without replacement, judging, and the figures (attention-flagged participants left out)."""

from __future__ import annotations

import json
import math
import random
from collections import Counter

import pytest

from colorization_tf.web import planning, results, statistics, storage, study, study_config


def test_wilson_interval_matches_hand_computed_values():
    # 8 of 10, z = 1.959964: centre (0.8 + z^2/20) / (1 + z^2/10) = 0.716738,
    # half-width z / (1 + z^2/10) * sqrt(0.016 + z^2/400) = 0.226577 (published: 0.4902-0.9433)
    low, high = statistics.wilson_interval(8, 10)
    assert low == pytest.approx(0.490161, abs=1e-5)
    assert high == pytest.approx(0.943315, abs=1e-5)
    # 0 of 10: the interval starts at 0 and ends at z^2/(n + z^2) = 0.277533
    assert statistics.wilson_interval(0, 10) == pytest.approx((0.0, 0.277533), abs=1e-5)
    assert statistics.wilson_interval(10, 10) == pytest.approx((0.722467, 1.0), abs=1e-5)
    assert statistics.wilson_interval(0, 0) is None


@pytest.mark.parametrize("correct,shown", [(1, 1), (3, 7), (50, 100), (399, 400), (0, 3)])
def test_wilson_interval_solves_its_defining_equation(correct, shown):
    """The Wilson bounds are the shares p with |p_hat - p| = z sqrt(p (1 - p) / n)."""
    share = correct / shown
    for bound in statistics.wilson_interval(correct, shown):
        gap = abs(share - bound) - statistics.Z_95 * math.sqrt(bound * (1 - bound) / shown)
        assert gap == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("change,flag", [
    ({"runs": ()}, "--run_dirs"), ({"runs": ("a", "a")}, "--run_dirs"),
    ({"mode": "triple"}, "--mode"), ({"images": 0}, "--images"), ({"trials": 0}, "--trials"),
    ({"practice_trials": -1}, "--practice_trials"), ({"attention_checks": 1.0},
                                                     "--attention_checks"),
    ({"display_ms": -5}, "--display_ms")])
def test_config_errors_name_the_flag(change, flag):
    values = {"runs": ("a",), "source": "s", "images": 3, **change}
    with pytest.raises(ValueError, match=flag):
        study_config.StudyConfig(**values).validate()


def test_config_round_trips_through_json():
    config = study_config.StudyConfig(runs=("a", "b"), source="s", images=3, mode="pair")
    assert study_config.StudyConfig.from_json(config.to_json()) == config


def test_single_mode_plan_balances_originals_and_runs():
    config = study_config.StudyConfig(runs=("a", "b"), source="s", images=50, trials=40,
                               practice_trials=10, attention_checks=0.1)
    plan = planning.make_plan(config, None, random.Random(1))
    assert len(plan) == 50
    assert [slot["practice"] for slot in plan] == [True] * 10 + [False] * 40
    test = [slot for slot in plan if not slot["practice"]]
    assert sum(slot["attention"] for slot in test) == 4
    assert not any(slot["attention"] for slot in plan if slot["practice"])
    shown = Counter(slot["run"] for slot in test if not slot["attention"])
    assert shown == {None: 18, "a": 9, "b": 9}


def test_pair_mode_plan_uses_one_method():
    config = study_config.StudyConfig(runs=("a", "b"), source="s", images=50, mode="pair",
                               trials=20, practice_trials=4, attention_checks=0.1)
    plan = planning.make_plan(config, "b", random.Random(0))
    assert {slot["run"] for slot in plan if not slot["attention"]} == {"b"}
    assert sum(slot["attention"] for slot in plan) == 2


def test_methods_are_balanced_and_sources_drawn_without_replacement():
    rng = random.Random(3)
    counts = Counter()
    for _ in range(9):
        counts[planning.choose_method(counts, ("a", "b", "c"), rng)] += 1
    assert counts == {"a": 3, "b": 3, "c": 3}
    used = Counter()
    drawn = []
    for _ in range(12):
        index = planning.draw_source(used, range(5), rng)
        drawn.append(index)
        used[index] += 1
    assert sorted(drawn[:5]) == [0, 1, 2, 3, 4]
    assert sorted(drawn[5:10]) == [0, 1, 2, 3, 4]


def test_parse_answer_accepts_only_the_modes_values():
    assert study.parse_answer("single", "real") == "real"
    assert study.parse_answer("pair", 1) == "1"
    for bad in ("REAL", 0, None, "", "colorised"):
        with pytest.raises(study.InvalidAnswer):
            study.parse_answer("single", bad)
    for bad in (True, 2, "0", 1.0, -1, "real"):
        with pytest.raises(study.InvalidAnswer):
            study.parse_answer("pair", bad)


def _ids(index: int, kind: str, run: str) -> str:
    return f"{kind}-{run}-{index}"


def test_compose_trial_hides_the_truth_in_the_server_only():
    rng = random.Random(0)
    images, truth = planning.compose_trial("single", {"attention": False, "run": "a"}, 3,
                                        _ids, rng)
    assert (images, truth) == (["colorized-a-3"], "colorized")
    images, truth = planning.compose_trial("single", {"attention": False, "run": None}, 3,
                                        _ids, rng)
    assert (images, truth) == (["original--3"], "real")
    seen = set()
    for _ in range(20):
        images, truth = planning.compose_trial("pair", {"attention": True, "run": None}, 2,
                                            _ids, rng)
        assert images[int(truth)] == "attention--2"
        assert images[1 - int(truth)] == "original--2"
        seen.add(truth)
    assert seen == {"0", "1"}


def _row(participant, run, correct, attention=False, practice=False, answer="real",
         response_ms=2000.0):
    return {"trial_id": "t", "participant": participant, "pseudonym": "pseudo-" + participant,
            "external_id": None, "external": None, "position": 0, "practice": practice,
            "attention": attention, "run": run, "truth": "colorized", "answer": answer,
            "correct": int(correct), "answered_at": 0.0, "response_ms": response_ms}


def test_summarize_counts_test_trials_of_attentive_participants():
    rows = ([_row("p1", "a", c) for c in (1, 1, 0, 0)]
            + [_row("p1", None, 1), _row("p1", "a", 1, practice=True),
               _row("p1", None, 1, attention=True)]
            + [_row("p2", "a", 1) for _ in range(5)]
            + [_row("p2", None, 0, attention=True), _row("p2", None, 1, attention=True)])
    summary = results.summarize(rows, ["a", "b"])
    assert summary["attention_failed"] == 1  # p2 caught 1 of 2 checks
    assert summary["excluded"] == {"attention": 1, "straight_lining": 0, "fast": 0, "any": 1}
    assert summary["without_exclusions"]["runs"]["a"]["shown"] == 9  # p2's 5 counted too
    assert summary["participants"] == 2
    assert len(summary["answers"]) == len(rows)
    assert set(summary["runs"]) == {"a", "b"}
    assert summary["runs"]["a"]["shown"] == 4
    assert summary["runs"]["a"]["accuracy"] == 0.5
    assert summary["runs"]["a"]["fooled_rate"] == 0.5
    assert summary["runs"]["b"]["shown"] == 0
    assert summary["originals"]["shown"] == 1
    assert all("image" not in key for answer in summary["answers"] for key in answer)
    assert {a["participant"] for a in summary["answers"]} == {"pseudo-p1", "pseudo-p2"}
    assert [a["excluded_attention"] for a in summary["answers"]] == [False] * 7 + [True] * 7


class _Pool:
    """Stands in for an ImageStore: ids say what they are (only for these unit tests)."""

    count = 6

    @staticmethod
    def image_id(index: int, kind: str, run: str = "") -> str:
        return _ids(index, kind, run)


def test_study_session_draws_each_source_once_and_judges_on_the_server(tmp_path):
    config = study_config.StudyConfig(runs=("a", "b"), source="s", images=6, trials=6,
                               practice_trials=2, attention_checks=0.2)
    with storage.Storage(tmp_path / "s.sqlite") as db:
        session = study.Study(config, db, _Pool.image_id, _Pool.count, rng=random.Random(0))
        participant, created = session.participant(None)
        assert created
        assert session.participant(participant) == (participant, False)
        seen, replies = [], []
        while (trial := session.next_trial(participant)) is not None:
            assert session.next_trial(participant).trial_id == trial.trial_id  # same open one
            seen.append(trial.images[0].split("-")[-1])
            truth = "real" if trial.images[0].startswith("original") else "colorized"
            replies.append(session.answer(participant, trial.trial_id, truth, 1500.0))
            assert trial.index == len(seen) and trial.total == 8
        assert len(seen) == 8
        # practice draws from the first practice_images (2) sources, tests from the rest
        assert set(seen[:2]) == {"0", "1"} and not set(seen[2:]) & {"0", "1"}
        assert Counter(seen[2:]).most_common(1)[0][1] <= 2  # 6 draws from 4: at most twice
        assert all("feedback" in r for r in replies[:2])
        assert not any("feedback" in r for r in replies[2:])
        assert replies[0]["feedback"]["correct"] is True
        with pytest.raises(storage.AlreadyAnswered):
            session.answer(participant, trial_id_of(db, 0), "real")
        other, _ = session.participant(None)
        with pytest.raises(study.UnknownTrial):
            session.answer(other, trial_id_of(db, 0), "real")
        results = session.results()
        assert results["participants"] == 1
        assert sum(f["shown"] for f in results["runs"].values()) + \
            results["originals"]["shown"] == 5
        assert all(f["accuracy"] in (None, 1.0) for f in results["runs"].values())


def trial_id_of(db, position: int) -> str:
    with db.read() as tx:
        return tx._db.execute("SELECT id FROM trials WHERE position = ? LIMIT 1",
                              (position,)).fetchone()[0]


def test_pair_mode_gives_methods_to_participants_in_balance(tmp_path):
    config = study_config.StudyConfig(runs=("a", "b", "c"), source="s", images=6, mode="pair",
                               trials=2, practice_trials=0, attention_checks=0.0)
    with storage.Storage(tmp_path / "s.sqlite") as db:
        session = study.Study(config, db, _Pool.image_id, _Pool.count, rng=random.Random(5))
        methods = Counter()
        for _ in range(6):
            participant, _ = session.participant(None)
            trial = session.next_trial(participant)
            fake = [image for image in trial.images if image.startswith("colorized")]
            methods[fake[0].split("-")[1]] += 1
        assert methods == {"a": 2, "b": 2, "c": 2}
        with db.read() as tx:
            plans = [json.loads(row[0]) for row in tx._db.execute("SELECT plan FROM "
                                                                 "participants")]
        assert all(len(plan) == 2 for plan in plans)
