"""RGB reconstruction (Tran and Ly 2024, "Reconstruction approach"): the U-Net predicts sRGB
from L with an L1 loss, so the RGB-vs-Lab comparison of Tran and Ly can be run. Its ab (for
the shared metrics and full-resolution colorization) is read off the predicted RGB."""

from __future__ import annotations

import keras
import tensorflow as tf

from colorization_tf import color, losses, models
from colorization_tf.colorizers.base import Colorizer
from colorization_tf.colorizers.config import MethodConfig


class RGBColorizer(Colorizer):
    """Minimises L1 between the generator's sRGB (tanh mapped to [0, 1]) and the true
    sRGB of the example."""

    def __init__(self, generator: keras.Model, **kwargs):
        super().__init__(generator, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_tracker = keras.metrics.Mean(name="mae")

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_tracker]

    def predict_rgb(self, lightness: tf.Tensor, training: bool = False) -> tf.Tensor:
        """sRGB in [0, 1] from scaled L."""
        out = tf.cast(self.generator(lightness, training=training), tf.float32)
        return (out + 1.0) / 2.0

    def train_step(self, data):
        rgb_true = color.model_to_rgb(data["L"], data["ab"])
        with tf.GradientTape() as tape:
            rgb = self.predict_rgb(data["L"], training=True)
            per_example = losses.per_example_l1(rgb_true, rgb)
            scaled = self.optimizer.scale_loss(losses.global_mean(per_example))
        variables = self.generator.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables,
                                           strict=True))
        return self._track(per_example, data, rgb)

    def test_step(self, data):
        rgb = self.predict_rgb(data["L"])
        per_example = losses.per_example_l1(color.model_to_rgb(data["L"], data["ab"]), rgb)
        return self._track(per_example, data, rgb)

    def _track(self, per_example, data, rgb):
        self.loss_tracker.update_state(per_example)
        self.mae_tracker.update_state(losses.per_example_l1(data["ab"], color.ab_of_rgb(rgb)))
        return {m.name: m.result() for m in self.metrics}

    def predict_ab(self, lightness: tf.Tensor, decode: str | None = None,
                   temperature: float | None = None) -> tf.Tensor:
        """Scaled ab of the predicted sRGB (its own lightness is set aside)."""
        del decode, temperature
        return color.ab_of_rgb(self.predict_rgb(lightness))


def build(method: MethodConfig, num_classes: int = 0, seed: int | None = None) -> RGBColorizer:
    """The RGB-reconstruction colorizer described by ``method`` (not compiled)."""
    del num_classes, seed  # unused by this method
    return RGBColorizer(models.build({**method.generator, "out_channels": 3}))
