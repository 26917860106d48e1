"""Learned user hints (Zhang et al. 2017, "Real-Time User-Guided Image Colorization with
Learned Deep Priors"): the supervised U-Net of Galvão et al. whose input is
concat(L, hint_ab, hint_mask), trained with an L1 loss on batches whose hints the data
pipeline simulated from the ground truth (``data/hints.py``). The global variant also
reads ``hint_global`` (a distribution over the ab bins, the saturation and a 'given'
flag), which the U-Net adds at its bottleneck.

Absent hints are zeros (no hinted pixel, global flag 0), which the network saw in training
(a geometric number of points is often small, and the global hint is dropped at random),
so a hint model colorizes automatically when nobody steers it.
"""

from __future__ import annotations

import tensorflow as tf

from colorization_tf import models
from colorization_tf.color.global_hint import global_hint_size
from colorization_tf.colorizers.config import MethodConfig
from colorization_tf.colorizers.supervised import SupervisedColorizer


class HintColorizer(SupervisedColorizer):
    """``generator(concat(L, hint_ab, hint_mask))`` -> ab, trained like the supervised
    colorizer (``loss`` 'l1' or 'l2') on batches carrying ``hint_ab`` and ``hint_mask``."""

    FEATURES = ("hint_ab", "hint_mask")

    def network_inputs(self, lightness: tf.Tensor, hint_ab: tf.Tensor | None = None,
                       hint_mask: tf.Tensor | None = None,
                       hint_global: tf.Tensor | None = None):
        """The generator's input for scaled L ``[B,H,W,1]`` and the hint maps (zeros where
        a map is None: nothing hinted)."""
        del hint_global  # read by the global variant only
        lightness = tf.convert_to_tensor(lightness)
        batch_hw = tf.shape(lightness)[:-1]
        if hint_ab is None:
            hint_ab = tf.zeros(tf.concat([batch_hw, [2]], 0), lightness.dtype)
        if hint_mask is None:
            hint_mask = tf.zeros(tf.concat([batch_hw, [1]], 0), lightness.dtype)
        return tf.concat([lightness, tf.cast(hint_ab, lightness.dtype),
                          tf.cast(hint_mask, lightness.dtype)], axis=-1)

    def generator_inputs(self, data: dict):
        return self.network_inputs(data["L"], data.get("hint_ab"), data.get("hint_mask"),
                                   data.get("hint_global"))

    def call(self, lightness, training=False):
        return self.generator(self.network_inputs(lightness), training=training)

    def build_networks(self, lightness: tf.Tensor) -> None:
        self.generator(self.network_inputs(lightness))
        self.built = True

    def predict_ab(self, lightness: tf.Tensor, decode: str | None = None,
                   temperature: float | None = None, hint_ab: tf.Tensor | None = None,
                   hint_mask: tf.Tensor | None = None,
                   hint_global: tf.Tensor | None = None) -> tf.Tensor:
        """Scaled ab for scaled L and the user's hints (None: none given)."""
        del decode, temperature
        inputs = self.network_inputs(lightness, hint_ab, hint_mask, hint_global)
        return tf.cast(self.generator(inputs, training=False), tf.float32)


class GlobalHintColorizer(HintColorizer):
    """``HintColorizer`` whose generator also reads ``hint_global`` ``[B,Q+2]``."""

    FEATURES = ("hint_ab", "hint_mask", "hint_global")

    def network_inputs(self, lightness, hint_ab=None, hint_mask=None, hint_global=None):
        image = super().network_inputs(lightness, hint_ab, hint_mask)
        if hint_global is None:
            hint_global = tf.zeros([tf.shape(image)[0], self.generator.global_inputs],
                                   image.dtype)
        return image, tf.cast(hint_global, image.dtype)


def build(method: MethodConfig, num_classes: int = 0, seed: int | None = None) -> HintColorizer:
    """The learned-hints colorizer described by ``method`` (not compiled)."""
    del num_classes, seed  # unused by this method
    if method.global_hint:
        generator = models.build({**method.generator, "global_inputs": global_hint_size()})
        return GlobalHintColorizer(generator, loss=method.loss)
    return HintColorizer(models.build(method.generator), loss=method.loss)


__all__ = ["GlobalHintColorizer", "HintColorizer", "build"]
