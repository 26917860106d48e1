"""CPU features and the oneDNN switch made at import (cpu.py); the precision they
decide is tested in tests/training/test_precision.py."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from colorization_tf import cpu

AVX2_ONLY = "processor\t: 0\nflags\t\t: fpu sse sse2 avx fma avx2 bmi2\n"
AVX512_BF16 = "processor\t: 0\nflags\t\t: fpu avx avx2 avx512f avx512bw avx512_bf16\n"
SAPPHIRE_RAPIDS = "flags\t\t: avx2 avx512f amx_tile amx_bf16 amx_int8\n"


@pytest.fixture
def x86(monkeypatch):
    monkeypatch.setattr(cpu.platform, "machine", lambda: "x86_64")


@pytest.mark.parametrize("text, expected", [
    (AVX2_ONLY, dict(avx2=True, avx512=False, avx512_bf16=False, amx=False, bf16=False)),
    (AVX512_BF16, dict(avx2=True, avx512=True, avx512_bf16=True, amx=False, bf16=True)),
    (SAPPHIRE_RAPIDS, dict(avx2=True, avx512=True, avx512_bf16=False, amx=True, bf16=True)),
])
def test_cpu_features_read_from_cpuinfo(x86, tmp_path, text, expected):
    path = tmp_path / "cpuinfo"
    path.write_text(text)
    features = cpu.cpu_features(str(path))
    assert features.x86
    assert (features.avx2, features.avx512, features.avx512_bf16, features.amx,
            features.native_bfloat16) == tuple(expected.values())


def test_unreadable_cpuinfo_or_other_architectures_claim_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(cpu.platform, "machine", lambda: "x86_64")
    assert cpu.cpu_features(str(tmp_path / "missing")) == cpu.CpuFeatures(x86=True)
    monkeypatch.setattr(cpu.platform, "machine", lambda: "aarch64")
    assert cpu.cpu_features() == cpu.CpuFeatures(x86=False)


# A fresh interpreter where TensorFlow is not imported (the test session has imported it,
# which alone stops enable_onednn): only the user's setting can decide there.
FRESH_ENABLE = """
import sys
from colorization_tf import cpu
cpu.platform.machine = lambda: "x86_64"
assert "tensorflow" not in sys.modules
for environ in ({"TF_ENABLE_ONEDNN_OPTS": "0"}, {"TF_ENABLE_ONEDNN_OPTS": "1"}, {}):
    print(cpu.enable_onednn(environ), environ.get("TF_ENABLE_ONEDNN_OPTS"))
"""


def test_the_users_setting_wins_where_tensorflow_is_not_imported():
    done = subprocess.run([sys.executable, "-c", FRESH_ENABLE], capture_output=True,
                          text=True, check=True)
    assert done.stdout.split("\n")[:3] == ["False 0", "False 1", "True 1"]


def test_enable_onednn_changes_nothing_once_tensorflow_is_imported(x86, monkeypatch):
    assert "tensorflow" in sys.modules  # too late in this process: nothing is changed
    environ: dict = {}
    assert cpu.enable_onednn(environ) is False and environ == {}
    monkeypatch.delitem(sys.modules, "tensorflow")
    assert cpu.enable_onednn(environ) is True and environ == {"TF_ENABLE_ONEDNN_OPTS": "1"}
    monkeypatch.setattr(cpu.platform, "machine", lambda: "arm64")
    other: dict = {}
    assert cpu.enable_onednn(other) is False and other == {}


def _onednn_after_package_import(setting: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    if setting is not None:
        env["TF_ENABLE_ONEDNN_OPTS"] = setting
    code = ("import os, colorization_tf; from colorization_tf import cpu; "
            "print(os.environ['TF_ENABLE_ONEDNN_OPTS'], cpu.onednn_enabled())")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True)
    return done.stdout.split()


@pytest.mark.skipif(not cpu.cpu_features().x86, reason="oneDNN is switched on only on x86")
def test_importing_the_package_turns_onednn_on_unless_the_user_said_otherwise():
    assert _onednn_after_package_import(None) == ["1", "True"]
    assert _onednn_after_package_import("0") == ["0", "False"]


def test_a_cpuinfo_that_is_not_utf8_still_gives_its_flags(x86, tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_bytes(b"processor\t: 0\nmodel name\t: Caf\xe9 CPU \xff\n" + AVX512_BF16.encode())
    assert cpu.cpu_features(str(path)) == cpu.CpuFeatures(
        x86=True, avx2=True, avx512=True, avx512_bf16=True, amx=False)


@pytest.mark.skipif(not (os.path.isfile("/proc/cpuinfo") and cpu.cpu_features().x86),
                    reason="reads Linux's /proc/cpuinfo on x86")
def test_by_default_this_machines_cpuinfo_is_read():
    with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
        line = next(li for li in handle if li.startswith("flags"))
    flags = set(line.split(":", 1)[1].split())
    assert cpu.cpu_features() == cpu.CpuFeatures(
        x86=True, avx2="avx2" in flags, avx512="avx512f" in flags,
        avx512_bf16="avx512_bf16" in flags, amx="amx_bf16" in flags)


def test_the_features_as_a_dict_name_each_one_and_the_decision():
    features = cpu.CpuFeatures(x86=True, avx2=True, avx512=True, avx512_bf16=True)
    assert features.to_dict() == {"x86": True, "avx2": True, "avx512": True,
                                  "avx512_bf16": True, "amx": False, "native_bfloat16": True}


def test_enable_onednn_sets_the_process_environment_by_default(x86, monkeypatch):
    environ: dict = {}
    monkeypatch.setattr(cpu.os, "environ", environ)
    monkeypatch.delitem(sys.modules, "tensorflow")
    assert cpu.enable_onednn() is True and environ == {"TF_ENABLE_ONEDNN_OPTS": "1"}


@pytest.mark.skipif(os.environ.get("TF_ENABLE_ONEDNN_OPTS") not in ("0", "1"),
                    reason="the package sets the variable only on x86 before TensorFlow")
def test_onednn_enabled_reports_what_the_variable_asked_for():
    # conftest imports the package before TensorFlow: the variable decided the kernels
    assert cpu.onednn_enabled() is (os.environ["TF_ENABLE_ONEDNN_OPTS"] == "1")
