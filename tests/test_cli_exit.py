"""A flag the command does not know, or a bad value for one it does, is a user error:
one line naming the flag on stderr, no traceback, exit status 2 (``cli.run``)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _export(*flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "colorization_tf.export", *flags],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
@pytest.mark.parametrize("flag, named", [
    ("--no_such_flag=1", "no_such_flag"),      # unknown flag
    ("--render_size=big", "--render_size=big"),  # bad value for an integer flag
])
def test_flag_parse_error_exits_2_with_one_line(flag, named):
    done = _export("--run_dir=runs/x", "--out=/tmp/never_written", flag)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr[-2000:]
    assert len(lines) == 1, done.stderr[-2000:]
    assert lines[0].startswith("colorization-export: ") and named in lines[0]
