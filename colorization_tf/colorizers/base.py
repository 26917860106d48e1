"""What every colorizer shares: a generator that maps scaled L to scaled ab, the
inference entry point, and hooks for building and for per-run artifacts."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


class Colorizer(keras.Model):
    """A ``keras.Model`` whose ``train_step`` is one colorization method.

    Subclasses set ``self.generator`` (the network ``colorize``/``evaluate`` need), list
    their optimizers in ``optimizers`` and their ``keras.metrics.Mean`` trackers in
    ``metrics``.
    """

    # compile() keyword -> the optimiser role whose learning-rate scale it uses.
    OPTIMIZERS = {"optimizer": "generator"}
    # Extra example keys the method reads besides L and ab (the data pipeline adds them).
    FEATURES: tuple[str, ...] = ()

    def __init__(self, generator: keras.Model, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator

    def call(self, lightness, training=False):
        return self.generator(lightness, training=training)

    def predict_ab(self, lightness: tf.Tensor, decode: str | None = None,
                   temperature: float | None = None) -> tf.Tensor:
        """Scaled ab in [-1, 1] for scaled L (float32). Classification colorizers use
        ``decode``/``temperature``; the others ignore them."""
        del decode, temperature
        return tf.cast(self.generator(lightness, training=False), tf.float32)

    @property
    def networks(self) -> list[keras.Model]:
        """Every network the method trains (the generator first)."""
        return [self.generator]

    def optimizer_targets(self) -> list[tuple[keras.optimizers.Optimizer, list]]:
        """(optimizer, variables it updates) for every optimizer the method steps."""
        return [(self.optimizer, self.generator.trainable_variables)]

    def build_all(self, image_size: int) -> None:
        """Creates every network's and optimizer's variables, inside the current strategy
        scope, so checkpoints restore exactly and distributed steps find them built."""
        self.build_networks(tf.zeros([1, image_size, image_size, 1]))
        for optimizer, variables in self.optimizer_targets():
            if not optimizer.built:
                optimizer.build(variables)

    def build_networks(self, lightness: tf.Tensor) -> None:
        """Calls each network once on a dummy batch (override for multi-network methods)."""
        self.generator(lightness)
        self.built = True

    def prepare(self, train_batches: tf.data.Dataset) -> None:
        """Computes per-dataset state before training (e.g. class-rebalancing weights)
        from batched Lab examples of the training split."""

    def artifacts(self) -> dict[str, np.ndarray]:
        """State that decoding needs besides the weights (e.g. bin centres)."""
        return {}

    def load_artifacts(self, arrays: dict[str, np.ndarray]) -> None:
        """Restores what ``artifacts`` returned."""


class AdversarialColorizer(Colorizer):
    """A generator trained against ``discriminator``; G's optimiser is ``optimizer``
    (what Keras sees), D's is ``d_optimizer``."""

    OPTIMIZERS = {"optimizer": "generator", "d_optimizer": "discriminator"}

    def __init__(self, generator: keras.Model, discriminator: keras.Model, **kwargs):
        super().__init__(generator, **kwargs)
        self.discriminator = discriminator

    def compile(self, optimizer, d_optimizer, **kwargs):
        self.d_optimizer = d_optimizer
        super().compile(optimizer=optimizer, **kwargs)

    @property
    def networks(self) -> list[keras.Model]:
        return [self.generator, self.discriminator]

    def optimizer_targets(self):
        return [(self.optimizer, self.generator.trainable_variables),
                (self.d_optimizer, self.discriminator.trainable_variables)]

    @staticmethod
    def _apply(optimizer, tape, scaled_loss, variables) -> None:
        # A LossScaleOptimizer divides the gradients by its scale in apply_gradients.
        optimizer.apply_gradients(
            zip(tape.gradient(scaled_loss, variables), variables, strict=True))

