"""The versatile auxiliary classifier C of VAC+GAN (Galvão et al. §4.3): predicts the class
of a colorized (or real) image from concat(L, ab), so G learns class cues through C."""

from __future__ import annotations

import keras
from keras import layers

INIT = "glorot_normal"


@keras.saving.register_keras_serializable("colorization_tf")
class AuxiliaryClassifier(keras.Model):
    """``[B,H,W,1+2]`` -> ``[B,num_classes]`` logits (float32).

    4x4 convolutions with ``filters`` at ``strides`` (64-128-256 at stride 2, then 256 at
    stride 1), each followed by LeakyReLU 0.2, then flatten and a dense layer.
    """

    def __init__(self, num_classes: int = 10, filters=(64, 128, 256, 256),
                 strides=(2, 2, 2, 1), kernel_size: int = 4, **kwargs):
        super().__init__(**kwargs)
        if int(num_classes) < 2:
            raise ValueError(f"AuxiliaryClassifier num_classes={num_classes}: need at least 2 "
                             "classes (is the dataset labelled?)")
        if len(filters) != len(strides):
            raise ValueError(f"AuxiliaryClassifier: filters {list(filters)} and strides "
                             f"{list(strides)} must have the same length")
        self.num_classes = int(num_classes)
        self.filters = tuple(int(f) for f in filters)
        self.strides = tuple(int(s) for s in strides)
        self.kernel_size = int(kernel_size)
        self.convs = [keras.Sequential([
            layers.Conv2D(f, kernel_size, s, padding="same", kernel_initializer=INIT),
            layers.LeakyReLU(negative_slope=0.2),
        ], name=f"conv{i}") for i, (f, s) in enumerate(zip(self.filters, self.strides, strict=True))]
        self.flatten = layers.Flatten()
        self.out = layers.Dense(self.num_classes, kernel_initializer=INIT, dtype="float32")

    def call(self, x, training=False):
        for conv in self.convs:
            x = conv(x, training=training)
        return self.out(self.flatten(x))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "filters": list(self.filters), "strides": list(self.strides),
                "kernel_size": self.kernel_size}
