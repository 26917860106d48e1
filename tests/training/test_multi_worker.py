"""``--strategy=multi_worker``: two worker processes on localhost, each one CPU replica,
reading TF_CONFIG as on two machines (the way TensorFlow's own multi-worker tests run:
free ports, one TF_CONFIG per subprocess), train the same steps as one process on the
same global batches."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from colorization_tf import training
from colorization_tf.inference import load_run
from colorization_tf.training import RunDir

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import multi_worker_main  # noqa: E402

WORKERS = 2
TIMEOUT_S = 240


def _free_ports(count: int) -> list[int]:
    """``count`` distinct ports free on localhost now (sockets held until all are drawn)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("localhost", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _start_worker(index: int, cluster: list[str], run_dir: str, log: str) -> subprocess.Popen:
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="-1", TF_CONFIG=json.dumps(
        {"cluster": {"worker": cluster}, "task": {"type": "worker", "index": index}}))
    with open(log, "w") as out:
        return subprocess.Popen([sys.executable, os.path.join(HERE, "multi_worker_main.py"),
                                 run_dir], env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait(workers: list[subprocess.Popen], logs: list[str]) -> None:
    try:
        for worker in workers:
            worker.wait(timeout=TIMEOUT_S)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    for worker, log in zip(workers, logs, strict=True):
        if worker.returncode:
            tail = open(log).read()[-3000:]
            pytest.fail(f"worker exited with {worker.returncode}; log {log}:\n{tail}")


def _loss_and_weights(run_dir: str):
    history = np.genfromtxt(RunDir(run_dir).history, delimiter=",", names=True)
    return float(history["loss"]), load_run(run_dir).colorizer.generator.get_weights()


@pytest.mark.slow
@pytest.mark.compiled
def test_two_workers_match_one_process(tmp_path):
    cluster = [f"localhost:{port}" for port in _free_ports(WORKERS)]
    run_dirs = [str(tmp_path / f"worker{i}") for i in range(WORKERS)]
    logs = [str(tmp_path / f"worker{i}.log") for i in range(WORKERS)]
    workers = [_start_worker(i, cluster, run_dirs[i], logs[i]) for i in range(WORKERS)]
    try:  # the single-process reference trains while the workers do
        reference = str(tmp_path / "single")
        training.train(multi_worker_main.config("default"), reference, verbose=0)
    finally:
        _wait(workers, logs)
    loss, weights = _loss_and_weights(reference)
    chief_loss, chief = _loss_and_weights(run_dirs[0])
    other_loss, other = _loss_and_weights(run_dirs[1])
    # Every worker applies the same all-reduced gradients: identical weights.
    assert other_loss == chief_loss
    for a, b in zip(chief, other, strict=True):
        np.testing.assert_array_equal(a, b)
    # Per-worker batches of 4 are the two halves of the single run's batches of 8 (input
    # order is a function of (seed, epoch)), the loss is averaged over the global batch and
    # batch norm is synchronised: the runs agree up to float32 reduction order.
    np.testing.assert_allclose(chief_loss, loss, rtol=1e-4)
    for a, b in zip(chief, weights, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)
    for run_dir in run_dirs:  # each worker kept its own run directory and backup
        assert RunDir(run_dir).resume_epoch() == 1
