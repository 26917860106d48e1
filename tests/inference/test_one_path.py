"""One path for a user's hints (issue 26): the command line, ``Predictor.colorize_rgb``, the
web editor's API and the exported SavedModel's ``colorize_with_hints`` give the same
colours (within 1 level of 8 bits) for the same photo and hints, for points, strokes and a
reference photo; and all three user-facing doors refuse a radius or a stroke width larger
than the photo in one line.

The run is an untrained tiny ``unet_hints_global`` (its first layer reads the hint maps and
its bottleneck the global hint, so hints change its output: checked, or agreement would
be empty). The CLI runs as a real process; the SavedModel is loaded by plain TensorFlow."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import support
import tensorflow as tf
from PIL import Image

support.require_module("fastapi", "the [web] extra is not installed")

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "web"))
from untrained_run import untrained_run  # noqa: E402

from colorization_tf.inference import hints, load_run, serving  # noqa: E402
from colorization_tf.inference.reference_hint import reference_global_hint  # noqa: E402

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
HEIGHT, WIDTH = 90, 130
CASES = {
    "points": {"points": [{"x": 20, "y": 30, "color": "#d03020", "radius": 3},
                          {"x": 100.5, "y": 60, "color": "#2050e0"},
                          {"x": 64, "y": 44, "color": "#20c040", "radius": 7.5}]},
    "strokes": {"strokes": [{"points": [[5, 80], [60, 70], [120, 10]], "color": "#e0c020",
                             "width": 5},
                            {"points": [[40, 10]], "color": "#8020c0", "width": 9}]},
    "reference": {},
}
OVERSIZE = {"points": [{"x": 10, "y": 10, "color": "#ff0000", "radius": 1000}]}


def _photo() -> np.ndarray:
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    rng = np.random.default_rng(0)
    smooth = np.stack([x / WIDTH, y / HEIGHT, (x + y) / (WIDTH + HEIGHT)], -1) * 200 + 30
    return np.clip(smooth + rng.normal(0, 6, smooth.shape), 0, 255).astype(np.uint8)


def _reference() -> np.ndarray:
    """Larger than ``REFERENCE_PIXELS``, so the one reduction shrinks it; one-pixel
    stripes, so another resampler gives another distribution."""
    picture = np.zeros([300, 320, 3], np.uint8)
    picture[:, :200:2] = [200, 60, 40]
    picture[:, 1:200:2] = [40, 60, 220]
    picture[:, 200:] = [40, 150, 90]
    return picture


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def _read(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB")).astype(int)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """The run, the photo and reference files and the hints files per case."""
    folder = tmp_path_factory.mktemp("one_path")
    run = untrained_run(str(folder / "hints_global"), "unet_hints_global")
    (folder / "photos").mkdir()
    (folder / "hints").mkdir()
    for name in CASES:
        Image.fromarray(_photo()).save(folder / "photos" / f"{name}.png")
        (folder / "hints" / f"{name}.json").write_text(json.dumps(CASES[name]))
    Image.fromarray(_reference()).save(folder / "reference.png")
    return {"folder": folder, "run": run}


@pytest.fixture(scope="module")
def cli(setup):
    """The CLI's outputs (a real process each): one for the local hints (a folder of
    ``<stem>.json``), one for the reference."""
    folder, run = setup["folder"], setup["run"]
    # float32, as the Python, web and SavedModel paths compute (colorize's default is the
    # lower precision where the CPU runs it natively: tests/inference/test_precision.py)
    command = [sys.executable, "-m", "colorization_tf.colorize", f"--run_dir={run}",
               "--nomixed_precision"]
    local = subprocess.run(command + [f"--hints={folder / 'hints'}",
                                      f"--output_dir={folder / 'cli'}",
                                      str(folder / "photos" / "points.png"),
                                      str(folder / "photos" / "strokes.png")],
                           capture_output=True, text=True, env=ENV, timeout=600)
    assert local.returncode == 0, local.stderr[-2000:]
    with_reference = subprocess.run(command + [f"--reference={folder / 'reference.png'}",
                                               f"--output_dir={folder / 'cli'}",
                                               str(folder / "photos" / "reference.png")],
                                    capture_output=True, text=True, env=ENV, timeout=600)
    assert with_reference.returncode == 0, with_reference.stderr[-2000:]
    return folder / "cli"


@pytest.fixture(scope="module")
def client(setup):
    from fastapi.testclient import TestClient

    from colorization_tf.web import app as app_lib

    with TestClient(app_lib.build_editor_app([setup["run"]])) as test_client:
        yield test_client


def _web(client, case: str) -> np.ndarray:
    files = {"image": ("photo.png", _png(_photo()))}
    if case == "reference":
        files["reference"] = ("reference.png", _png(_reference()))
    data = {"hints": json.dumps(CASES[case])} if CASES[case] else {}
    reply = client.post("/api/colorize", params={"run": "hints_global"}, files=files,
                        data=data)
    assert reply.status_code == 200, reply.text
    return np.asarray(Image.open(io.BytesIO(reply.content)).convert("RGB")).astype(int)


def _python(setup, case: str) -> np.ndarray:
    predictor = load_run(setup["run"])
    reference = setup["folder"] / "reference.png"
    glob = reference_global_hint(str(reference)) if case == "reference" else None
    return predictor.colorize_rgb(_photo(), hints=hints.parse_hints(json.dumps(CASES[case])),
                                  hint_global=glob).astype(int)


@pytest.mark.slow
@pytest.mark.compiled
def test_cli_python_web_and_saved_model_agree(setup, cli, client, tmp_path):
    predictor = load_run(setup["run"])
    out = str(tmp_path / "export")
    serving.export(predictor, out, ("saved_model",))
    model = tf.saved_model.load(os.path.join(out, "saved_model"))
    size = predictor.image_size
    plain = predictor.colorize_rgb(_photo()).astype(int)
    glob_zeros = np.zeros(reference_global_hint(str(setup["folder"] / "reference.png")).shape,
                          np.float32)
    for case in CASES:
        parsed = hints.parse_hints(json.dumps(CASES[case]))
        hint_ab, hint_mask = hints.rasterize(parsed, (HEIGHT, WIDTH), (size, size))
        glob = (reference_global_hint(str(setup["folder"] / "reference.png"))
                if case == "reference" else glob_zeros)
        exported = model.signatures["colorize_with_hints"](
            image=tf.constant(_photo()), hint_ab=tf.constant(hint_ab),
            hint_mask=tf.constant(hint_mask), hint_global=tf.constant(glob))["image"]
        outputs = {"cli": _read(cli / f"{case}.png"),
                   "python": _python(setup, case), "web": _web(client, case),
                   "saved_model": exported.numpy().astype(int)}
        for name, got in outputs.items():
            assert got.shape == (HEIGHT, WIDTH, 3), name
            worst = np.abs(got - outputs["python"]).max()
            assert worst <= 1, f"{case}: {name} differs from Predictor.colorize_rgb by {worst}"
        # the hints were read: the shared answer is not the automatic one (an untrained
        # global branch moves it by 2-4 levels, depending on the initial weights; points
        # and strokes by far more), so agreement within 1 level is not vacuous
        assert np.abs(outputs["python"] - plain).max() >= (2 if case == "reference" else 3)


def test_oversize_radius_and_width_are_refused_in_one_line_by_python_and_web(setup, client):
    predictor = load_run(setup["run"])
    wide = {"strokes": [{"points": [[3, 3], [9, 9]], "color": "#00ff00", "width": 500}]}
    for given, entry in ((OVERSIZE, "points[0]: radius=1000"), (wide, "strokes[0]: width=500")):
        with pytest.raises(ValueError) as caught:
            predictor.colorize_rgb(_photo(), hints=hints.parse_hints(json.dumps(given)))
        message = str(caught.value)
        assert f"{entry} is larger than the {WIDTH}x{HEIGHT} image" in message
        assert "\n" not in message
        reply = client.post("/api/colorize", params={"run": "hints_global"},
                            files={"image": ("p.png", _png(_photo()))},
                            data={"hints": json.dumps(given)})
        assert reply.status_code == 422
        detail = reply.json()["detail"]
        assert f"{entry} is larger than the {WIDTH}x{HEIGHT} image" in detail
        assert "\n" not in detail
    # the largest allowed: a radius of the long side, a width of twice it
    fits = {"points": [{"x": 10, "y": 10, "color": "#ff0000", "radius": WIDTH}],
            "strokes": [{"points": [[3, 3]], "color": "#00ff00", "width": 2 * WIDTH}]}
    assert predictor.colorize_rgb(_photo(), hints=hints.parse_hints(
        json.dumps(fits))).shape == (HEIGHT, WIDTH, 3)


@pytest.mark.slow
def test_oversize_radius_is_refused_in_one_line_by_the_cli(setup, tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps(OVERSIZE))
    photo = setup["folder"] / "photos" / "points.png"
    done = subprocess.run([sys.executable, "-m", "colorization_tf.colorize",
                           f"--run_dir={setup['run']}", f"--hints={path}",
                           f"--output_dir={tmp_path / 'out'}", str(photo)],
                          capture_output=True, text=True, env=ENV, timeout=600)
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if "larger than" in line]
    assert lines == [f"{photo}: {path}: points[0]: radius=1000 is larger than the "
                     f"{WIDTH}x{HEIGHT} image"], done.stderr[-2000:]
    assert not (tmp_path / "out" / "points.png").exists()
