"""``reproduce``: one paper's experiment end to end with the library functions the
commands use — ``training.train`` + ``write_run_metrics`` per method (one run directory
each under ``OUT/runs/``), ``reference.train_reference`` where the paper scored images
with a classifier, ``compare.evaluate_runs`` and ``report.write_outputs(paper=...)``
into ``OUT`` (report.md with the paper's tables beside the measured figures, metrics.json,
comparison.png, loss curves).

Run it again after an interruption and it resumes: a finished run (all its epochs in its
backup and its metrics.json written) is detected and not trained again; an unfinished one
resumes from its last epoch (``BackupAndRestore``).

With ``seeds=N`` every method is trained N times, seed ``s, s+1, ..., s+N-1`` (``s`` the
preset's): the first in ``runs/NAME`` as with one seed (so a one-seed reproduction grows
into an N-seed one without retraining), the others in ``runs/NAME-seedK``; the report
adds each figure's mean, standard deviation and range over the seeds
(``evaluation.seeds``) beside every seed's own interval.
"""

from __future__ import annotations

import dataclasses
import os

from colorization_tf import presets
from colorization_tf.data import DataConfig
from colorization_tf.evaluation import compare, intervals, papers, reference, report
from colorization_tf.evaluation import seeds as seed_spread
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
    seeds: int = 1


def is_finished(run: RunDir, config: RunConfig) -> bool:
    """Whether ``run`` already holds ``config`` trained for all its epochs and scored."""
    if not os.path.isfile(run.config):
        return False
    stored = run.read_config()
    return (stored.preset == config.preset and stored.runtime.seed == config.runtime.seed
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


def seed_name(name: str, index: int) -> str:
    """The run (and report row) name of the ``index``-th seed of ``name``: ``name`` itself
    for the first, ``name-seedK`` for the others."""
    return name if index == 0 else f"{name}-seed{index}"


def _say(verbose: int, text: str) -> None:
    if verbose:
        print(text, flush=True)


def reproduce(paper: str, out: str, *, dataset: str | None = None, scale: str = "full",
              settings: dict | None = None, overrides: dict[str, dict] | None = None,
              inception_weights: str | None = None, callbacks: list | None = None,
              verbose: int = 1, seeds: int = 1,
              bootstrap: intervals.BootstrapConfig | None = None) -> Reproduction:
    """Trains every method of ``paper`` (a short name of ``evaluation.papers``) on
    ``dataset`` (default: the paper's) at ``scale`` ('full' | 'smoke') into
    ``out/runs/NAME``, evaluates them with the paper's tables and writes ``out/report.md``
    and the figures. ``settings`` apply to every method (e.g. ``mixed_precision``,
    ``data_dir``), ``overrides`` per method name; ``callbacks`` go to every ``fit``;
    ``seeds`` trainings per method (module docstring); ``bootstrap`` sets the report's
    intervals."""
    if seeds < 1:
        raise ValueError(f"--seeds={seeds}: expected a positive integer")
    published = papers.get(paper)
    plan, size = plans.get(paper), plans.scale(scale)
    dataset = dataset or published.dataset
    os.makedirs(out, exist_ok=True)
    run_dirs, trained, skipped = {}, [], []
    jobs = [(method, k) for method in plan.methods for k in range(seeds)]
    for i, (method, k) in enumerate(jobs, 1):
        config = method_config(method, dataset, size, settings,
                               (overrides or {}).get(method.name))
        if k:
            config = method_config(method, dataset, size,
                                   {**(settings or {}), "seed": config.runtime.seed + k},
                                   (overrides or {}).get(method.name))
        name = seed_name(method.name, k)
        run = RunDir(os.path.join(out, RUNS, name))
        run_dirs[name] = run.path
        head = (f"[{i}/{len(jobs)}] {name} ({config.preset}"
                + (f", seed {config.runtime.seed}" if seeds > 1 else "") + ")")
        if is_finished(run, config):
            _say(verbose, f"{head}: finished earlier ({config.runtime.epochs} epochs), "
                          "not trained again")
            skipped.append(name)
            continue
        _say(verbose, f"{head}: training on {dataset} into {run.path} "
                      f"({config.runtime.epochs} epochs, batch {config.runtime.batch_size}"
                      + (f", resuming after epoch {run.resume_epoch()}"
                         if run.resume_epoch() else "") + ")")
        train(config, run, verbose="auto" if verbose else 0, callbacks=callbacks)
        write_run_metrics(run.path)
        trained.append(name)

    reference_dir = None
    if plan.reference_classifier:
        reference_dir, was_trained = _reference(plan, dataset, size, settings, out, verbose)
        (trained if was_trained else skipped).append(REFERENCE)

    names, dirs, decoders, groups = [], [], [], {}
    for method in plan.methods:
        for decoding in method.scored_as():
            for k in range(seeds):
                names.append(seed_name(decoding.name, k))
                dirs.append(run_dirs[seed_name(method.name, k)])
                decoders.append((decoding.decode, decoding.temperature))
                groups.setdefault(decoding.name, []).append(names[-1])
    _say(verbose, f"evaluating {len(names)} result(s) on the test split of {dataset}")
    found = compare.evaluate_runs(
        dirs, dataset, "test", batch_size=size.eval_batch_size,
        max_examples=size.eval_max_examples, num_images=size.num_images,
        reference_dir=reference_dir, inception_weights=inception_weights,
        verbose=verbose, decoders=decoders, names=names, bootstrap=bootstrap)
    if seeds > 1:
        found.results["seeds"] = seed_spread.seed_summary(found.results, groups)
    written = report.write_outputs(found, out, paper=paper)
    return Reproduction(paper, out, written["report"], written, run_dirs, trained, skipped,
                        seeds)


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
