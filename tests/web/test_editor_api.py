"""The colorize editor's API with the real methods: ``optimization`` (Levin et al. 2004)
served with no run at all, untrained tiny learned-hints runs (``unet_hints``,
``unet_hints_global``) and a plain run. Hints move the colour near a point; bad hints,
oversize hint fields, hints or a reference for a run that cannot read them are 422/413
with the reason, and the next request is served."""

from __future__ import annotations

import json

import numpy as np
import pytest
import support

support.require_module("fastapi", "the [web] extra is not installed")
support.require_module("skimage")

from edge_photo import BLUE, RED, ab_of_hex, ab_of_png, check_regions, photo, png  # noqa: E402
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
    # the same points, colours swapped: the regions swap colours (nothing is fixed)
    swapped = {"points": [dict(point, color=colour) for point, colour in
                          zip(TWO_POINTS["points"], (BLUE, RED), strict=True)]}
    reply = _post(client, "optimization", swapped)
    with pytest.raises(AssertionError):
        check_regions(_ab(reply.content), EDGE, RED, BLUE)


def test_optimization_without_hints_is_gray(client):
    reply = _post(client, "optimization")
    assert reply.status_code == 200
    assert np.abs(_ab(reply.content)).max() < 1.0


def test_learned_hints_change_the_colour_near_the_point(client):
    """An untrained unet_hints run: its first layer reads the hint maps, so a point (a
    strong colour, radius 6) changes the output around it."""
    plain = _ab(_post(client, "hints").content)
    hint = {"points": [{"x": 24, "y": 32, "color": "#00c000", "radius": 6}]}
    reply = _post(client, "hints", hint)
    assert reply.status_code == 200, reply.text
    hinted = _ab(reply.content)
    change = np.linalg.norm(hinted - plain, axis=-1)
    assert change[26:39, 18:31].mean() > 0.5, change[26:39, 18:31].mean()


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
