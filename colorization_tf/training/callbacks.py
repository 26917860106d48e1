"""Keras callbacks that the stock ones do not cover: the generator's weights for later
commands after every epoch, and colorized samples in TensorBoard."""

from __future__ import annotations

import os

import keras
import tensorflow as tf

from colorization_tf import color, files


class SaveGenerator(keras.callbacks.Callback):
    """Writes the generator's weights to ``path`` atomically at the end of every epoch, so
    an interrupted run can already colorize."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path

    def on_epoch_end(self, epoch, logs=None):
        with files.atomic_path(self.path) as tmp:
            self.model.generator.save_weights(tmp)


class SampleImages(keras.callbacks.Callback):
    """Logs gray / original / colorized strips of a fixed held-out batch to TensorBoard,
    colorized by the model's own inference function (``predict_ab``)."""

    def __init__(self, batch: dict, log_dir: str, max_images: int = 8):
        super().__init__()
        self.lightness = batch["L"][:max_images]
        self.ab = batch["ab"][:max_images]
        # methods that read extra inputs (the multi-path GAN's edges) get them too
        self.extra = {"edges": batch["edges"][:max_images]} if "edges" in batch else {}
        self.writer = tf.summary.create_file_writer(os.path.join(log_dir, "samples"))

    def on_epoch_end(self, epoch, logs=None):
        predicted = self.model.predict_ab(self.lightness, **self.extra)
        gray = color.model_to_rgb(self.lightness, color.gray_ab(self.ab))
        strip = tf.concat([gray, color.model_to_rgb(self.lightness, self.ab),
                           color.model_to_rgb(self.lightness, predicted)], axis=2)
        with self.writer.as_default():
            tf.summary.image("gray | original | colorized", strip, step=epoch,
                             max_outputs=len(strip))
        self.writer.flush()
