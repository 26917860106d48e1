"""The web app on the real inference layer: a run directory made without training (a
freshly initialised tiny U-Net saved as its weights) is loaded with ``load_run``, the pool
is built from the embedded ``samples`` split, and the study and colorize page serve it."""

from __future__ import annotations

import io

import fake_study
import numpy as np
import pytest
import support
from PIL import Image

support.require_module("fastapi", "the [web] extra is not installed")


@pytest.mark.slow
def test_study_and_colorize_page_on_a_loaded_run(tmp_path):
    from fastapi.testclient import TestClient
    from untrained_run import untrained_run

    from colorization_tf.web import app as app_lib

    run_dir = untrained_run(str(tmp_path / "tiny_unet"))
    server, storage = app_lib.build_study_app(
        run_dirs=[run_dir], dataset="samples", split="test", images=3, image_size=32,
        database=str(tmp_path / "study.sqlite"), trials=3, practice_trials=1,
        admin_token=fake_study.ADMIN_TOKEN, colorize_page=True)
    with storage, TestClient(server) as client:
        # the editor serves the run and the optimization (no run needed)
        assert client.get("/api/runs").json()["runs"] == ["tiny_unet", "optimization"]
        trial = client.get("/api/trial").json()
        picture = Image.open(io.BytesIO(client.get(trial["images"][0]).content))
        assert picture.size == (32, 32)
        assert client.post("/api/answer", json={"trial_id": trial["trial_id"],
                                                "answer": "real"}).status_code == 200
        upload = io.BytesIO()
        Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 60, 3), np.uint8)
                        ).save(upload, format="PNG")
        reply = client.post("/api/colorize", files={"image": ("a.png", upload.getvalue(),
                                                              "image/png")})
        assert reply.status_code == 200
        assert Image.open(io.BytesIO(reply.content)).size == (60, 40)
    assert len(list((tmp_path / "study.sqlite.images").glob("*.png"))) == 3 * 3
