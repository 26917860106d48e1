"""What the CPU can do, and TensorFlow's oneDNN kernels switched on wherever they help.

TensorFlow turns its oneDNN kernels on by default only on x86 CPUs with AVX-512 VNNI/BF16
or AMX; on the AVX2 CPUs of most laptops and cloud machines it falls back to kernels about
3x slower for this package's convolutions. ``enable_onednn`` (called when the package is
imported, before TensorFlow) sets ``TF_ENABLE_ONEDNN_OPTS=1`` on x86 unless the user set it:
a user's own setting always wins. This module imports nothing heavy.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import sys

ONEDNN_VARIABLE = "TF_ENABLE_ONEDNN_OPTS"
X86_MACHINES = ("x86_64", "amd64", "i386", "i686", "x86")
# /proc/cpuinfo flag names of the features that decide the kernels and precisions.
FEATURE_FLAGS = {"avx2": "avx2", "avx512": "avx512f", "avx512_bf16": "avx512_bf16",
                 "amx": "amx_bf16"}


@dataclasses.dataclass(frozen=True)
class CpuFeatures:
    """The x86 features that matter here (all False off x86 or where unknown)."""

    x86: bool
    avx2: bool = False
    avx512: bool = False
    avx512_bf16: bool = False
    amx: bool = False

    @property
    def native_bfloat16(self) -> bool:
        """Whether bfloat16 arithmetic runs natively (AVX512_BF16 or AMX): elsewhere
        mixed_bfloat16 is emulated and several times slower than float32."""
        return self.avx512_bf16 or self.amx

    def to_dict(self) -> dict[str, bool]:
        return {**dataclasses.asdict(self), "native_bfloat16": self.native_bfloat16}


def _cpuinfo_flags(path: str) -> set[str] | None:
    """The feature flags of the first processor in ``path``, or None if unreadable."""
    try:
        with open(path, encoding="utf-8", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        return None
    return None


def cpu_features(cpuinfo: str = "/proc/cpuinfo") -> CpuFeatures:
    """This machine's CPU features (Linux reads ``/proc/cpuinfo``; elsewhere only the
    architecture is known, and the bfloat16 features count as absent)."""
    x86 = platform.machine().lower() in X86_MACHINES
    flags = _cpuinfo_flags(cpuinfo) if x86 else None
    if not flags:
        return CpuFeatures(x86=x86)
    return CpuFeatures(x86=True, **{name: flag in flags
                                    for name, flag in FEATURE_FLAGS.items()})


def enable_onednn(environ: dict | None = None) -> bool:
    """Sets ``TF_ENABLE_ONEDNN_OPTS=1`` on x86 when the user has not set it and TensorFlow
    is not imported yet (it reads the variable once, at import); True if it set it."""
    environ = os.environ if environ is None else environ
    if (ONEDNN_VARIABLE in environ or "tensorflow" in sys.modules
            or platform.machine().lower() not in X86_MACHINES):
        return False
    environ[ONEDNN_VARIABLE] = "1"
    return True


def onednn_enabled() -> bool:
    """Whether TensorFlow runs its oneDNN kernels in this process (imports TensorFlow)."""
    from tensorflow.python.util import _pywrap_util_port

    return bool(_pywrap_util_port.IsMklEnabled())
