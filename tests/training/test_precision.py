"""Mixed precision by default where the device computes it natively (training.precision):
the decision per device kind, the flag's values, what config.json records, and that a
resumed run keeps its precision on a machine that would decide otherwise."""

from __future__ import annotations

import json
import subprocess
import sys

import keras
import pytest
from support import tiny_config

from colorization_tf import cpu
from colorization_tf.training import precision, train
from colorization_tf.training.config import precision_settings

AVX2 = cpu.CpuFeatures(x86=True, avx2=True)
BF16 = cpu.CpuFeatures(x86=True, avx2=True, avx512=True, avx512_bf16=True)
AMX = cpu.CpuFeatures(x86=True, avx2=True, avx512=True, amx=True)


@pytest.fixture
def on_cpu(monkeypatch):
    """Pretend the machine has the CPU given to the returned function (and no GPU/TPU)."""
    monkeypatch.setattr(precision.tf.config, "list_physical_devices", lambda kind=None: [])
    monkeypatch.setattr(precision.tf.config, "list_logical_devices", lambda kind=None: [])

    def use(features: cpu.CpuFeatures) -> None:
        monkeypatch.setattr(cpu, "cpu_features", lambda: features)
    return use


def test_flag_values():
    assert precision_settings(None) == {}
    assert precision_settings("true") == {"mixed_precision": True, "force_mixed_precision": False}
    assert precision_settings("false") == {"mixed_precision": False,
                                        "force_mixed_precision": False}
    assert precision_settings("force") == {"mixed_precision": True, "force_mixed_precision": True}


@pytest.mark.slow
def test_the_train_flag_parses_no_and_force():
    """In a fresh interpreter: the commands' flags are process-wide, and another command
    imported in the same process would define --dataset again."""
    cases = {"": "None", "--mixed_precision": "true", "--nomixed_precision": "false",
             "--mixed_precision=force": "force", "--mixed_precision=false": "false"}
    code = ("import sys; from absl import flags; from colorization_tf.commands import train\n"
            "for argv in sys.argv[1:]:\n"
            "    flags.FLAGS.unparse_flags(); flags.FLAGS(['train', *argv.split()])\n"
            "    print(flags.FLAGS.mixed_precision)")
    done = subprocess.run([sys.executable, "-c", code, *cases], capture_output=True,
                          text=True, check=True)
    assert done.stdout.split() == list(cases.values())


@pytest.mark.parametrize("features, force, policy", [
    (AVX2, False, "float32"), (AVX2, True, "mixed_bfloat16"),
    (BF16, False, "mixed_bfloat16"), (AMX, False, "mixed_bfloat16")])
def test_policy_per_cpu(on_cpu, features, force, policy):
    on_cpu(features)
    assert precision.policy_name(force) == policy
    if not force:
        assert precision.policy_name() == policy  # not forced unless asked


@pytest.mark.parametrize("features, mixed, word", [
    (AVX2, False, "no native bfloat16"), (BF16, True, "AVX512_BF16"), (AMX, True, "AMX")])
def test_the_default_is_on_exactly_where_native_with_the_reason(on_cpu, features, mixed, word):
    on_cpu(features)
    config = precision.resolve(tiny_config(mixed_precision=None))
    assert config.runtime.mixed_precision is mixed
    line = precision.note(config, given=False)
    assert "\n" not in line and word in line
    assert line.startswith("precision: mixed_bfloat16, as" if mixed else "precision: float32, as")


def test_gpus_with_and_without_tensor_cores(monkeypatch):
    def gpu(capability):
        monkeypatch.setattr(precision.tf.config, "list_physical_devices",
                            lambda kind=None: ["GPU:0"] if kind == "GPU" else [])
        monkeypatch.setattr(precision.tf.config.experimental, "get_device_details",
                            lambda device: {"compute_capability": capability,
                                            "device_name": "Test GPU"})
    gpu((8, 0))
    assert precision.native().mixed and precision.policy_name() == "mixed_float16"
    gpu((6, 1))
    assert not precision.native().mixed and "6.1" in precision.native().reason


def test_the_users_choice_and_a_stored_run_win_over_the_hardware(on_cpu):
    on_cpu(BF16)
    assert precision.resolve(tiny_config(mixed_precision=False)).runtime.mixed_precision is False
    on_cpu(AVX2)
    forced = tiny_config(mixed_precision=True, force_mixed_precision=True)
    assert precision.resolve(forced).runtime == forced.runtime
    stored = precision.resolve(tiny_config(mixed_precision=None), stored=forced)
    assert stored.runtime.mixed_precision and stored.runtime.force_mixed_precision


class _SeePolicy(keras.callbacks.Callback):
    def __init__(self, seen: list):
        super().__init__()
        self.seen = seen

    def on_train_begin(self, logs=None):
        self.seen.append(keras.mixed_precision.global_policy().name)


def test_train_records_the_decision_and_a_resumed_run_keeps_it(on_cpu, tmp_path):
    seen: list = []
    for first, then in ((BF16, AVX2), (AVX2, BF16)):
        on_cpu(first)
        run = tmp_path / ("bf16" if first.native_bfloat16 else "avx2")
        train(tiny_config(mixed_precision=None), str(run), verbose=0,
              callbacks=[_SeePolicy(seen)])
        decided = first.native_bfloat16
        assert json.loads((run / "config.json").read_text())["runtime"]["mixed_precision"] \
            is decided
        on_cpu(then)  # resumed on a machine whose own default is the other one
        train(tiny_config(mixed_precision=None, epochs=2), str(run), verbose=0,
              callbacks=[_SeePolicy(seen)])
        assert json.loads((run / "config.json").read_text())["runtime"]["mixed_precision"] \
            is decided
    # bfloat16, then float32 on the emulating CPU (what mixed means there); float32 kept
    # on the bfloat16 CPU, where a new run would have used bfloat16
    assert seen == ["mixed_bfloat16", "float32", "float32", "float32"]
    assert keras.mixed_precision.global_policy().name == "float32"  # restored


def test_asking_for_mixed_on_an_emulating_cpu_trains_float32_unless_forced(on_cpu, tmp_path):
    on_cpu(AVX2)
    seen: list = []
    train(tiny_config(mixed_precision=True), str(tmp_path / "a"), verbose=0,
          callbacks=[_SeePolicy(seen)])
    train(tiny_config(mixed_precision=True, force_mixed_precision=True),
          str(tmp_path / "b"), verbose=0, callbacks=[_SeePolicy(seen)])
    assert seen == ["float32", "mixed_bfloat16"]
    assert "--mixed_precision=force" in precision.note(tiny_config(mixed_precision=True), True)


# ------------------------------------------------------------------ each case's words

BOTH = cpu.CpuFeatures(x86=True, avx2=True, avx512=True, avx512_bf16=True, amx=True)
NO_BF16 = ("this CPU has no native bfloat16 (AVX512_BF16 or AMX), where mixed_bfloat16 is "
           "several times slower than float32")


def _gpu(monkeypatch, details: dict) -> None:
    """One GPU whose details are ``details`` (asked for that GPU, not another)."""
    monkeypatch.setattr(precision.tf.config, "list_physical_devices",
                        lambda kind=None: ["GPU:0"] if kind == "GPU" else [])
    monkeypatch.setattr(precision.tf.config.experimental, "get_device_details",
                        lambda device: details if device == "GPU:0" else {})


@pytest.mark.parametrize("details, mixed, reason", [
    ({"compute_capability": (7, 0), "device_name": "V100"}, True,
     "V100 has float16 tensor cores"),
    ({"compute_capability": (6, 1), "device_name": "P4"}, False,
     "P4 (compute capability 6.1) has no float16 tensor cores"),
    ({}, False, "GPU (compute capability 0.0) has no float16 tensor cores")])
def test_a_gpu_is_mixed_from_volta_on_and_says_which_gpu(monkeypatch, details, mixed, reason):
    _gpu(monkeypatch, details)
    assert precision.native() == precision.Native(mixed, reason)
    assert precision.policy_name() == "mixed_float16"  # what --mixed_precision means there


def test_a_tpu_computes_bfloat16_natively_whatever_the_host_cpu(on_cpu, monkeypatch):
    on_cpu(AVX2)
    monkeypatch.setattr(precision.tf.config, "list_logical_devices",
                        lambda kind=None: ["TPU:0"] if kind == "TPU" else [])
    assert precision.native() == precision.Native(True, "TPUs compute bfloat16 natively")
    assert precision.policy_name() == "mixed_bfloat16"


@pytest.mark.parametrize("features, reason", [
    (BF16, "this CPU computes bfloat16 natively (AVX512_BF16)"),
    (AMX, "this CPU computes bfloat16 natively (AMX)"),
    (BOTH, "this CPU computes bfloat16 natively (AVX512_BF16 and AMX)"),
    (AVX2, NO_BF16)])
def test_the_cpu_reason_names_the_features(on_cpu, features, reason):
    on_cpu(features)
    assert precision.native() == precision.Native(features.native_bfloat16, reason)


@pytest.mark.parametrize("features, mixed, force, given, line", [
    (BF16, False, False, True, "precision: float32 (--nomixed_precision)"),
    (AVX2, False, False, False,
     f"precision: float32, as {NO_BF16}; --mixed_precision=force to override"),
    (AVX2, True, False, True,
     f"precision: float32, as {NO_BF16}; --mixed_precision=force to use bfloat16 anyway"),
    (AVX2, True, True, True,
     "precision: mixed_bfloat16 (--mixed_precision=force); --nomixed_precision for float32"),
    (BF16, True, False, False, "precision: mixed_bfloat16, as this CPU computes bfloat16 "
     "natively (AVX512_BF16); --nomixed_precision for float32")])
def test_the_note_is_one_line_per_case(on_cpu, features, mixed, force, given, line):
    on_cpu(features)
    config = tiny_config(mixed_precision=mixed, force_mixed_precision=force)
    assert precision.note(config, given) == line


def test_wanted_is_the_users_choice_when_given(on_cpu):
    on_cpu(AVX2)
    assert precision.wanted(True) is True and precision.wanted(None) is False
    on_cpu(BF16)
    assert precision.wanted(False) is False and precision.wanted(None) is True


def test_resolve_keeps_a_given_choice_and_falls_back_to_the_hardware(on_cpu):
    on_cpu(BF16)
    given = tiny_config(mixed_precision=False)
    assert precision.resolve(given) is given
    undecided = tiny_config(mixed_precision=None)
    # a stored run that never decided (an old config.json) leaves it to the hardware
    for stored in (None, undecided):
        runtime = precision.resolve(undecided, stored).runtime
        assert runtime.mixed_precision is True and runtime.force_mixed_precision is False
    forced_store = tiny_config(mixed_precision=False, force_mixed_precision=True)
    runtime = precision.resolve(tiny_config(mixed_precision=None, force_mixed_precision=False),
                                forced_store).runtime
    assert runtime.mixed_precision is False and runtime.force_mixed_precision is True
    assert runtime.epochs == undecided.runtime.epochs  # only the precision is decided


@pytest.mark.parametrize("features, mixed, force, name", [
    (BF16, True, False, "mixed_bfloat16"), (BF16, False, True, "float32"),
    (AVX2, True, False, "float32"), (AVX2, True, True, "mixed_bfloat16")])
def test_the_policy_block_sets_its_policy_and_restores_the_one_before(on_cpu, features, mixed,
                                                                     force, name):
    on_cpu(features)
    before = keras.mixed_precision.global_policy().name
    with pytest.raises(RuntimeError, match="inside"):
        with precision.policy(mixed, force) as given:
            assert given == name == keras.mixed_precision.global_policy().name
            raise RuntimeError("inside")
    assert keras.mixed_precision.global_policy().name == before
