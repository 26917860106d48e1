"""Training: the typed run config, the run directory, optimisers, strategies, callbacks
and ``train`` (``fit`` driven by Keras callbacks)."""

from colorization_tf.training.config import (
    ConfigError,
    OptimConfig,
    RunConfig,
    RuntimeConfig,
)
from colorization_tf.training.fit import build_colorizer, train
from colorization_tf.training.run_dir import RunDir, RunDirError

__all__ = ["ConfigError", "OptimConfig", "RunConfig", "RunDir", "RunDirError",
           "RuntimeConfig", "build_colorizer", "train"]
