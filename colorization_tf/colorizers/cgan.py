"""Conditional GAN colorizer (Galvão et al. §4.2, after Nazeri et al.): a U-Net generator with
dropout as its noise, a convolutional discriminator on concat(L, ab), and the generator
loss eq. 5 = adversarial + lambda * L1 (or L2); the discriminator minimises eq. 6."""

from __future__ import annotations

import keras
import tensorflow as tf

from colorization_tf import losses, models
from colorization_tf.colorizers.base import AdversarialColorizer
from colorization_tf.colorizers.config import MethodConfig
from colorization_tf.losses import adversarial


def condition(lightness: tf.Tensor, ab: tf.Tensor) -> tf.Tensor:
    """The adversary's input: the gray image next to its (real or generated) colours."""
    return tf.concat([tf.cast(lightness, ab.dtype), ab], axis=-1)


class ConditionalGAN(AdversarialColorizer):
    """``train_step`` = one discriminator update, then ``g_steps_per_d_step`` generator
    updates, all on the same batch (the generator's dropout draws fresh noise each time).

    ``real_target`` < 1 is one-sided label smoothing (the paper tried 0.9); the fake
    target stays 0. The G optimizer is ``self.optimizer``; D's is ``self.d_optimizer``.
    """

    # G's adversarial term from D's logits on generated pairs (eq. 5's first term).
    adversarial_loss = staticmethod(adversarial.generator_adversarial)

    def __init__(self, generator: keras.Model, discriminator: keras.Model, *,
                 reconstruction: str = "l1", reconstruction_weight: float = 100.0,
                 real_target: float = 1.0, g_steps_per_d_step: int = 2, **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        if not 0.0 < real_target <= 1.0:
            raise ValueError(f"label smoothing real_target={real_target}: expected (0, 1]")
        if int(g_steps_per_d_step) < 1:
            raise ValueError(f"g_steps_per_d_step={g_steps_per_d_step}: expected >= 1")
        self.reconstruction_name = reconstruction
        self.reconstruction = losses.reconstruction_loss(reconstruction)
        self.reconstruction_weight = float(reconstruction_weight)
        self.real_target = float(real_target)
        self.g_steps_per_d_step = int(g_steps_per_d_step)
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")
        self.g_adv_tracker = keras.metrics.Mean(name="g_adv")
        self.g_rec_tracker = keras.metrics.Mean(name=f"g_{reconstruction}")
        self.mae_tracker = keras.metrics.Mean(name="mae")

    @property
    def metrics(self):
        return [self.d_real_tracker, self.d_fake_tracker, self.g_adv_tracker,
                self.g_rec_tracker, self.mae_tracker]

    def build_networks(self, lightness: tf.Tensor) -> None:
        ab = self.generator(lightness)
        self.discriminator(condition(lightness, ab))
        self.built = True

    # -- random-number state in checkpoints ---------------------------------------------

    def _seed_states(self) -> list:
        """The state of every seed generator (G's dropout noise, WGAN-GP's interpolation
        points), in a fixed order."""
        return [generator.state for layer in self._flatten_layers(include_self=True)
                for generator in getattr(layer, "_seed_generators", [])]

    def save_own_variables(self, store):
        """Also stores the seed states (Keras leaves them out of weight files), so a run
        resumed by BackupAndRestore draws the same noise as an uninterrupted one."""
        super().save_own_variables(store)
        for i, state in enumerate(self._seed_states()):
            store[f"seed{i}"] = state

    def load_own_variables(self, store):
        super().load_own_variables({k: store[k] for k in store.keys()
                                    if not k.startswith("seed")})
        for i, state in enumerate(self._seed_states()):
            if f"seed{i}" in store.keys():
                state.assign(store[f"seed{i}"])

    # -- one training iteration ------------------------------------------------------

    def train_step(self, data):
        fake_ab = self.discriminator_step(data)
        self.after_discriminator_step(data, fake_ab)
        for _ in range(self.g_steps_per_d_step):
            self.generator_step(data)
        return {m.name: m.result() for m in self.metrics}

    def discriminator_step(self, data) -> tf.Tensor:
        """One update of D on eq. 6; returns the generated ab it judged."""
        lightness, ab = data["L"], data["ab"]
        fake_ab = tf.stop_gradient(self.generator(lightness, training=True))
        with tf.GradientTape() as tape:
            d_real, d_fake = self.discriminator_losses(lightness, ab, fake_ab)
            loss = losses.global_mean(d_real + d_fake)
            scaled = self.d_optimizer.scale_loss(loss)
        self._apply(self.d_optimizer, tape, scaled, self.discriminator.trainable_variables)
        self.d_real_tracker.update_state(d_real)
        self.d_fake_tracker.update_state(d_fake)
        return fake_ab

    def discriminator_losses(self, lightness, ab, fake_ab) -> tuple[tf.Tensor, tf.Tensor]:
        """Eq. 6 per example: (real term at ``real_target``, fake term at 0)."""
        real_logits = self.discriminator(condition(lightness, ab), training=True)
        fake_logits = self.discriminator(condition(lightness, fake_ab), training=True)
        return (adversarial.discriminator_real(real_logits, self.real_target),
                adversarial.discriminator_fake(fake_logits))

    def after_discriminator_step(self, data, fake_ab: tf.Tensor) -> None:
        """Hook for further adversaries trained on the same generated batch (VAC+GAN's C)."""

    def generator_step(self, data) -> None:
        """One update of G on eq. 5 (plus ``generator_extra_loss``)."""
        with tf.GradientTape() as tape:
            loss, parts = self.generator_loss(data)
            scaled = self.optimizer.scale_loss(loss)
        self._apply(self.optimizer, tape, scaled, self.generator.trainable_variables)
        self.track_generator(data, parts)

    def generator_loss(self, data) -> tuple[tf.Tensor, dict]:
        """The global-batch generator loss and its per-example parts (call under a tape)."""
        lightness, ab = data["L"], data["ab"]
        fake_ab = self.generator(lightness, training=True)
        fake_logits = self.discriminator(condition(lightness, fake_ab), training=True)
        parts = {"adv": self.adversarial_loss(fake_logits),
                 "rec": self.reconstruction(ab, fake_ab),
                 "l1": losses.per_example_l1(ab, fake_ab)}
        parts.update(self.generator_extra_loss(data, fake_ab))
        per_example = parts["adv"] + self.reconstruction_weight * parts["rec"]
        per_example += parts.get("extra", 0.0)
        return losses.global_mean(per_example), parts

    def generator_extra_loss(self, data, fake_ab: tf.Tensor) -> dict:
        """Further per-example generator terms, summed in under the key ``extra``."""
        return {}

    def generator_gradients(self, data) -> list[tf.Tensor]:
        """Gradients of the (unscaled) generator loss w.r.t. G's weights (for tests)."""
        with tf.GradientTape() as tape:
            loss, _ = self.generator_loss(data)
        return tape.gradient(loss, self.generator.trainable_variables)

    def track_generator(self, data, parts: dict) -> None:
        self.g_adv_tracker.update_state(parts["adv"])
        self.g_rec_tracker.update_state(parts["rec"])
        self.mae_tracker.update_state(parts["l1"])

    def test_step(self, data):
        ab = data["ab"]
        prediction = self.generator(data["L"], training=False)
        self.g_rec_tracker.update_state(self.reconstruction(ab, prediction))
        self.mae_tracker.update_state(losses.per_example_l1(ab, prediction))
        return {m.name: m.result() for m in (self.g_rec_tracker, self.mae_tracker)}


def gan_kwargs(method: MethodConfig) -> dict:
    """Constructor arguments every adversarial colorizer takes from ``method``."""
    return {"reconstruction": method.loss, "reconstruction_weight": method.reconstruction_weight,
            "real_target": method.real_target}


def build(method: MethodConfig, num_classes: int = 0, seed: int | None = None) -> ConditionalGAN:
    """The cgan described by ``method`` (not compiled)."""
    del num_classes, seed  # unused by this method
    return ConditionalGAN(models.build(method.generator), models.build(method.discriminator),
                          g_steps_per_d_step=method.g_steps_per_d_step, **gan_kwargs(method))
