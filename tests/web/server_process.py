"""A test server process: ``fake_server.py`` run with uvicorn on a free port, started,
killed (SIGKILL, as ``kill -9``) or stopped; used by the tests and the benchmark."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """``fake_server.py`` in a subprocess on a free port."""

    def __init__(self, database: str, **options) -> None:
        self.database = database
        self.options = options
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.log = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> ServerProcess:
        self.port = free_port()
        self.log = f"{self.database}.{self.port}.log"
        command = self.command()
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.read_log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"server did not start: {self.read_log()}")

    def command(self) -> list[str]:
        command = [sys.executable, os.path.join(HERE, "fake_server.py"),
                   f"--database={self.database}", f"--port={self.port}"]
        return command + [f"--{key}={value}" for key, value in self.options.items()]

    def kill(self) -> None:
        """SIGKILL, as a crash or ``kill -9`` would."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def read_log(self) -> str:
        try:
            with open(self.log) as handle:
                return handle.read()[-4000:]
        except OSError:
            return ""


class EditorProcess(ServerProcess):
    """The real ``python -m colorization_tf.web --colorize_page`` (TensorFlow; no study):
    ``run_dirs`` empty serves ``optimization`` alone. ``log_prefix``: where the log goes."""

    def __init__(self, log_prefix: str, run_dirs=(), **flags) -> None:
        super().__init__(log_prefix, **flags)
        self.run_dirs = list(run_dirs)

    def command(self) -> list[str]:
        command = [sys.executable, "-m", "colorization_tf.web", "--colorize_page",
                   "--nostudy", f"--port={self.port}"]
        if self.run_dirs:
            command.append("--run_dirs=" + ",".join(self.run_dirs))
        return command + [f"--{key}={value}" for key, value in self.options.items()]

    def start(self, timeout: float = 180.0) -> EditorProcess:
        return super().start(timeout)
