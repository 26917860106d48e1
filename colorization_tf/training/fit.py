"""Training a run config into a run directory: data, strategy scope, ``fit`` with
callbacks (progress bar, checkpoints, resume, TensorBoard, CSV).

``train`` is the library entry point that the CLI, the notebooks and the tests call; the
end-of-run scores (metrics.json, samples.png) are written downstream, by
``evaluation.write_run_metrics``, from what the run directory holds.
"""

from __future__ import annotations

import keras

from colorization_tf import colorizers
from colorization_tf.data import (
    count_examples,
    make_dataset,
    source_for,
    spread_examples,
    steps_per_epoch,
)
from colorization_tf.training import optimizers, precision, strategies
from colorization_tf.training.callbacks import SampleImages, SaveGenerator
from colorization_tf.training.config import ConfigError, RunConfig
from colorization_tf.training.run_dir import RunDir

PRIOR_BATCH = 256
SAMPLE_COUNT = 8


def with_data_facts(config: RunConfig) -> RunConfig:
    """``config`` with what only the data knows (the class count), checked against it."""
    config = config.replace(num_classes=source_for(config.data).num_classes)
    batch_size = config.runtime.batch_size
    if steps_per_epoch(config.data, "train", batch_size) < 1:
        count = count_examples(config.data, "train")
        raise ConfigError(f"--batch_size={batch_size} is larger than the training split of "
                          f"--dataset={config.data.dataset} ({count} images); lower it or use "
                          "more data")
    return config


def crop_size(image_size: int, crop_scale: float | None) -> int | None:
    """The size training images are fitted to before a random ``image_size`` crop
    (pix2pix: 286 for 256), or None without crop augmentation."""
    if not crop_scale or crop_scale <= 1.0:
        return None
    return int(round(image_size * crop_scale))


def build_colorizer(config: RunConfig, steps: int | None = None) -> colorizers.Colorizer:
    """The run's colorizer with its optimisers attached (call inside the strategy scope);
    ``steps``: updates per epoch, which an annealed learning rate needs."""
    colorizer = colorizers.build(config.method, config.num_classes, config.runtime.seed)
    total = steps * config.runtime.epochs if steps else None
    optimizers.compile_colorizer(colorizer, config.optim, config.runtime.jit_compile, total)
    return colorizer


def train(config: RunConfig, run_dir: str | RunDir, *, verbose: int | str = "auto",
          callbacks: list | None = None) -> colorizers.Colorizer:
    """Trains ``config`` into ``run_dir``, resuming a backup found there, and returns the
    trained colorizer. Re-running a finished run returns at once (BackupAndRestore)."""
    run = run_dir if isinstance(run_dir, RunDir) else RunDir(run_dir)
    strategies.make_strategy(config.runtime.strategy)  # multi-worker: before any other op
    config = with_data_facts(config.validate())
    run.create()
    run.check_same_run(config)
    config = precision.resolve(config, run.stored_config())
    run.write_config(config)
    with precision.policy(config.runtime.mixed_precision,
                          config.runtime.force_mixed_precision):
        return _fit(config, run, verbose, callbacks or [])


def _fit(config: RunConfig, run: RunDir, verbose, extra_callbacks: list):
    data, runtime = config.data, config.runtime
    batch_size = runtime.batch_size
    steps = runtime.steps_per_epoch or steps_per_epoch(data, "train", batch_size)
    strategy = strategies.make_strategy(runtime.strategy)
    keras.utils.set_random_seed(runtime.seed)  # after the strategy, which draws seeds
    skip = run.resume_epoch() * steps * batch_size
    crop_from = crop_size(data.image_size, runtime.crop_scale)
    train_ds = strategies.distributed_dataset(
        strategy, lambda per_replica, shard: make_dataset(
            data, "train", per_replica, training=True, shard=shard,
            skip_batches=skip // per_replica // shard[0], crop_from=crop_from),
        batch_size)
    val_ds = make_dataset(data, "val", batch_size, examples=runtime.eval_examples)
    keras.utils.set_random_seed(runtime.seed)  # initial weights, whatever ran before
    with strategy.scope():
        colorizer = build_colorizer(config, steps)
        colorizer.build_all(data.image_size)
    stored = run.read_artifacts()
    if stored is not None:
        colorizer.load_artifacts(stored)  # resuming: the state computed at the start
    else:
        colorizer.prepare(make_dataset(data, "train", PRIOR_BATCH, cache=False))
        run.write_artifacts(colorizer.artifacts())
    fit_callbacks = [
        # Kept after the last epoch, so re-running a finished command (or asking for more
        # epochs) continues instead of starting again from epoch 0.
        keras.callbacks.BackupAndRestore(run.backup, delete_checkpoint=False),
        keras.callbacks.ModelCheckpoint(run.last_checkpoint, save_weights_only=True),
        SaveGenerator(run.generator_weights),
        keras.callbacks.CSVLogger(run.history, append=True),
        keras.callbacks.TensorBoard(run.tensorboard),
        SampleImages(spread_examples(data, "val", SAMPLE_COUNT), run.tensorboard),
        *extra_callbacks,
    ]
    val_count = count_examples(data, "val")
    if runtime.eval_examples:
        val_count = min(val_count, runtime.eval_examples)
    val_steps = -(-val_count // batch_size)  # the last batch may be short
    colorizer.fit(train_ds, epochs=runtime.epochs, steps_per_epoch=steps,
                  validation_data=val_ds, validation_steps=val_steps,
                  callbacks=fit_callbacks, verbose=verbose, shuffle=False)
    return colorizer
