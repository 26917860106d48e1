"""Whole held-out images for figures (samples.png): what a person needs to judge a
colorization, not the training crops."""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

from colorization_tf.data import pipeline, samples
from colorization_tf.data.config import DataConfig

MAX_SIDE = 640


def held_out_images(config: DataConfig, count: int = 6) -> list[tuple[str, np.ndarray]]:
    """(name, uint8 RGB ``[H,W,3]``) of held-out images at their own size (long side at
    most ``MAX_SIDE``): on ``samples`` the whole validation and test photographs; on
    other sources ``count`` test images spread over the split, before any crop."""
    if config.dataset == "samples":
        found = samples.whole_photos(("val", "test"))
    else:
        found = _spread_originals(config, count)
    return [(name, _shrink(image)) for name, image in found]


def _spread_originals(config: DataConfig, count: int) -> list[tuple[str, np.ndarray]]:
    uncapped = dataclasses.replace(config, max_examples=None)
    total = pipeline.count_examples(uncapped, "test")
    picks = set(np.unique(np.linspace(0, max(total - 1, 0), count).astype(int)).tolist())
    images, _ = pipeline.load_split(uncapped, "test", fit=False)
    return [(f"test #{i}", example["image"].numpy()) for i, example in enumerate(images)
            if i in picks] if total else []


def _shrink(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    scale = MAX_SIDE / max(height, width)
    if scale >= 1:
        return image
    size = [max(1, round(height * scale)), max(1, round(width * scale))]
    resized = tf.image.resize(image, size, antialias=True)
    return tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8).numpy()
