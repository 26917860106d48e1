"""``python -m colorization_tf.web``: flag errors are one line without a traceback, and
the library call behind it builds a servable study (runs and data faked, no TensorFlow)."""

from __future__ import annotations

import subprocess
import sys

import fake_study
import pytest
import support

support.require_module("fastapi", "the [web] extra is not installed")


def _cli(*flags: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "colorization_tf.web", *flags],
                          capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.mark.parametrize("flags,expected", [
    ((), "--run_dirs is required"),
    (("--run_dirs=/no/such/run",), "--run_dirs: /no/such/run is not a folder"),
    (("--run_dirs=a,a", "--mode=pair"), "--run_dirs: run names"),
    (("--run_dirs=a", "--admin_token=short"), "--admin_token"),
    (("--run_dirs=a", "--completion_url=javascript:alert(1)"), "--completion_url"),
    (("--run_dirs=a", "--exclude_same_answer_at=0.3"), "--exclude_same_answer_at"),
    (("--run_dirs=a", "--nostudy"), "--nostudy: give --colorize_page"),
    (("--colorize_page", "--run_dirs=/no/such/run", "--nostudy"),
     "--run_dirs: /no/such/run is not a folder"),
])
def test_user_errors_are_one_line(tmp_path, flags, expected):
    result = _cli(*flags, f"--database={tmp_path / 's.sqlite'}", cwd=tmp_path)
    assert result.returncode != 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _fake_runs(monkeypatch) -> None:
    """Run directories load as fake colorizers (no TensorFlow)."""
    from colorization_tf.web import runs

    monkeypatch.setattr(runs, "load_predictors",
                        lambda dirs: {runs.run_name(d): None for d in dirs})
    monkeypatch.setattr(runs, "colorizers_of",
                        lambda predictors: fake_study.fake_colorizers(tuple(predictors)))


def test_colorize_page_without_runs_serves_the_editor_alone(tmp_path, monkeypatch, capsys):
    """``--colorize_page`` and no ``--run_dirs``: the optimization editor, no study and no
    database."""
    from absl import flags
    from fastapi.testclient import TestClient

    from colorization_tf.web import __main__ as web_main
    from colorization_tf.web import app as app_lib

    served = []
    monkeypatch.setattr(app_lib, "serve", lambda app, host, port: served.append(app))
    argv = ["colorization-web", "--colorize_page", "--port=8124",
            f"--database={tmp_path / 'never.sqlite'}"]
    try:
        flags.FLAGS(argv)
        web_main.main(argv[:1])
    finally:
        flags.FLAGS.unparse_flags()
    assert "colorize editor at http://127.0.0.1:8124/colorize" in capsys.readouterr().out
    assert not (tmp_path / "never.sqlite").exists()
    with TestClient(served[0]) as client:
        assert [m["name"] for m in client.get("/api/runs").json()["methods"]] == [
            "optimization"]
        assert client.get("/api/study").status_code == 404


def test_bad_flag_values_are_refused_by_absl(tmp_path):
    result = _cli("--mode=triple", "--run_dirs=a", cwd=tmp_path)
    assert result.returncode != 0 and "--mode" in result.stderr


def test_build_study_app_prepares_the_pool_once(tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from colorization_tf.web import app as app_lib
    from colorization_tf.web import runs

    (tmp_path / "run_a").mkdir()
    (tmp_path / "run_b").mkdir()
    loads = []
    _fake_runs(monkeypatch)
    monkeypatch.setattr(runs, "load_originals",
                        lambda *args: loads.append(args) or fake_study.fake_originals(4))
    options = dict(run_dirs=[str(tmp_path / "run_a"), str(tmp_path / "run_b") + "/"],
                   dataset="samples", split="test", images=4, image_size=32,
                   database=str(tmp_path / "study.sqlite"), mode="pair", trials=3,
                   practice_trials=0)
    server, storage = app_lib.build_study_app(**options)
    token = server.state.new_admin_token  # generated at the first start
    assert token and len(token) >= 16
    with storage, TestClient(server) as client:
        trial = client.get("/api/trial").json()
        assert len(trial["images"]) == 2
        assert client.post("/api/answer", json={"trial_id": trial["trial_id"],
                                                "answer": 0}).status_code == 200
        assert client.get("/api/results").status_code == 401
        results = client.get("/api/results", headers={"Authorization": f"Bearer {token}"})
        assert set(results.json()["runs"]) == {"run_a", "run_b"}
        assert client.get("/colorize").status_code == 404  # off without --colorize_page
    assert loads == [("samples", "test", 4, 32)]
    server, storage = app_lib.build_study_app(**options)  # a restart reuses the pool
    with storage, TestClient(server) as client:
        assert server.state.new_admin_token is None  # kept, not printed again
        assert client.get("/api/results", headers={"Authorization": f"Bearer {token}"}
                          ).status_code == 200
    assert len(loads) == 1
    assert len(list((tmp_path / "study.sqlite.images").glob("*.png"))) == 4 * 4


def test_the_generated_token_is_printed_once_with_the_results_url(tmp_path, monkeypatch,
                                                                  capsys):
    from absl import flags

    from colorization_tf.web import __main__ as web_main
    from colorization_tf.web import app as app_lib
    from colorization_tf.web import runs

    (tmp_path / "run_a").mkdir()
    _fake_runs(monkeypatch)
    monkeypatch.setattr(runs, "load_originals", lambda *args: fake_study.fake_originals(4))
    served = []
    monkeypatch.setattr(app_lib, "serve", lambda app, host, port: served.append(app))
    argv = ["colorization-web", f"--run_dirs={tmp_path / 'run_a'}", "--images=4",
            "--image_size=32", f"--database={tmp_path / 'study.sqlite'}", "--port=8123"]
    try:
        flags.FLAGS(argv)
        web_main.main(argv[:1])
        first = capsys.readouterr().out
        web_main.main(argv[:1])
        second = capsys.readouterr().out
    finally:
        flags.FLAGS.unparse_flags()
    token = served[0].state.new_admin_token
    assert token and f"http://127.0.0.1:8123/results?token={token}" in first
    assert token not in second and "/results (with the admin token)" in second
    assert "/colorize" not in first  # off without --colorize_page
