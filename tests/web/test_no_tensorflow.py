"""The study server needs no TensorFlow: importing every web module but the command line,
serving a fake study and a colorize upload leave ``tensorflow`` out of ``sys.modules``
(checked in a fresh interpreter: the test session itself has imported it)."""

from __future__ import annotations

import os
import subprocess
import sys

import support

support.require_module("fastapi", "the [web] extra is not installed")

HERE = os.path.dirname(os.path.abspath(__file__))

SCRIPT = """
import io, sys, tempfile
sys.path.insert(0, {here!r})
import colorization_tf.web
from colorization_tf.web import (admin, app, colorize_api, csv_export, editor_routes,
                                 exclusions, experimenter, images, limits, options,
                                 participant, planning, responses, results, runs, schema,
                                 statistics, storage, study, study_config, uploads)
import fake_study
import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

server, db = fake_study.make_app(tempfile.mkdtemp() + "/s.sqlite")
client = TestClient(server)
trial = client.get("/api/trial").json()
assert client.post("/api/answer", json={{"trial_id": trial["trial_id"],
                                         "answer": "real"}}).status_code == 200
assert client.get("/api/results", headers=fake_study.ADMIN).status_code == 200
photo = io.BytesIO()
Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(photo, format="PNG")
reply = client.post("/api/colorize", files={{"image": ("a.png", photo.getvalue())}})
assert reply.status_code == 200, reply.text
results.turing_results(db.path)
heavy = sorted(name for name in sys.modules
               if name.split(".")[0] in ("tensorflow", "keras", "tensorflow_datasets"))
print("HEAVY", heavy)
"""


def test_the_study_server_imports_no_tensorflow():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.getcwd(), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, "-c", SCRIPT.format(here=HERE)],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "HEAVY []" in result.stdout, result.stdout
