"""Data: sources, gray filtering, splits, Lab examples, TFRecords."""

from colorization_tf.data.pipeline import (
    DataConfig,
    count_examples,
    load_split,
    make_dataset,
    source_for,
    spread_examples,
    steps_per_epoch,
    to_lab_example,
)

__all__ = ["DataConfig", "count_examples", "load_split", "make_dataset", "source_for", "spread_examples", "steps_per_epoch",
           "to_lab_example"]
