"""Data: sources, gray filtering, splits, Lab examples, TFRecords."""

from colorization_tf.data.pipeline import (
    DataConfig,
    load_split,
    make_dataset,
    source_for,
    spread_examples,
    steps_per_epoch,
    to_lab_example,
)

__all__ = ["DataConfig", "load_split", "make_dataset", "source_for", "spread_examples", "steps_per_epoch",
           "to_lab_example"]
