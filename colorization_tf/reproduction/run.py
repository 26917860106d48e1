"""``reproduce``: one paper's experiment end to end with the library functions the
commands use — ``training.train`` + ``write_run_metrics`` per method (one run directory
each under ``OUT/runs/``), ``reference.train_reference`` where the paper scored images
with a classifier, ``compare.evaluate_runs`` and ``report.write_outputs(paper=...)``
into ``OUT`` (report.md with the paper's tables beside the measured figures, metrics.json,
comparison.png, loss curves).

Run it again after an interruption and it resumes: a finished run (all its epochs in its
backup and its metrics.json written) is detected and not trained again; an unfinished one
resumes from its last epoch (``BackupAndRestore``).
"""

from __future__ import annotations

import dataclasses
import os

from colorization_tf import presets
from colorization_tf.data import DataConfig
from colorization_tf.evaluation import compare, papers, reference, report
from colorization_tf.evaluation.run_metrics import write_run_metrics
from colorization_tf.reproduction import plans
from colorization_tf.training import RunConfig, RunDir, train
from colorization_tf.training import config as run_config

RUNS = "runs"
REFERENCE = "reference"


@dataclasses.dataclass
class Reproduction:
    """Where a reproduction left its outputs, and what this call trained or skipped."""

    paper: str
    out: str
    report: str
    written: dict[str, str]
    run_dirs: dict[str, str]
    trained: list[str]
    skipped: list[str]


def is_finished(run: RunDir, config: RunConfig) -> bool:
    """Whether ``run`` already holds ``config`` trained for all its epochs and scored."""
    return (os.path.isfile(run.config) and run.read_config().preset == config.preset
            and run.resume_epoch() >= config.runtime.epochs
            and os.path.isfile(run.generator_weights) and run.read_metrics() is not None)


def method_config(plan: plans.MethodPlan, dataset: str, scale: plans.Scale,
                  settings: dict | None = None, overrides: dict | None = None) -> RunConfig:
    """The run config of one method: its preset, the paper's settings, the scale's, then
    the caller's ``settings`` (apply_flags names; ``backbone_weights`` only where the
    network has a backbone) and ``overrides`` (``training.config.override`` values)."""
    config = presets.get(plan.preset)
    if scale.tiny_networks:
        config = run_config.override(config, **plans.tiny_networks(config.method))
    if overrides:
        config = run_config.override(config, **overrides)
    given = {**plan.settings, **scale.settings, **(settings or {})}
    if "backbone_weights" not in config.method.generator:
        given.pop("backbone_weights", None)
    return run_config.apply_flags(config, dataset=dataset, **given)


def _say(verbose: int, text: str) -> None:
    if verbose:
        print(text, flush=True)


def reproduce(paper: str, out: str, *, dataset: str | None = None, scale: str = "full",
              settings: dict | None = None, overrides: dict[str, dict] | None = None,
              inception_weights: str | None = None, callbacks: list | None = None,
              verbose: int = 1) -> Reproduction:
    """Trains every method of ``paper`` (a short name of ``evaluation.papers``) on
    ``dataset`` (default: the paper's) at ``scale`` ('full' | 'smoke') into
    ``out/runs/NAME``, evaluates them with the paper's tables and writes ``out/report.md``
    and the figures. ``settings`` apply to every method (e.g. ``mixed_precision``,
    ``data_dir``), ``overrides`` per method name; ``callbacks`` go to every ``fit``."""
    published = papers.get(paper)
    plan, size = plans.get(paper), plans.scale(scale)
    dataset = dataset or published.dataset
    os.makedirs(out, exist_ok=True)
    run_dirs, trained, skipped = {}, [], []
    for i, method in enumerate(plan.methods, 1):
        config = method_config(method, dataset, size, settings,
                               (overrides or {}).get(method.name))
        run = RunDir(os.path.join(out, RUNS, method.name))
        run_dirs[method.name] = run.path
        head = f"[{i}/{len(plan.methods)}] {method.name} ({config.preset})"
        if is_finished(run, config):
            _say(verbose, f"{head}: finished earlier ({config.runtime.epochs} epochs), "
                          "not trained again")
            skipped.append(method.name)
            continue
        _say(verbose, f"{head}: training on {dataset} into {run.path} "
                      f"({config.runtime.epochs} epochs, batch {config.runtime.batch_size}"
                      + (f", resuming after epoch {run.resume_epoch()}"
                         if run.resume_epoch() else "") + ")")
        train(config, run, verbose="auto" if verbose else 0, callbacks=callbacks)
        write_run_metrics(run.path)
        trained.append(method.name)

    reference_dir = None
    if plan.reference_classifier:
        reference_dir, was_trained = _reference(plan, dataset, size, settings, out, verbose)
        (trained if was_trained else skipped).append(REFERENCE)

    names, dirs, decoders = [], [], []
    for method in plan.methods:
        for decoding in method.scored_as():
            names.append(decoding.name)
            dirs.append(run_dirs[method.name])
            decoders.append((decoding.decode, decoding.temperature))
    _say(verbose, f"evaluating {len(names)} result(s) on the test split of {dataset}")
    found = compare.evaluate_runs(
        dirs, dataset, "test", batch_size=size.eval_batch_size,
        max_examples=size.eval_max_examples, num_images=size.num_images,
        reference_dir=reference_dir, inception_weights=inception_weights,
        verbose=verbose, decoders=decoders, names=names)
    written = report.write_outputs(found, out, paper=paper)
    return Reproduction(paper, out, written["report"], written, run_dirs, trained, skipped)


def _reference(plan: plans.PaperPlan, dataset: str, size: plans.Scale,
               settings: dict | None, out: str, verbose: int) -> tuple[str, bool]:
    """The reference classifier of ``out/runs/reference`` (trained unless it is there)
    and whether this call trained it."""
    run = RunDir(os.path.join(out, RUNS, REFERENCE))
    if os.path.isfile(run.classifier_weights) and run.read_metrics() is not None:
        _say(verbose, f"reference classifier: finished earlier ({run.path})")
        return run.path, False
    given = {**size.settings, **(settings or {})}
    data = DataConfig(dataset=dataset, image_size=plan.reference_image_size,
                      max_examples=given.get("max_examples"), data_dir=given.get("data_dir"))
    epochs = size.reference_epochs or plan.reference_epochs
    _say(verbose, f"reference classifier: training on {dataset} into {run.path} "
                  f"({epochs} epochs)")
    reference.train_reference(data, run.path, epochs=epochs,
                              batch_size=size.reference_batch_size,
                              verbose="auto" if verbose else 0)
    return run.path, True
