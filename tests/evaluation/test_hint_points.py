"""Scoring against the number of revealed points: the same nested points for every
method, hint values from the ground truth, flat lines for automatic methods, a rising line
for optimization, and colorization-evaluate's hints outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from support import tiny_config

from colorization_tf import training
from colorization_tf.evaluation import hint_points, scoring


def _true_ab(seed: int = 0, size: int = 12) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-0.5, 0.5, (size, size + 4, 2)).astype(np.float32)


def test_points_are_nested_fixed_and_carry_the_truth():
    ab = _true_ab()
    five_ab, five = hint_points.sample_hints(ab, 5, seed=7, image_index=3)
    ten_ab, ten = hint_points.sample_hints(ab, 10, seed=7, image_index=3)
    again_ab, again = hint_points.sample_hints(ab, 10, seed=7, image_index=3)
    assert five.sum() == 5 and ten.sum() == 10
    assert np.all(ten[five > 0] == 1)  # the 5 points are among the 10
    np.testing.assert_array_equal(again, ten)
    np.testing.assert_array_equal(again_ab, ten_ab)
    on = ten[..., 0] > 0
    np.testing.assert_array_equal(ten_ab[on], ab[on])
    assert not ten_ab[~on].any()
    other = hint_points.sample_hints(ab, 10, seed=7, image_index=4)[1]
    assert not np.array_equal(other, ten)  # another image gets other places
    assert hint_points.sample_hints(ab, 0, 7, 3)[1].sum() == 0
    assert hint_points.sample_hints(ab, 10_000, 7, 3)[1].all()


def test_a_patch_reveals_its_mean_colour():
    ab = _true_ab()
    hint_ab, mask = hint_points.sample_hints(ab, 1, seed=1, image_index=0, patch_size=3)
    rows, cols = np.nonzero(mask[..., 0])
    assert 4 <= len(rows) <= 9  # 3x3, clipped at a border
    patch = ab[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    np.testing.assert_allclose(hint_ab[rows, cols], np.broadcast_to(
        patch.reshape(-1, 2).mean(0), (len(rows), 2)), atol=1e-6)
    with pytest.raises(ValueError, match="odd"):
        hint_points.sample_hints(ab, 1, 0, 0, patch_size=2)


def test_parse_counts():
    assert hint_points.parse_counts("10,0,2,2") == [0, 2, 10]
    for bad in ("a,b", "-1,2", ""):
        with pytest.raises(ValueError, match="--hints"):
            hint_points.parse_counts(bad)


def _batches() -> list[dict]:
    """Two images of two flat lightness regions, each region one colour."""
    lightness = np.where(np.arange(16)[None, :] < 8, -0.5, 0.5) * np.ones((16, 1))
    lightness = np.broadcast_to(lightness[None, ..., None], (2, 16, 16, 1)).astype(np.float32)
    ab = np.where(lightness < 0, 0.3, -0.2) * np.ones((1, 1, 1, 2), np.float32)
    ab[..., 1] *= -1
    return [{"L": tf.constant(lightness), "ab": tf.constant(ab)}]


def test_automatic_methods_are_flat_and_match_the_plain_scoring():
    found = hint_points.score_against_hints(hint_points.automatic(scoring.no_colour),
                                            _batches(), [0, 3, 30])
    plain = scoring.score(scoring.no_colour, _batches())
    np.testing.assert_allclose(found["psnr"], [plain["psnr"]] * 3, rtol=1e-6)
    np.testing.assert_allclose(found["mae"], [plain["mae"]] * 3, rtol=1e-6)


def test_a_run_that_reads_hints_gets_the_maps_and_others_do_not():
    class Reader:  # a stand-in for a hint-reading Predictor: returns the hints it reads
        accepts_hints = True

        def predict(self, lightness, hint_ab=None, hint_mask=None):
            return hint_ab * hint_mask

    class Plain:
        def predict(self, lightness):
            return scoring.no_colour(lightness)

    reader = hint_points.score_against_hints(hint_points.run_colorize(Reader()), _batches(),
                                             [0, 256])
    plain = hint_points.score_against_hints(hint_points.run_colorize(Plain()), _batches(),
                                            [0, 256])
    assert reader["mae"][1] < 1e-6 < reader["mae"][0]  # every pixel revealed: exact
    assert plain["mae"][0] == plain["mae"][1] > 0.1


def test_optimization_rises_with_the_number_of_points():
    """A single point colours the whole image (one fixed value: the solution is constant),
    so it helps only once both regions hold a point (seed 0: from 2 points on)."""
    found = hint_points.score_against_hints(hint_points.optimization_colorize, _batches(),
                                            [0, 1, 2, 10, 40], seed=0)
    assert found["points"] == [0, 1, 2, 10, 40]
    psnr, mae = found["psnr"], found["mae"]
    assert psnr[1] < psnr[0] < psnr[2] < psnr[3] and mae[0] >= mae[1] > mae[2] > mae[3] > mae[4]
    assert psnr[4] == float("inf")  # every image exact to uint8
    gray = scoring.score(scoring.no_colour, _batches())  # 0 points is the colourless image
    assert abs(psnr[0] - gray["psnr"]) < 1e-4
    assert mae[4] < 1e-3


def test_table_and_figure(tmp_path):
    results = {"optimization": {"points": [0, 5], "psnr": [20.0, 25.5], "mae": [0.2, 0.1]},
               "unet": {"points": [0, 5], "psnr": [22.0, 22.0], "mae": [0.15, 0.15]}}
    table = hint_points.hints_table(results)
    assert "| Method | PSNR @0 | PSNR @5 | MAE @0 | MAE @5 |" in table
    assert "| optimization | 20.00 | 25.50 | 0.2000 | 0.1000 |" in table
    path = str(tmp_path / "h.png")
    hint_points.hints_figure(results, path)
    assert os.path.getsize(path) > 1000


@pytest.mark.slow
def test_evaluate_with_hints_writes_json_figure_and_section(tmp_path):
    run = str(tmp_path / "unet")
    training.train(tiny_config(), run, verbose=0)
    results, section = hint_points.evaluate_with_hints(
        [run], [0, 2, 20], str(tmp_path / "out"), dataset="samples", max_examples=8,
        batch_size=8)
    assert set(results) == {"optimization", "unet"}
    assert len(set(results["unet"]["psnr"])) == 1  # automatic: flat
    assert results["optimization"]["psnr"][2] > results["optimization"]["psnr"][0] + 3
    stored = json.load(open(tmp_path / "out" / hint_points.HINTS_JSON))
    assert stored["methods"]["optimization"]["points"] == [0, 2, 20]
    assert os.path.getsize(tmp_path / "out" / hint_points.HINTS_FIGURE) > 1000
    assert "| unet |" in section and "| optimization |" in section


@pytest.mark.slow
def test_evaluate_command_line_with_hints_only(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    command = [sys.executable, "-m", "colorization_tf.evaluate", f"--out={tmp_path}",
               "--max_examples=4", "--batch_size=4"]
    done = subprocess.run(command + ["--hints=0,3"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "| optimization |" in done.stdout
    report = (tmp_path / "report.md").read_text()
    assert report.startswith("# Evaluation with hints") and "| PSNR @0 | PSNR @3 |" in report
    done = subprocess.run(command + ["--hints=1,x"], capture_output=True, text=True, env=env)
    assert done.returncode == 2
    assert done.stderr.strip() == ("colorization-evaluate: --hints=1,x: expected "
                                   "comma-separated point counts such as 0,1,2,5,10,20,50")
