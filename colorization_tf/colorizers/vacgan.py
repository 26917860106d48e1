"""VAC+GAN colorizer (Galvão et al. §4.3): the cgan plus a versatile auxiliary classifier C on
concat(L, ab), trained with cross-entropy on real and generated images. G's loss gains
gamma * CE(C(G(x))) (eq. 7): class information reaches G only through back-propagation,
so colorizing needs no label at test time."""

from __future__ import annotations

import keras
import tensorflow as tf

from colorization_tf import losses, models
from colorization_tf.colorizers.cgan import ConditionalGAN, condition, gan_kwargs
from colorization_tf.colorizers.config import MethodConfig
from colorization_tf.losses import adversarial

UNLABELLED_HINT = ("vacgan needs class labels: use a labelled dataset (samples, cifar10, "
                   "stl10's labelled splits, or folder:PATH with one sub-folder per class)")


class VACGAN(ConditionalGAN):
    """The cgan step, then one update of C (``c_optimizer``) on the same real and generated
    batch; each G step adds ``gamma`` * C's cross-entropy on G's output."""

    OPTIMIZERS = {**ConditionalGAN.OPTIMIZERS, "c_optimizer": "classifier"}

    def __init__(self, generator: keras.Model, discriminator: keras.Model,
                 classifier: keras.Model, *, gamma: float = 0.01, **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        self.classifier = classifier
        self.gamma = float(gamma)
        self.c_real_tracker = keras.metrics.Mean(name="c_real")
        self.c_fake_tracker = keras.metrics.Mean(name="c_fake")
        self.g_ce_tracker = keras.metrics.Mean(name="g_ce")

    def compile(self, optimizer, d_optimizer, c_optimizer, **kwargs):
        """``c_optimizer`` updates the auxiliary classifier C."""
        self.c_optimizer = c_optimizer
        super().compile(optimizer=optimizer, d_optimizer=d_optimizer, **kwargs)

    @property
    def metrics(self):
        return [*super().metrics, self.c_real_tracker, self.c_fake_tracker, self.g_ce_tracker]

    @property
    def networks(self) -> list[keras.Model]:
        return [*super().networks, self.classifier]

    def optimizer_targets(self):
        return [*super().optimizer_targets(),
                (self.c_optimizer, self.classifier.trainable_variables)]

    def build_networks(self, lightness: tf.Tensor) -> None:
        super().build_networks(lightness)
        self.classifier(condition(lightness, self.generator(lightness)))

    def _labels(self, data) -> tf.Tensor:
        labels = data["label"]
        tf.debugging.assert_non_negative(labels, message=UNLABELLED_HINT + " (label -1 seen)")
        return labels

    def after_discriminator_step(self, data, fake_ab: tf.Tensor) -> None:
        """One update of C: cross-entropy on the real and the generated images."""
        lightness, labels = data["L"], self._labels(data)
        with tf.GradientTape() as tape:
            real_logits = self.classifier(condition(lightness, data["ab"]), training=True)
            fake_logits = self.classifier(condition(lightness, fake_ab), training=True)
            c_real = adversarial.classifier_cross_entropy(labels, real_logits)
            c_fake = adversarial.classifier_cross_entropy(labels, fake_logits)
            loss = losses.global_mean(c_real + c_fake)
            scaled = self.c_optimizer.scale_loss(loss)
        self._apply(self.c_optimizer, tape, scaled, self.classifier.trainable_variables)
        self.c_real_tracker.update_state(c_real)
        self.c_fake_tracker.update_state(c_fake)

    def generator_extra_loss(self, data, fake_ab: tf.Tensor) -> dict:
        logits = self.classifier(condition(data["L"], fake_ab), training=True)
        ce = adversarial.classifier_cross_entropy(self._labels(data), logits)
        return {"ce": ce, "extra": self.gamma * ce}

    def track_generator(self, data, parts: dict) -> None:
        super().track_generator(data, parts)
        self.g_ce_tracker.update_state(parts["ce"])


def build(method: MethodConfig, num_classes: int = 0, seed: int | None = None) -> VACGAN:
    """The VAC+GAN described by ``method`` (not compiled); C predicts ``num_classes``."""
    del seed  # unused by this method
    if num_classes < 2:
        raise ValueError(f"vacgan: the dataset has {num_classes} classes. {UNLABELLED_HINT}")
    classifier = models.build({**method.classifier, "num_classes": num_classes})
    return VACGAN(models.build(method.generator), models.build(method.discriminator),
                  classifier, gamma=method.gamma,
                  g_steps_per_d_step=method.g_steps_per_d_step, **gan_kwargs(method))
