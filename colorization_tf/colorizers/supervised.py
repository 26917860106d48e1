"""Supervised colorizer (Galvão et al. §4.1): a generator trained on L1 or L2 to the true ab."""

from __future__ import annotations

import keras
import tensorflow as tf

from colorization_tf import losses, models
from colorization_tf.colorizers.base import Colorizer
from colorization_tf.colorizers.config import MethodConfig


class SupervisedColorizer(Colorizer):
    """Minimises ``loss`` ('l1' = eq. 1, 'l2' = eq. 2) between predicted and true ab."""

    def __init__(self, generator: keras.Model, loss: str = "l1", **kwargs):
        super().__init__(generator, **kwargs)
        self.loss_name = loss
        self.loss_fn = losses.reconstruction_loss(loss)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_tracker = keras.metrics.Mean(name="mae")

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_tracker]

    def generator_inputs(self, data: dict):
        """What the generator reads from a batch: L here; subclasses add inputs."""
        return data["L"]

    def train_step(self, data):
        ab = data["ab"]
        with tf.GradientTape() as tape:
            prediction = self.generator(self.generator_inputs(data), training=True)
            per_example = self.loss_fn(ab, prediction)
            loss = losses.global_mean(per_example)
            scaled = self.optimizer.scale_loss(loss)
        variables = self.generator.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables, strict=True))
        return self._track(per_example, ab, prediction)

    def test_step(self, data):
        prediction = self.generator(self.generator_inputs(data), training=False)
        return self._track(self.loss_fn(data["ab"], prediction), data["ab"], prediction)

    def _track(self, per_example, ab, prediction):
        self.loss_tracker.update_state(per_example)
        self.mae_tracker.update_state(losses.per_example_l1(ab, prediction))
        return {m.name: m.result() for m in self.metrics}


def build(method: MethodConfig, num_classes: int = 0, seed: int | None = None) -> SupervisedColorizer:
    """The supervised colorizer described by ``method`` (not compiled)."""
    del num_classes, seed  # unused by this method
    return SupervisedColorizer(models.build(method.generator), loss=method.loss)
