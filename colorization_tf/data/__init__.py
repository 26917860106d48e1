"""Data: sources, gray filtering, splits, Lab examples, TFRecords.

One entry point per question: ``DataConfig`` says which images; ``load_split`` gives the
prepared uint8 images of a split; ``make_dataset`` the batched Lab examples a colorizer
trains on (``{"L", "ab", "label"}`` in [-1, 1]).
"""

from colorization_tf.data.config import SPLIT_NAMES, DataConfig
from colorization_tf.data.pipeline import (
    count_examples,
    load_split,
    make_dataset,
    source_for,
    spread_examples,
    steps_per_epoch,
    to_lab_example,
)

__all__ = ["SPLIT_NAMES", "DataConfig", "count_examples", "load_split", "make_dataset",
           "source_for", "spread_examples", "steps_per_epoch", "to_lab_example"]
