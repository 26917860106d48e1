"""POST /api/colorize and its limits: PNG at the upload's resolution; 413 for size and
pixel caps (decompression bombs); 415/422 for non-images and damaged files; unknown run
422; and the server keeps serving after each."""

from __future__ import annotations

import io
import struct
import zlib

import fake_study
import numpy as np
import pytest
import support
from PIL import Image

support.require_module("fastapi", "the [web] extra is not installed")


def _png(width: int, height: int, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width x height`` but holds almost no data (a decompression bomb
    as Pillow first sees it)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b""))


def _post(client, data: bytes, run: str | None = None, name: str = "photo.png"):
    params = {"run": run} if run is not None else None
    return client.post("/api/colorize", params=params,
                       files={"image": (name, data, "application/octet-stream")})


def _still_serving(client) -> None:
    reply = _post(client, _png(8, 6))
    assert reply.status_code == 200
    assert client.get("/api/study").status_code == 200


def test_colorize_returns_a_png_at_the_uploads_resolution(make_client):
    client, _ = make_client()
    upload = _png(123, 45)
    reply = _post(client, upload)
    assert reply.status_code == 200 and reply.headers["content-type"] == "image/png"
    out = np.asarray(Image.open(io.BytesIO(reply.content)))
    original = np.asarray(Image.open(io.BytesIO(upload)))
    assert out.shape == (45, 123, 3)
    assert np.array_equal(out, fake_study.hue_shift(original))  # the first run: run_a
    other = _post(client, upload, run="run_b")
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(other.content))),
                          fake_study.hue_shift_back(original))


def test_colorize_page_and_runs(make_client):
    client, _ = make_client()
    assert client.get("/api/runs").json()["runs"] == ["run_a", "run_b"]
    assert [m["hints"] for m in client.get("/api/runs").json()["methods"]] == [False, False]
    assert 'id="overlay"' in client.get("/colorize").text


def test_fake_runs_refuse_hints_naming_the_run(make_client):
    client, _ = make_client()
    reply = client.post("/api/colorize", params={"run": "run_b"}, data={"hints": "{}"},
                        files={"image": ("a.png", _png(8, 6))})
    assert reply.status_code == 422 and "run run_b reads no hints" in reply.json()["detail"]
    _still_serving(client)


@pytest.mark.parametrize("case,status,reason", [
    ("text", 415, "not an image"),
    ("empty", 415, "empty"),
    ("truncated", 422, "truncated"),
    ("over_pixel_cap", 413, "pixels"),
    ("bomb", 413, "too large"),
    ("over_size_cap", 413, "larger than"),
    ("far_over_size_cap", 413, None),
    ("unknown_run", 422, "unknown run"),
])
def test_bad_uploads_are_refused_with_a_reason(make_client, case, status, reason):
    client, _ = make_client(max_upload_bytes=200_000, max_pixels=1_000_000)
    good = _png(40, 30)
    data = {
        "text": b"hello, this is not a picture\n" * 10,
        "empty": b"",
        "truncated": _png(300, 200)[:20_000],
        "over_pixel_cap": _png_header_only(1500, 1000),
        "bomb": _png_header_only(100_000, 100_000),
        "over_size_cap": good + b"\0" * 200_000,
        "far_over_size_cap": good + b"\0" * 2_000_000,
        "unknown_run": good,
    }[case]
    reply = _post(client, data, run="nope" if case == "unknown_run" else None)
    assert reply.status_code == status, reply.text
    if reason is not None:
        detail = reply.json()["detail"]
        assert reason in detail and "\n" not in detail
    _still_serving(client)


def test_default_size_cap_is_20_mb(make_client):
    client, _ = make_client()
    reply = _post(client, _png(8, 8) + b"\0" * (20 * 1024 * 1024))
    assert reply.status_code == 413
    _still_serving(client)


def test_missing_field_is_422(make_client):
    client, _ = make_client()
    reply = client.post("/api/colorize", files={"photo": ("a.png", _png(4, 4), "image/png")})
    assert reply.status_code == 422
    _still_serving(client)


def test_without_a_colorizer_the_page_answers_503(tmp_path):
    from fastapi.testclient import TestClient

    from colorization_tf.web import app as app_lib

    config, db, pool = fake_study.prepare(tmp_path / "s.sqlite", count=2)
    options = app_lib.ServerOptions(admin_token=fake_study.ADMIN_TOKEN, colorize_page=True)
    with db, TestClient(app_lib.create_app(config, db, pool, options)) as client:
        assert _post(client, _png(4, 4)).status_code == 503
        assert client.get("/api/runs").json()["runs"] == []


def test_the_colorize_page_is_off_unless_asked_for(make_client):
    client, _ = make_client(colorize_page=False)
    assert client.get("/colorize").status_code == 404
    assert client.get("/api/runs").status_code == 404
    assert _post(client, _png(8, 6)).status_code in (404, 405)
    assert client.get("/api/study").status_code == 200


def test_photos_reach_the_colorizer_as_integers(make_client):
    seen = []

    def colorize(codes, run):
        seen.append((codes.dtype, codes.shape))
        return fake_study.hue_shift(codes)

    client, _ = make_client(colorize_fn=colorize)
    gray16 = np.linspace(0, 65535, 30 * 20).reshape(20, 30).astype(np.uint16)
    buffer = io.BytesIO()
    Image.fromarray(gray16).save(buffer, format="PNG")
    jpeg = io.BytesIO()
    Image.fromarray(np.zeros((10, 12, 3), np.uint8)).save(jpeg, format="JPEG")
    for data in (_png(12, 10), jpeg.getvalue(), buffer.getvalue()):
        assert _post(client, data).status_code == 200
    assert seen == [(np.uint8, (10, 12, 3)), (np.uint8, (10, 12, 3)),
                    (np.uint16, (20, 30, 3))]


def test_excess_uploads_get_503_and_decoding_waits_for_a_worker(make_client, monkeypatch):
    """One worker, one waiting place: while the worker is held, a second upload waits
    undecoded and a third is refused at once with 503 and Retry-After."""
    import threading
    import time

    from colorization_tf.web import uploads

    release, started = threading.Event(), threading.Event()
    decoded = []
    real_decode = uploads.decode
    monkeypatch.setattr(uploads, "decode",
                        lambda stream, pixels: decoded.append(1) or real_decode(stream, pixels))

    def slow(codes, run):
        started.set()
        assert release.wait(60)
        return fake_study.hue_shift(codes)

    client, _ = make_client(colorize_fn=slow, workers=1, queue=1)
    replies = {}

    def post(key):
        replies[key] = _post(client, _png(16, 16))

    first = threading.Thread(target=post, args=("first",))
    first.start()
    assert started.wait(60), replies
    second = threading.Thread(target=post, args=("second",))
    second.start()
    gate = client.app.state.colorize_gate
    deadline = time.monotonic() + 60
    while gate.inside < 2 and time.monotonic() < deadline:  # the second one waits
        time.sleep(0.01)
    third = _post(client, _png(16, 16))
    assert third.status_code == 503 and third.headers["Retry-After"] == "10"
    assert "busy" in third.json()["detail"]
    assert len(decoded) == 1  # the waiting upload is not decoded yet
    assert client.get("/api/study").status_code == 200  # the study is still served
    release.set()
    first.join(30)
    second.join(30)
    assert replies["first"].status_code == replies["second"].status_code == 200
    assert len(decoded) == 2
