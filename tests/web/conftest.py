"""Fixtures of the web tests: fake studies (no TensorFlow models) in-process and as a real
uvicorn server in a subprocess."""

from __future__ import annotations

import os
import sys

import pytest
import support

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import fake_study  # noqa: E402
from server_process import ServerProcess  # noqa: E402


@pytest.fixture
def make_client(tmp_path):
    """A factory of ``(TestClient, storage)`` for fake studies on a fresh database."""
    support.require_module("fastapi", "the [web] extra is not installed")
    from fastapi.testclient import TestClient

    opened = []

    def make(name: str = "study.sqlite", **options):
        app, storage = fake_study.make_app(str(tmp_path / name), **options)
        client = TestClient(app)
        opened.append((client, storage))
        return client, storage

    yield make
    for client, storage in opened:
        client.close()
        storage.close()


@pytest.fixture
def server_process(tmp_path):
    """A factory of started ``ServerProcess``es; every one is stopped after the test."""
    started = []

    def start(name: str = "study.sqlite", **options) -> ServerProcess:
        server = ServerProcess(str(tmp_path / name), **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
