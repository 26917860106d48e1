"""The colorize editor's API with the real methods: ``optimization`` (Levin et al. 2004)
served with no run at all, untrained tiny learned-hints runs (``unet_hints``,
``unet_hints_global``), a plain run, and a briefly trained ``unet_hints`` run whose
points pull the colour toward their own; bad hints,
oversize hint fields, hints or a reference for a run that cannot read them are 422/413
with the reason, and the next request is served."""

from __future__ import annotations

import json

import numpy as np
import pytest
import support

support.require_module("fastapi", "the [web] extra is not installed")
support.require_module("skimage")

from edge_photo import (  # noqa: E402
    BLUE,
    BLUE_AB,
    DARK,
    LIGHT,
    RED,
    RED_AB,
    ab_of_hex,
    ab_of_png,
    check_regions,
    gray_l,
    lab_hex,
    photo,
    png,
)
from untrained_run import untrained_run  # noqa: E402

WIDTH, HEIGHT, EDGE = 96, 64, 48  # a vertical edge between columns 47 and 48


def edge_photo() -> np.ndarray:
    return photo(WIDTH, HEIGHT, EDGE)


_png, _ab, _hint_ab = png, ab_of_png, ab_of_hex

TWO_POINTS = {"points": [{"x": 20, "y": 30, "color": RED, "radius": 2},
                         {"x": 75, "y": 30, "color": BLUE, "radius": 2}]}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """The editor alone (no study) over an untrained unet_hints run, an untrained
    unet_hints_global run, an untrained unet_l1 run, and optimization."""
    from fastapi.testclient import TestClient

    from colorization_tf.web import app as app_lib
    from colorization_tf.web import colorize_api

    folder = tmp_path_factory.mktemp("runs")
    run_dirs = [untrained_run(str(folder / name), preset) for name, preset in (
        ("hints", "unet_hints"), ("hints_global", "unet_hints_global"), ("plain", "unet_l1"))]
    limits = colorize_api.UploadLimits(max_hints_bytes=2_000_000)
    with TestClient(app_lib.build_editor_app(run_dirs, limits)) as test_client:
        yield test_client


def _post(client, run, hints=None, photo=None, reference=None, path="/api/colorize",
          **params):
    files = {"image": ("photo.png", _png(edge_photo() if photo is None else photo))}
    if reference is not None:
        files["reference"] = ("reference.png", _png(reference))
    data = {} if hints is None else {"hints": hints if isinstance(hints, str)
                                     else json.dumps(hints)}
    return client.post(path, params={"run": run, **params}, files=files, data=data)


def _still_serving(client) -> None:
    reply = _post(client, "optimization", TWO_POINTS)
    assert reply.status_code == 200, reply.text


def test_runs_lists_every_method_with_what_it_reads(client):
    methods = client.get("/api/runs").json()["methods"]
    assert [(m["name"], m["hints"], m["reference"], m["suggest"]) for m in methods] == [
        ("hints", True, False, True), ("hints_global", True, True, True),
        ("plain", False, False, False), ("optimization", True, False, False)]
    assert client.get("/", follow_redirects=False).headers["location"] == "/colorize"
    assert 'id="overlay"' in client.get("/colorize").text


def test_optimization_gives_each_region_its_points_colour(client):
    """Levin et al. 2004 across a strong edge: each flat region takes its own point's
    colour, at the point, everywhere else on its side and right up to the edge, within
    ``edge_photo.TOLERANCE_AB`` (CIELAB ab units; its derivation is there)."""
    reply = _post(client, "optimization", TWO_POINTS)
    assert reply.status_code == 200, reply.text
    ab = _ab(reply.content)
    assert ab.shape == (HEIGHT, WIDTH, 2)
    assert np.linalg.norm(_hint_ab(RED) - _hint_ab(BLUE)) > 60
    check_regions(ab, EDGE, RED, BLUE)
    # the same points, chromas swapped (each at its own side's lightness, so in gamut):
    # the regions swap colours (nothing is fixed)
    left, right = lab_hex(gray_l(DARK), BLUE_AB), lab_hex(gray_l(LIGHT), RED_AB)
    swapped = {"points": [dict(point, color=colour) for point, colour in
                          zip(TWO_POINTS["points"], (left, right), strict=True)]}
    reply = _post(client, "optimization", swapped)
    assert reply.status_code == 200, reply.text
    check_regions(_ab(reply.content), EDGE, left, right)


def test_optimization_without_hints_is_gray(client):
    reply = _post(client, "optimization")
    assert reply.status_code == 200
    assert np.abs(_ab(reply.content)).max() < 1.0


@pytest.mark.slow
def test_learned_hints_pull_the_colour_toward_the_point(tmp_path):
    """A unet_hints run trained briefly to follow hints (``hint_runs``): through the API,
    each of three points (radius 10, on the dark side) pulls the colour around it toward
    its own colour (the same check fails for an untrained run: tests/colorizers). (The
    colours lie away from the run's automatic brown: a hint near it has little distance
    to pull in, so its ratio says little.)"""
    from fastapi.testclient import TestClient
    from hint_runs import TOWARD, toward, trained_hint_run

    from colorization_tf.web import app as app_lib

    run = trained_hint_run(str(tmp_path / "trained"))
    with TestClient(app_lib.build_editor_app([run])) as trained:
        plain = _ab(_post(trained, "trained").content)
        for ab in ((40.0, -30.0), (-30.0, 40.0), (20.0, -15.0)):
            colour = lab_hex(gray_l(DARK), ab)
            hint = {"points": [{"x": 24, "y": 32, "color": colour, "radius": 10}]}
            reply = _post(trained, "trained", hint)
            assert reply.status_code == 200, reply.text
            ratio = toward(plain[28:37, 20:29], _ab(reply.content)[28:37, 20:29],
                           _hint_ab(colour))
            assert ratio < TOWARD, (colour, ratio)


def test_suggest_offers_the_runs_colour_at_the_pixel(client):
    reply = _post(client, "hints", TWO_POINTS, path="/api/suggest", x=10, y=10)
    assert reply.status_code == 200, reply.text
    colors = reply.json()["colors"]
    assert 1 <= len(colors) <= 5 and all(len(c) == 7 and c[0] == "#" for c in colors)
    for run in ("optimization", "plain"):
        refused = _post(client, run, None, path="/api/suggest", x=10, y=10)
        assert refused.status_code == 422 and "suggests no colours" in refused.json()["detail"]
    outside = _post(client, "hints", None, path="/api/suggest", x=500, y=10)
    assert outside.status_code == 422 and "outside" in outside.json()["detail"]


def test_reference_photo_for_a_global_run_only(client):
    reference = np.zeros((40, 40, 3), np.uint8)
    reference[..., 0] = 200
    assert _post(client, "hints_global", TWO_POINTS, reference=reference).status_code == 200
    for run in ("hints", "optimization"):
        reply = _post(client, run, TWO_POINTS, reference=reference)
        assert reply.status_code == 422
        assert "reads no reference" in reply.json()["detail"]
    _still_serving(client)


def test_hints_for_a_run_that_reads_none_name_the_run(client):
    reply = _post(client, "plain", TWO_POINTS)
    assert reply.status_code == 422
    assert "run plain" in reply.json()["detail"] and "reads no hints" in reply.json()["detail"]
    assert _post(client, "plain").status_code == 200
    _still_serving(client)


TOO_MANY = {"points": [{"x": 1, "y": 1, "color": "#ff0000"}] * 10_001}


@pytest.mark.parametrize("hints,reason", [
    ("{not json", "not valid JSON"),
    ({"points": [{"x": 1, "y": 1, "colour": "#ff0000"}]}, "unknown key 'colour'"),
    ({"points": [{"x": 1, "y": 1, "color": "red"}]}, "is not an sRGB hex colour"),
    ({"points": [{"x": 5000, "y": 1, "color": "#ff0000"}]},
     "points[0]: x=5000 is outside the 96x64 image"),
    ({"strokes": [{"points": [[1, 1], [2, -3]], "color": "#ff0000"}]},
     "strokes[0].points[1]: y=-3 is outside"),
    ({"points": [{"x": 1, "y": 1, "color": "#ff0000", "radius": -1}]}, "must not be negative"),
    ({"points": [{"x": 1, "y": 1, "color": "#ff0000", "radius": 1e9}]}, "larger than the"),
    (TOO_MANY, "at most 10000"),
    ([1, 2], "expected a JSON object"),
])
def test_bad_hints_are_422_with_the_reason(client, hints, reason):
    for run in ("optimization", "hints"):
        reply = _post(client, run, hints)
        assert reply.status_code == 422, reply.text
        detail = reply.json()["detail"]
        assert reason in detail and "\n" not in detail, detail
    _still_serving(client)


def test_an_oversize_hints_field_is_413(tmp_path):
    from fastapi.testclient import TestClient

    from colorization_tf.web import app as app_lib
    from colorization_tf.web import colorize_api

    limits = colorize_api.UploadLimits(max_hints_bytes=1000)
    with TestClient(app_lib.build_editor_app((), limits)) as small:
        big = {"points": [{"x": 1, "y": 1, "color": "#ff0000"}] * 100}
        reply = _post(small, "optimization", big)
        assert reply.status_code == 413 and "hints" in reply.json()["detail"]
        as_file = small.post("/api/colorize", params={"run": "optimization"}, files={
            "image": ("p.png", _png(edge_photo())),
            "hints": ("h.json", json.dumps(big).encode())})
        assert as_file.status_code == 413
        assert [m["name"] for m in small.get("/api/runs").json()["methods"]] == [
            "optimization"]
        _still_serving(small)
