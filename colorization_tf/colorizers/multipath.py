"""Edge- and saliency-guided multi-path GAN (Sarkar et al. 2022): the generator reads concat(L,
Canny edges), fuses frozen ResNet-18 features at its sixth down layer and predicts RGB
plus a saliency map; a PatchGAN judges concat(L, RGB). Losses (seed values): L1 on RGB
(1), GAN (0.5), saliency-weighted L1 (0.05) and the saliency map (0.05)."""

from __future__ import annotations

import keras
import tensorflow as tf

from colorization_tf import color, losses, models
from colorization_tf.colorizers.base import AdversarialColorizer
from colorization_tf.colorizers.config import MethodConfig
from colorization_tf.losses import saliency as saliency_losses


def to_tanh(rgb: tf.Tensor) -> tf.Tensor:
    """sRGB in [0, 1] -> [-1, 1], the generator's output range."""
    return rgb * 2.0 - 1.0


class MultipathGAN(AdversarialColorizer):
    """``train_step`` = one PatchGAN update, then one generator update, on batches that
    carry ``"edges"`` and ``"saliency"`` (the data pipeline adds them for this method).
    G's optimizer is ``self.optimizer``, D's ``self.d_optimizer``."""

    FEATURES = ("edges", "saliency")

    def __init__(self, generator: keras.Model, discriminator: keras.Model, **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in (
            "d_loss", "g_l1", "g_gan", "g_saliency_weighted_l1", "g_saliency_map_l1", "mae")}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def build_networks(self, lightness: tf.Tensor) -> None:
        rgb, _ = self.generator.split_output(self.generator(
            tf.concat([lightness, tf.zeros_like(lightness)], axis=-1)))
        self.discriminator(tf.concat([lightness, rgb], axis=-1))
        self.built = True

    def train_step(self, data):
        # 1. targets: the true RGB (in the generator's [-1, 1]) and the saliency map
        # 2. D: one update on E[D(G(x))] - E[D(x)]
        # 3. G: one update on L1 + GAN + saliency-weighted L1 + saliency-map L1
        lightness, edges = data["L"], data["edges"]
        rgb_true = to_tanh(color.model_to_rgb(lightness, data["ab"]))
        inputs = tf.concat([lightness, edges], axis=-1)
        rgb_fake, _ = self.generator.split_output(self.generator(inputs, training=True))
        with tf.GradientTape() as tape:
            d_loss = saliency_losses.per_example_discriminator(
                self.discriminator(tf.concat([lightness, rgb_true], -1), training=True),
                self.discriminator(tf.concat([lightness, tf.stop_gradient(rgb_fake)], -1),
                                   training=True))
            scaled = self.d_optimizer.scale_loss(losses.global_mean(d_loss))
        self._apply(self.d_optimizer, tape, scaled, self.discriminator.trainable_variables)
        with tf.GradientTape() as tape:
            rgb_fake, saliency_fake = self.generator.split_output(
                self.generator(inputs, training=True))
            fake_logits = self.discriminator(tf.concat([lightness, rgb_fake], -1),
                                             training=True)
            terms = saliency_losses.per_example_generator_losses(
                rgb_true, rgb_fake, data["saliency"], saliency_fake, fake_logits)
            scaled = self.optimizer.scale_loss(losses.global_mean(terms["total"]))
        self._apply(self.optimizer, tape, scaled, self.generator.trainable_variables)
        self.trackers["d_loss"].update_state(d_loss)
        return self._track(terms, data, rgb_fake)

    def test_step(self, data):
        inputs = tf.concat([data["L"], data["edges"]], axis=-1)
        rgb_fake, saliency_fake = self.generator.split_output(
            self.generator(inputs, training=False))
        rgb_true = to_tanh(color.model_to_rgb(data["L"], data["ab"]))
        fake_logits = self.discriminator(tf.concat([data["L"], rgb_fake], -1))
        terms = saliency_losses.per_example_generator_losses(
            rgb_true, rgb_fake, data["saliency"], saliency_fake, fake_logits)
        return self._track(terms, data, rgb_fake)

    def _track(self, terms: dict, data, rgb_fake: tf.Tensor) -> dict:
        for name in ("l1", "gan", "saliency_weighted_l1", "saliency_map_l1"):
            self.trackers[f"g_{name}"].update_state(terms[name])
        ab = color.ab_of_rgb((rgb_fake + 1.0) / 2.0)
        self.trackers["mae"].update_state(losses.per_example_l1(data["ab"], ab))
        return {m.name: m.result() for m in self.metrics}

    def predict_outputs(self, lightness: tf.Tensor, edges: tf.Tensor) -> dict[str, tf.Tensor]:
        """RGB in [0, 1] and the saliency map in [0, 1] for scaled L and its edges."""
        rgb, saliency = self.generator.split_output(
            self.generator(tf.concat([lightness, edges], axis=-1), training=False))
        return {"rgb": tf.clip_by_value((rgb + 1.0) / 2.0, 0.0, 1.0), "saliency": saliency}

    def predict_ab(self, lightness: tf.Tensor, decode: str | None = None,
                   temperature: float | None = None, edges: tf.Tensor | None = None):
        """Scaled ab of the predicted RGB; ``edges`` (Canny of L) are required."""
        del decode, temperature
        if edges is None:
            raise ValueError("multipath: predict_ab needs the Canny edges of L "
                             "(inference.Predictor computes them)")
        return color.ab_of_rgb(self.predict_outputs(lightness, edges)["rgb"])


def build(method: MethodConfig, num_classes: int = 0, seed: int | None = None) -> MultipathGAN:
    """The multi-path GAN described by ``method`` (not compiled)."""
    del num_classes, seed  # unused by this method
    return MultipathGAN(models.build(method.generator), models.build(method.discriminator))
