"""WGAN-GP colorizer (Tran and Ly 2024): a U-Net generator against an InstanceNorm critic on
concat(L, ab), Wasserstein losses with a gradient penalty on interpolates (Gulrajani et
al. 2017), ``n_critic`` critic updates per generator update, plus the L1 term."""

from __future__ import annotations

import keras
import tensorflow as tf

from colorization_tf import losses, models
from colorization_tf.colorizers.cgan import ConditionalGAN, condition, gan_kwargs
from colorization_tf.colorizers.config import MethodConfig
from colorization_tf.losses import adversarial


class WGANGP(ConditionalGAN):
    """``train_step`` = ``n_critic`` critic updates on the batch (fresh interpolation
    points and generator dropout each time), then one generator update.

    The critic is ``self.discriminator`` (optimizer ``d_optimizer``); its loss per example
    is C(fake) - C(real) + ``penalty_weight`` * GP; G's adversarial term is -C(fake).
    """

    adversarial_loss = staticmethod(adversarial.generator_wasserstein)

    def __init__(self, generator: keras.Model, critic: keras.Model, *, n_critic: int = 5,
                 penalty_weight: float = 10.0, seed: int | None = None, **kwargs):
        super().__init__(generator, critic, g_steps_per_d_step=1, **kwargs)
        if int(n_critic) < 1:
            raise ValueError(f"n_critic={n_critic}: expected >= 1")
        self.n_critic = int(n_critic)
        self.penalty_weight = float(penalty_weight)
        # A seed generator's state is a model variable, so a resumed run draws the same
        # interpolation points as an uninterrupted one.
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_wasserstein_tracker = keras.metrics.Mean(name="d_wasserstein")
        self.gp_tracker = keras.metrics.Mean(name="gradient_penalty")

    @property
    def metrics(self):
        return [self.d_wasserstein_tracker, self.gp_tracker, self.g_adv_tracker,
                self.g_rec_tracker, self.mae_tracker]

    def train_step(self, data):
        for _ in range(self.n_critic):
            self.discriminator_step(data)
        self.generator_step(data)
        return {m.name: m.result() for m in self.metrics}

    def discriminator_step(self, data) -> tf.Tensor:
        """One critic update on the Wasserstein loss plus the gradient penalty."""
        lightness, ab = data["L"], data["ab"]
        fake_ab = tf.stop_gradient(self.generator(lightness, training=True))
        real, fake = condition(lightness, ab), condition(lightness, fake_ab)
        epsilon = keras.random.uniform([tf.shape(ab)[0], 1, 1, 1], seed=self.seed_generator)
        with tf.GradientTape() as tape:
            wasserstein = adversarial.critic_wasserstein(
                self.discriminator(real, training=True), self.discriminator(fake, training=True))
            penalty = adversarial.gradient_penalty(
                lambda x: self.discriminator(x, training=True), real, fake, epsilon)
            loss = losses.global_mean(wasserstein + self.penalty_weight * penalty)
            scaled = self.d_optimizer.scale_loss(loss)
        self._apply(self.d_optimizer, tape, scaled, self.discriminator.trainable_variables)
        self.d_wasserstein_tracker.update_state(wasserstein)
        self.gp_tracker.update_state(penalty)
        return fake_ab


def build(method: MethodConfig, num_classes: int = 0, seed: int | None = None) -> WGANGP:
    """The WGAN-GP described by ``method`` (not compiled); ``seed`` seeds the
    interpolation points."""
    del num_classes
    kwargs = {k: v for k, v in gan_kwargs(method).items() if k != "real_target"}
    return WGANGP(models.build(method.generator), models.build(method.discriminator),
                  n_critic=method.n_critic, penalty_weight=method.penalty_weight, seed=seed,
                  **kwargs)
