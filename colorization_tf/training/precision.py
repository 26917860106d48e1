"""Mixed precision: on by default where the device computes the lower precision natively.

``mixed_float16`` on GPUs with tensor cores (compute capability 7.0 or later),
``mixed_bfloat16`` on TPUs and on CPUs with AVX512_BF16 or AMX, float32 elsewhere (older
GPUs, AVX2-only CPUs, where the lower precision is emulated and slower). A run's
``RuntimeConfig.mixed_precision`` is None until ``resolve`` decides it; the run directory
then records the decision, and a resumed run keeps it.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator

import tensorflow as tf

from colorization_tf import cpu, models
from colorization_tf.training.config import RunConfig

TENSOR_CORE_CAPABILITY = (7, 0)  # Volta: the first GPUs with float16 tensor cores


@dataclasses.dataclass(frozen=True)
class Native:
    """Whether this machine's device computes a lower precision natively, and why."""

    mixed: bool
    reason: str


def native() -> Native:
    """What the device the run trains on computes natively (the first GPU if any, else a
    TPU, else the CPU)."""
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        capability = tuple(details.get("compute_capability") or (0, 0))
        name = details.get("device_name", "GPU")
        if capability >= TENSOR_CORE_CAPABILITY:
            return Native(True, f"{name} has float16 tensor cores")
        return Native(False, f"{name} (compute capability {capability[0]}.{capability[1]}) "
                      "has no float16 tensor cores")
    if tf.config.list_logical_devices("TPU"):
        return Native(True, "TPUs compute bfloat16 natively")
    features = cpu.cpu_features()
    if features.native_bfloat16:
        which = " and ".join(name for name, present in
                             (("AVX512_BF16", features.avx512_bf16), ("AMX", features.amx))
                             if present)
        return Native(True, f"this CPU computes bfloat16 natively ({which})")
    return Native(False, "this CPU has no native bfloat16 (AVX512_BF16 or AMX), where "
                  "mixed_bfloat16 is several times slower than float32")


def wanted(requested: bool | None) -> bool:
    """``requested`` when given, else whether the device computes the lower precision
    natively: what ``--mixed_precision`` left unset means."""
    return native().mixed if requested is None else requested


def policy_name(force: bool = False) -> str:
    """The policy mixed precision means here: ``mixed_float16`` where a GPU is visible,
    ``mixed_bfloat16`` on a TPU or a CPU with native bfloat16, and ``float32`` on other
    CPUs unless ``force``."""
    if tf.config.list_physical_devices("GPU"):
        return "mixed_float16"
    if force or tf.config.list_logical_devices("TPU") or cpu.cpu_features().native_bfloat16:
        return "mixed_bfloat16"
    return "float32"


def resolve(config: RunConfig, stored: RunConfig | None = None) -> RunConfig:
    """``config`` with ``mixed_precision`` decided: the user's choice when given, else what
    a resumed run (``stored``) used, else on exactly where the device runs it natively."""
    runtime = config.runtime
    if runtime.mixed_precision is not None:
        return config
    if stored is not None and stored.runtime.mixed_precision is not None:
        mixed = stored.runtime.mixed_precision
        force = stored.runtime.force_mixed_precision
    else:
        mixed, force = wanted(None), False
    return config.replace(runtime=dataclasses.replace(
        runtime, mixed_precision=mixed, force_mixed_precision=force))


def note(config: RunConfig, given: bool) -> str:
    """One line: the precision a resolved ``config`` trains in and why (``given``: the user
    passed --mixed_precision or --nomixed_precision)."""
    runtime = config.runtime
    if not runtime.mixed_precision:
        if given:
            return "precision: float32 (--nomixed_precision)"
        return f"precision: float32, as {native().reason}; --mixed_precision=force to override"
    policy = policy_name(runtime.force_mixed_precision)
    if policy == "float32":
        return (f"precision: float32, as {native().reason}; "
                "--mixed_precision=force to use bfloat16 anyway")
    if runtime.force_mixed_precision:
        return f"precision: {policy} (--mixed_precision=force); --nomixed_precision for float32"
    return f"precision: {policy}, as {native().reason}; --nomixed_precision for float32"


@contextlib.contextmanager
def policy(mixed: bool, force: bool = False) -> Iterator[str]:
    """The dtype policy ``policy_name(force)`` when ``mixed`` (else float32), set for the
    block and restored afterwards so it never leaks into the next call; yields its name."""
    name = policy_name(force) if mixed else "float32"
    with models.dtype_policy(name):
        yield name
