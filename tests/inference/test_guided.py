"""colorization-colorize --method=optimization: hints for one photo or a folder of them,
per-photo failures that do not stop the others, atomic outputs, and the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from skimage.color import rgb2lab

from colorization_tf.inference import guided, hints

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
BLUE, ORANGE = "#2f6fb0", "#e0a060"


def _photo(path, height: int, width: int) -> str:
    """A gray two-tone photo (dark left half, light right half)."""
    gray = np.where(np.arange(width)[None, :] < width // 2, 60, 190) * np.ones((height, 1))
    Image.fromarray(gray.astype(np.uint8), "L").save(path)
    return str(path)


def _hints(path, x_left: int, x_right: int, y: int) -> str:
    path.write_text(json.dumps({"points": [
        {"x": x_left, "y": y, "color": BLUE, "radius": 1},
        {"x": x_right, "y": y, "color": ORANGE, "radius": 1}]}))
    return str(path)


def _b_star(path: str, row: int, col: int) -> float:
    rgb = np.asarray(Image.open(path).convert("RGB"))
    return float(rgb2lab(rgb[row - 1:row + 2, col - 1:col + 2])[..., 2].mean())


def test_one_hints_file_for_every_photo_and_one_bad_photo_does_not_stop_the_rest(tmp_path):
    big = _photo(tmp_path / "big.png", 60, 80)
    small = _photo(tmp_path / "small.png", 30, 40)  # the hints' x=70 is outside it
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"")
    hints_path = _hints(tmp_path / "h.json", 10, 70, 20)
    out = tmp_path / "out"
    errors: list[str] = []
    summary = guided.colorize_with_hints([big, small, str(broken), str(video)], str(out),
                                         hints_path, solve_size=32, log=errors.append)
    assert summary.written == [(big, str(out / "big.png"))]
    reasons = dict(summary.failed)
    assert reasons[small] == f"{hints_path}: points[1]: x=70 is outside the 40x30 image"
    assert "not an image" in reasons[str(broken)]
    assert reasons[str(video)] == "--hints: hints colour photos, not videos"
    assert sorted(os.listdir(out)) == ["big.png"]  # no temporaries left behind
    assert _b_star(str(out / "big.png"), 20, 10) < -10  # blue
    assert _b_star(str(out / "big.png"), 20, 70) > 10  # orange
    assert _b_star(str(out / "big.png"), 5, 75) > 10  # spread over the light half
    # An existing output is kept unless overwrite.
    again = guided.colorize_with_hints([big], str(out), hints_path, solve_size=32)
    assert again.skipped and not again.written


def test_a_folder_of_hints_files_by_photo_stem(tmp_path):
    first = _photo(tmp_path / "first.png", 40, 40)
    second = _photo(tmp_path / "second.png", 40, 40)
    (tmp_path / "hints").mkdir()
    _hints(tmp_path / "hints" / "first.json", 5, 35, 20)
    summary = guided.colorize_with_hints([first, second], str(tmp_path / "out"),
                                         str(tmp_path / "hints"), solve_size=0)
    assert [src for src, _ in summary.written] == [first]
    reason = dict(summary.failed)[second]
    assert reason == f"--hints: no hints file {tmp_path / 'hints' / 'second.json'} for this photo"


def test_a_bad_hints_file_or_flag_is_one_error_for_the_command(tmp_path):
    photo = _photo(tmp_path / "p.png", 20, 20)
    bad = tmp_path / "bad.json"
    bad.write_text('{"points": [{"x": 1, "y": 1, "color": "#12345"}]}')
    with pytest.raises(ValueError, match=r"bad.json: points\[0\]: color '#12345' is not"):
        guided.colorize_with_hints([photo], str(tmp_path / "out"), str(bad))
    with pytest.raises(ValueError, match="--hints: .*missing.json is neither"):
        guided.colorize_with_hints([photo], str(tmp_path / "out"), str(tmp_path / "missing.json"))
    with pytest.raises(ValueError, match="--hints is required"):
        guided.colorize_with_hints([photo], str(tmp_path / "out"), "")
    with pytest.raises(ValueError, match="--render_size"):
        guided.colorize_with_hints([photo], str(tmp_path / "out"), str(bad), solve_size=-3)


class _HintReader:
    """A stand-in for a learned-hints Predictor: paints the hints it is given (gray
    elsewhere) and keeps what it saw."""

    accepts_hints = True
    accepts_global_hint = False
    image_size = 16
    name, method = "fake", "hints"

    def predict(self, lightness, hint_ab=None, hint_mask=None, hint_global=None):
        shape = np.shape(lightness)[:3]  # an absent map is zeros, as Predictor.predict reads it
        hint_ab = np.zeros(shape + (2,), np.float32) if hint_ab is None else hint_ab
        hint_mask = np.zeros(shape + (1,), np.float32) if hint_mask is None else hint_mask
        self.seen = (np.asarray(lightness), np.asarray(hint_ab), np.asarray(hint_mask))
        self.seen_global = hint_global
        gray = 0.5 / 127.5
        return tf.constant(np.where(hint_mask > 0, hint_ab, gray), tf.float32)


def test_a_run_that_reads_hints_gets_them_on_its_render_grid(tmp_path):
    photo = _photo(tmp_path / "p.png", 60, 80)
    hints_path = tmp_path / "h.json"
    hints_path.write_text(json.dumps({"points": [{"x": 70, "y": 10, "color": ORANGE,
                                                  "radius": 1}]}))
    reader = _HintReader()
    summary = guided.colorize_with_hints([photo], str(tmp_path / "out"), str(hints_path),
                                         predictor=reader, solve_size=20)
    assert not summary.failed
    lightness, hint_ab, hint_mask = reader.seen
    assert lightness.shape == (1, 20, 20, 1) and hint_mask.shape == (1, 20, 20, 1)
    # x=70 of 80 -> column (70.5 / 4 - 0.5) = 17.1; y=10 of 60 -> row (10.5 / 3 - 0.5) = 3
    assert hint_mask[0, 3, 17, 0] == 1 and hint_mask.sum() >= 1
    assert np.allclose(hint_ab[0, 3, 17], hints.hex_to_ab([ORANGE])[0])
    assert _b_star(summary.written[0][1], 10, 70) > 10  # orange at the point, full size


class _GlobalHintReader(_HintReader):
    accepts_global_hint = True
    name = "global"


def test_a_reference_photo_reaches_a_global_hint_run_with_or_without_hints(tmp_path):
    from colorization_tf.inference.reference_hint import reference_global_hint

    photo = _photo(tmp_path / "p.png", 40, 40)
    reference = tmp_path / "ref.png"
    Image.fromarray(np.full((30, 30, 3), (200, 60, 40), np.uint8)).save(reference)
    reader = _GlobalHintReader()
    summary = guided.colorize_with_hints([photo], str(tmp_path / "out"), None,
                                         predictor=reader, reference=str(reference))
    assert not summary.failed and len(summary.written) == 1
    expected = reference_global_hint(str(reference))
    assert reader.seen_global.shape == (1, expected.shape[0])
    np.testing.assert_allclose(reader.seen_global[0], expected)
    assert reader.seen[2].sum() == 0  # no hints file: no local hints
    with pytest.raises(ValueError, match="--reference: run fake reads no global hint"):
        guided.colorize_with_hints([photo], str(tmp_path / "o2"), None,
                                   predictor=_HintReader(), reference=str(reference))
    with pytest.raises(ValueError, match="--reference: a global hint needs a run"):
        guided.colorize_with_hints([photo], str(tmp_path / "o3"), str(tmp_path / "h.json"),
                                   reference=str(reference))


def test_a_run_that_reads_no_hints_is_refused():
    class Plain:
        name, method = "unet", "supervised"

    with pytest.raises(ValueError, match=r"--hints: run unet \(supervised\) reads no hints"):
        guided.colorize_with_hints(["p.png"], "out", "h.json", predictor=Plain())


@pytest.mark.slow
def test_command_line(tmp_path):
    photo = _photo(tmp_path / "photo.jpg", 48, 64)
    hints_path = _hints(tmp_path / "h.json", 8, 56, 24)
    command = [sys.executable, "-m", "colorization_tf.colorize", "--method=optimization",
               f"--hints={hints_path}", photo, f"--output_dir={tmp_path / 'out'}"]
    done = subprocess.run(command, capture_output=True, text=True, env=ENV, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "1 colorized, 0 failed" in done.stdout
    assert _b_star(str(tmp_path / "out" / "photo.png"), 24, 8) < -10
    (tmp_path / "h.json").write_text('{"points": [{"x": 1, "y": 1, "color": "#fff"}]}')
    done = subprocess.run(command + ["--overwrite"], capture_output=True, text=True, env=ENV)
    assert done.returncode == 2
    assert done.stderr.strip() == (f"colorization-colorize: {hints_path}: points[0]: color "
                                   "'#fff' is not an sRGB hex colour '#rrggbb'")
    done = subprocess.run(command + ["--run_dir=somewhere"], capture_output=True, text=True,
                          env=ENV)
    assert done.returncode == 2 and "--run_dir: --method=optimization needs no run" in done.stderr


@pytest.mark.slow
def test_command_line_refuses_hints_for_a_run_that_reads_none(tmp_path):
    from support import tiny_config

    from colorization_tf import training

    run_dir = str(tmp_path / "unet")
    training.train(tiny_config(), run_dir, verbose=0)
    photo = _photo(tmp_path / "photo.png", 20, 20)
    hints_path = _hints(tmp_path / "h.json", 2, 15, 10)
    done = subprocess.run([sys.executable, "-m", "colorization_tf.colorize",
                           f"--run_dir={run_dir}", f"--hints={hints_path}", photo,
                           f"--output_dir={tmp_path / 'out'}"],
                          capture_output=True, text=True, env=ENV)
    assert done.returncode == 2
    assert done.stderr.strip() == ("colorization-colorize: --hints: run unet (supervised) "
                                   "reads no hints; use a learned-hints run (unet_hints) or "
                                   "--method=optimization")
    assert not (tmp_path / "out").exists()
