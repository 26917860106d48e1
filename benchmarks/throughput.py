"""Throughput figures, printed as JSON: the train step of every preset (images/s, at the
preset's image size, plain / XLA / mixed precision), input-pipeline images/s on
``samples``, and this machine's fp32 matmul GFLOP/s, so a step's rate can be read against
what the machine can do.

    python benchmarks/throughput.py [--steps 10] [--batch_size 128]
        [--batch_sizes classification_vgg16=4,multipath=16] [--methods all]
        [--variants plain,xla,mixed,xla_mixed] [--onednn package|on|off|both]
        [--isa avx2] [--torch_python PATH]

It prints the CPU's features (AVX2, AVX-512, AVX512_BF16, AMX) and whether TensorFlow's
oneDNN kernels are on. ``--onednn`` picks the setting (``package``: what importing the
package chooses; ``on``/``off``: ``TF_ENABLE_ONEDNN_OPTS=1``/``0``; ``both``: this script
once per setting in fresh processes, side by side, with the ratio). ``--isa avx2`` caps
oneDNN at AVX2 (``ONEDNN_MAX_CPU_ISA``) and PyTorch at AVX2 (``ATEN_CPU_CAPABILITY``), which
on an AVX-512 machine stands in for an AVX2 one (TensorFlow's other kernels are built for
AVX2 anyway). ``--torch_python`` runs ``torch_unet.py`` with that interpreter (a venv with
PyTorch) in the same call, for the U-Net comparison.

Colorizers are built as training builds them (``training.config.apply_flags`` with
``backbone_weights=none``, then ``training.build_colorizer``) and fed one synthetic batch
repeated (with Canny edges and saliency for multipath), so the step is measured, not the
input pipeline. ``mixed`` is mixed_bfloat16 on CPU/TPU and mixed_float16 on GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = os.path.dirname(os.path.abspath(__file__))
ONEDNN_SETTINGS = ("package", "on", "off", "both")


def parse_args(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch_size", type=int, default=128,
                        help="batch of the presets not in DEFAULT_BATCHES")
    parser.add_argument("--batch_sizes", default="",
                        help="per-preset batches, e.g. classification_vgg16=4,multipath=16")
    parser.add_argument("--methods", default="all", help="comma list of presets, or all")
    parser.add_argument("--variants", default="plain,xla,mixed",
                        help="comma list of plain, xla, mixed, xla_mixed")
    parser.add_argument("--pipeline", action=argparse.BooleanOptionalAction, default=True,
                        help="also time the input pipeline and a matmul")
    parser.add_argument("--onednn", choices=ONEDNN_SETTINGS, default="package")
    parser.add_argument("--isa", choices=("native", "avx2"), default="native")
    parser.add_argument("--torch_python", default=None,
                        help="python of a venv with PyTorch: also run torch_unet.py")
    return parser.parse_args(argv)


def setting_environment(args: argparse.Namespace) -> dict:
    """The environment variables that ``--onednn`` and ``--isa`` stand for."""
    env = {}
    if args.onednn in ("on", "off"):
        env["TF_ENABLE_ONEDNN_OPTS"] = "1" if args.onednn == "on" else "0"
    if args.isa == "avx2":
        env.update(ONEDNN_MAX_CPU_ISA="AVX2", ATEN_CPU_CAPABILITY="avx2")
    return env


def run_json(command: list[str], env: dict) -> dict:
    """The last stdout JSON document of ``command`` run with ``env`` added."""
    done = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout[done.stdout.index("{"):])


def child_args(args: argparse.Namespace, onednn: str) -> list[str]:
    """This script's flags for one setting of ``--onednn`` (PyTorch runs in the parent)."""
    return ["--steps", str(args.steps), "--batch_size", str(args.batch_size),
            "--batch_sizes", args.batch_sizes, "--methods", args.methods,
            "--variants", args.variants, "--pipeline" if args.pipeline else "--no-pipeline",
            "--isa", args.isa, "--onednn", onednn]


def side_by_side(args: argparse.Namespace) -> dict:
    """``--onednn both``: oneDNN off, then on, in fresh processes (PyTorch between them
    when ``--torch_python`` is given), and the ratio of every train-step figure."""
    script = os.path.abspath(__file__)
    out = {"onednn_off": run_json([sys.executable, script, *child_args(args, "off")], {})}
    if args.torch_python:
        out["torch"] = torch_rate(args)
    out["onednn_on"] = run_json([sys.executable, script, *child_args(args, "on")], {})
    on, off = (out[key]["train_steps_images_per_s"] for key in ("onednn_on", "onednn_off"))
    out["on_over_off"] = {
        name: {variant: round(value / off[name][variant], 2) for variant, value in row.items()
               if variant in VARIANTS and isinstance(value, float)
               and isinstance(off[name].get(variant), float)} for name, row in on.items()}
    if args.torch_python and "unet_l1" in on:
        out["unet_l1_over_torch_best"] = {
            setting: over_torch_best(rates["unet_l1"], out["torch"])
            for setting, rates in (("off", off), ("on", on))}
    return out


TORCH_CONFIGS = {"eager_fp32": [], "compiled_channels_last_fp32": ["--compile", "--channels_last"],
                 "eager_bf16": ["--bf16"],
                 "compiled_channels_last_bf16": ["--compile", "--channels_last", "--bf16"]}


def torch_rate(args: argparse.Namespace) -> dict:
    """``torch_unet.py`` (the same U-Net in PyTorch) run by ``--torch_python`` in each of
    ``TORCH_CONFIGS``: eager and PyTorch's best (compiled, channels-last), per precision."""
    return {name: run_json([args.torch_python, os.path.join(HERE, "torch_unet.py"),
                            "--batch_size", str(args.batch_size), "--steps", str(args.steps),
                            *flags], setting_environment(args))
            for name, flags in TORCH_CONFIGS.items()}


def over_torch_best(rates: dict, torch: dict) -> dict:
    """The U-Net step's images/s over PyTorch's best in each precision (plain against
    float32, mixed against bfloat16): the faster of its eager and compiled channels-last
    steps in this run (compiled usually, not always)."""
    best = {variant: max((run["images_per_s"] for name, run in torch.items()
                          if name.endswith(suffix) and "images_per_s" in run), default=None)
            for variant, suffix in (("plain", "_fp32"), ("mixed", "_bf16"))}
    return {variant: round(rates[variant] / best[variant], 2)
            for variant in best if isinstance(rates.get(variant), float) and best[variant]}


VARIANTS = ("plain", "xla", "mixed", "xla_mixed")
if __name__ == "__main__":
    _args = parse_args(sys.argv[1:])
    if _args.onednn == "both":
        print(json.dumps(side_by_side(_args), indent=2))
        sys.exit(0)
    os.environ.update(setting_environment(_args))

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from colorization_tf import cpu, presets  # noqa: E402
from colorization_tf.data import DataConfig, make_dataset  # noqa: E402
from colorization_tf.data.features import add_edge_and_saliency  # noqa: E402
from colorization_tf.training import build_colorizer, precision  # noqa: E402
from colorization_tf.training.config import RunConfig, apply_flags, override  # noqa: E402

# Per-preset batches that fit a CPU benchmark: the 224-px VGG16 and 256-px presets are
# timed at batch 4, multipath (64 px) and wgan_gp (96 px) at 16; the rest at --batch_size.
DEFAULT_BATCHES = {"classification_vgg16": 4, "unet_l1_256": 4, "cgan_256": 4,
                   "multipath": 16, "wgan_gp": 16}


def matmul_gflops(n: int = 2048, repeats: int = 10) -> float:
    """fp32 GFLOP/s of an n x n matmul (2 n^3 FLOPs), after one warm-up."""
    a = tf.random.normal([n, n])
    b = tf.random.normal([n, n])
    matmul = tf.function(lambda x, y: tf.matmul(x, y))
    matmul(a, b).numpy()
    start = time.perf_counter()
    for _ in range(repeats):
        result = matmul(a, b)
    result.numpy()
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e9


def preset_config(name: str) -> RunConfig:
    """The preset as training resolves it, with untrained backbones (nothing downloaded)."""
    preset = presets.get(name)
    weights = "none" if "backbone_weights" in preset.method.generator else None
    return apply_flags(preset, backbone_weights=weights)


def synthetic_batches(config: RunConfig, batch_size: int, num_classes: int = 10):
    """One random batch repeated forever (with the extra features the preset reads):
    measures the step, not the input pipeline."""
    size = config.data.image_size
    batch = {
        "L": tf.random.uniform([batch_size, size, size, 1], -1, 1),
        "ab": tf.random.uniform([batch_size, size, size, 2], -0.5, 0.5),
        "label": tf.random.uniform([batch_size], 0, num_classes, tf.int64),
    }
    if config.data.features:
        batch = add_edge_and_saliency(batch)
        batch = {key: batch[key] for key in ("L", "ab", "label", *config.data.features)}
    return tf.data.Dataset.from_tensors(batch).repeat()


class _Timer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self.start


def train_step_rate(config: RunConfig, steps: int, batch_size: int, *, jit: bool = False,
                    mixed: bool = False) -> float:
    """Images/s of the compiled train step (XLA with ``jit``, bfloat16/float16 with
    ``mixed``): one warm-up epoch of 2 steps (tracing, compilation), then ``steps`` timed."""
    config = override(config, batch_size=batch_size, jit_compile=jit,
                      mixed_precision=mixed).replace(num_classes=10)
    keras.utils.set_random_seed(0)
    with precision.policy(mixed, force=True):  # measure bfloat16 even where it is slow
        colorizer = build_colorizer(config, steps=steps + 2)
        colorizer.build_all(config.data.image_size)
        batches = synthetic_batches(config, batch_size)
        colorizer.prepare(batches.take(1))  # e.g. the classification prior
        timer = _Timer()
        colorizer.fit(batches, epochs=1, steps_per_epoch=2, verbose=0)
        colorizer.fit(batches, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=[timer])
    return steps * batch_size / timer.seconds


def pipeline_rate(batch_size: int, batches: int = 50) -> float:
    """Images/s delivered by the training input pipeline on ``samples`` (after warm-up)."""
    data = DataConfig(dataset="samples", image_size=32)
    iterator = iter(make_dataset(data, "train", batch_size, training=True))
    for _ in range(5):
        next(iterator)
    start = time.perf_counter()
    for _ in range(batches):
        batch = next(iterator)
    batch["L"].numpy()
    return batches * batch_size / (time.perf_counter() - start)


def _first_line(err: Exception) -> str:
    """The line of an error message that names the problem (TF's start with context)."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    named = [line for line in lines if "unsupported" in line or "No registered" in line]
    return (named or lines or [""])[0][:200]


def batch_sizes(default: int, given: str) -> dict[str, int]:
    """Each preset's benchmark batch: DEFAULT_BATCHES, then ``name=N`` pairs, else
    ``default``."""
    sizes = {name: DEFAULT_BATCHES.get(name, default) for name in presets.names()}
    for pair in filter(None, given.split(",")):
        name, _, value = pair.partition("=")
        if name not in sizes or not value.isdigit():
            raise SystemExit(f"--batch_sizes: expected PRESET=N pairs, got {pair!r}")
        sizes[name] = int(value)
    return sizes


def main(argv=None) -> dict:
    args = parse_args(argv)
    methods = presets.names() if args.methods == "all" else args.methods.split(",")
    variants = args.variants.split(",")
    for value, known, flag in ((methods, presets.names(), "--methods"),
                               (variants, VARIANTS, "--variants")):
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise SystemExit(f"{flag}: unknown {unknown}; expected some of {list(known)}")
    sizes = batch_sizes(args.batch_size, args.batch_sizes)
    out = {"device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU",
           "cpu_threads": os.cpu_count(), "cpu_features": cpu.cpu_features().to_dict(),
           "onednn": cpu.onednn_enabled(), "onednn_isa_cap": os.environ.get(
               "ONEDNN_MAX_CPU_ISA", "none"), "steps": args.steps,
           "mixed_policy": "mixed_float16" if tf.config.list_physical_devices("GPU")
           else "mixed_bfloat16",
           "package_mixed_policy": precision.policy_name()}
    if args.pipeline:
        out["matmul_fp32_gflops"] = round(matmul_gflops(), 1)
        out["pipeline_images_per_s"] = round(pipeline_rate(args.batch_size), 1)
    steps = {}
    for name in methods:
        config = preset_config(name)
        row = {"image_size": config.data.image_size, "batch_size": sizes[name]}
        for variant in variants:
            try:
                row[variant] = round(train_step_rate(config, args.steps, sizes[name],
                                                     jit="xla" in variant,
                                                     mixed="mixed" in variant), 2)
            except (tf.errors.OpError, ValueError) as err:  # e.g. an op XLA cannot compile
                row[variant] = f"failed: {type(err).__name__}: {_first_line(err)}"
        if isinstance(row.get("plain"), float) and isinstance(row.get("xla"), float):
            row["xla_speedup"] = round(row["xla"] / row["plain"], 2)
        steps[name] = row
        print(json.dumps({name: row}), file=sys.stderr, flush=True)  # progress
    out["train_steps_images_per_s"] = steps
    if args.torch_python:
        out["torch"] = torch_rate(args)
        if "unet_l1" in steps:
            out["unet_l1_over_torch_best"] = over_torch_best(steps["unet_l1"], out["torch"])
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
