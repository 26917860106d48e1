"""Training a preset into a run directory: data, strategy scope, ``fit`` with callbacks
(progress bar, checkpoints, resume, TensorBoard, CSV), then metrics.json and samples.png.

``train`` is the library entry point that the CLI, the notebooks and the tests call.
"""

from __future__ import annotations

import dataclasses
import json
import os

import keras

from colorization_tf import color, colorizers, distribute, evaluation, figures, files, runs
from colorization_tf.callbacks import SampleImages, SaveGenerator
from colorization_tf.data import (
    DataConfig,
    count_examples,
    load_split,
    make_dataset,
    source_for,
    spread_examples,
    steps_per_epoch,
)

SAMPLE_COUNT = 8


def resolve_config(preset: dict, data: DataConfig, *, epochs: int | None = None,
                   batch_size: int | None = None, mixed_precision: bool = False,
                   strategy: str = "default", seed: int = 0) -> dict:
    """The full run configuration: preset values, then flags, then the data settings.
    Without ``epochs``, the preset's ``samples_epochs`` applies on ``samples`` and its
    paper ``epochs`` elsewhere."""
    config = dict(preset)
    if epochs is None:
        epochs = preset.get("samples_epochs", preset["epochs"]) if data.dataset == "samples" \
            else preset["epochs"]
    config.update(epochs=int(epochs), batch_size=int(batch_size or preset["batch_size"]),
                  mixed_precision=bool(mixed_precision), strategy=strategy, seed=int(seed),
                  data=dataclasses.asdict(data))
    return config


def resume_epoch(run_dir: str) -> int:
    """The epoch a ``BackupAndRestore`` backup in ``run_dir`` will resume at (0 if none)."""
    path = os.path.join(run_dir, runs.BACKUP, "training_metadata.json")
    if not os.path.isfile(path):
        return 0
    with open(path) as handle:
        return int(json.load(handle).get("epoch", 0))


def check_same_run(run_dir: str, config: dict) -> None:
    """Refuses to resume a run directory that holds a different experiment."""
    path = os.path.join(run_dir, runs.CONFIG)
    if not os.path.isfile(path):
        return
    old = files.read_json(path)
    keys = ("preset", "method", "data", "batch_size")
    changed = [k for k in keys if old.get(k) != config.get(k)]
    if changed:
        raise runs.RunDirError(
            f"--run_dir={run_dir} already holds a different run (differs in {changed}); "
            "choose a new --run_dir to start another experiment")


def train(config: dict, run_dir: str, *, verbose: int | str = "auto",
          callbacks: list | None = None) -> dict:
    """Trains ``config`` into ``run_dir`` (resuming a backup found there) and returns the
    final metrics that were written to metrics.json."""
    os.makedirs(run_dir, exist_ok=True)
    check_same_run(run_dir, config)
    data = runs.data_config(config)
    # Stored so colorize/evaluate can rebuild class-aware networks without the data.
    config = {**config, "num_classes": source_for(data).num_classes}
    runs.write_config(run_dir, config)
    if config["mixed_precision"]:
        keras.mixed_precision.set_global_policy(distribute.mixed_precision_policy())
    else:
        keras.mixed_precision.set_global_policy("float32")
    batch_size = config["batch_size"]
    steps = steps_per_epoch(data, "train", batch_size)
    if steps < 1:
        raise ValueError(f"--batch_size={batch_size} is larger than the training split of "
                         f"--dataset={data.dataset}; lower it or use more data")
    strategy = distribute.make_strategy(config["strategy"])
    keras.utils.set_random_seed(config["seed"])  # after the strategy, which draws seeds
    train_ds = distribute.distributed_dataset(
        strategy, lambda per_replica, shard: make_dataset(
            data, "train", per_replica, training=True, shard=shard,
            skip_batches=resume_epoch(run_dir) * steps * batch_size // per_replica // shard[0]),
        batch_size)
    val_ds = make_dataset(data, "val", batch_size)
    keras.utils.set_random_seed(config["seed"])  # initial weights, whatever ran before
    with strategy.scope():
        colorizer = colorizers.build(config)
        colorizer.build_all(data.image_size)
    colorizer.prepare(load_split(data, "train")[0], run_dir)
    colorizer.save_artifacts(run_dir)
    sample_batch = next(iter(val_ds))
    fit_callbacks = [
        # Kept after the last epoch, so re-running a finished command (or asking for more
        # epochs) continues instead of starting again from epoch 0.
        keras.callbacks.BackupAndRestore(os.path.join(run_dir, runs.BACKUP),
                                         delete_checkpoint=False),
        keras.callbacks.ModelCheckpoint(
            os.path.join(run_dir, runs.CHECKPOINTS, "last.weights.h5"),
            save_weights_only=True),
        SaveGenerator(run_dir),
        keras.callbacks.CSVLogger(os.path.join(run_dir, runs.HISTORY), append=True),
        keras.callbacks.TensorBoard(os.path.join(run_dir, runs.TENSORBOARD)),
        SampleImages(sample_batch, os.path.join(run_dir, runs.TENSORBOARD)),
        *(callbacks or []),
    ]
    os.makedirs(os.path.join(run_dir, runs.CHECKPOINTS), exist_ok=True)
    val_steps = -(-count_examples(data, "val") // batch_size)  # the last batch may be short
    colorizer.fit(train_ds, epochs=config["epochs"], steps_per_epoch=steps,
                  validation_data=val_ds, validation_steps=val_steps,
                  callbacks=fit_callbacks, verbose=verbose)
    return finish(colorizer, data, run_dir)


def finish(colorizer, data: DataConfig, run_dir: str) -> dict:
    """Writes metrics.json (val/test scores and the no-colour baseline) and samples.png."""
    predict = evaluation.make_predict(colorizer)
    results = {}
    for split in ("val", "test"):
        batches = make_dataset(data, split, 64)
        results[split] = evaluation.score_with_baseline(predict, batches)
        results[split]["data"] = load_split(data, split)[1]
    files.write_json(os.path.join(run_dir, runs.METRICS), results)
    write_samples(predict, data, os.path.join(run_dir, runs.SAMPLES))
    return results


def write_samples(predict, data: DataConfig, path: str) -> None:
    """samples.png: rows gray / original / colorized for test images spread over the split."""
    batch = spread_examples(data, "test", SAMPLE_COUNT)
    lightness, ab = batch["L"], batch["ab"]
    rows = [color.model_to_rgb(lightness, color.gray_ab(ab)),
            color.model_to_rgb(lightness, ab),
            color.model_to_rgb(lightness, predict(lightness))]
    figures.image_grid([r.numpy() for r in rows], ["gray", "original", "colorized"], path)
