"""Adversaries that judge a colorization given its gray input, concat(L, ab):
Galvão et al.'s convolutional discriminator (§4.2, PatchGAN or DCGAN head) and
Tran and Ly's InstanceNorm critic for WGAN-GP. Both return logits / scores in float32;
the sigmoid lives in the loss so mixed precision stays stable."""

from __future__ import annotations

import keras
from keras import layers

from colorization_tf.models import batch_norm

INIT = "glorot_normal"
HEADS = ("patch", "global")


@keras.saving.register_keras_serializable("colorization_tf")
class Discriminator(keras.Model):
    """``[B,H,W,1+2]`` -> logits: ``[B,h,w,1]`` (one per patch, ``head='patch'``) or
    ``[B,1]`` (``head='global'``, the DCGAN head).

    Each block is a 4x4 convolution at stride 2 with 'same' padding, batch norm and
    LeakyReLU 0.2 (§4.2: "all layers include batch normalization"); channels double from
    ``filters[0]``.
    """

    def __init__(self, filters=(64, 128, 256, 512), head: str = "patch",
                 kernel_size: int = 4, **kwargs):
        super().__init__(**kwargs)
        if head not in HEADS:
            raise ValueError(f"Discriminator head {head!r}: expected one of {HEADS}")
        self.filters = tuple(int(f) for f in filters)
        self.head = head
        self.kernel_size = int(kernel_size)
        self.blocks = [keras.Sequential([
            layers.Conv2D(f, kernel_size, 2, padding="same", use_bias=False,
                          kernel_initializer=INIT),
            batch_norm.BatchNormalization(),
            layers.LeakyReLU(negative_slope=0.2),
        ], name=f"block{i}") for i, f in enumerate(self.filters)]
        if head == "patch":
            self.out = layers.Conv2D(1, kernel_size, 1, padding="same", kernel_initializer=INIT,
                                     dtype="float32")
        else:
            self.flatten = layers.Flatten()
            self.out = layers.Dense(1, kernel_initializer=INIT, dtype="float32")

    def call(self, x, training=False):
        for block in self.blocks:
            x = block(x, training=training)
        if self.head == "global":
            x = self.flatten(x)
        return self.out(x)

    def get_config(self):
        return {**super().get_config(), "filters": list(self.filters), "head": self.head,
                "kernel_size": self.kernel_size}


@keras.saving.register_keras_serializable("colorization_tf")
class Critic(keras.Model):
    """``[B,H,W,1+2]`` -> ``[B,1]`` Wasserstein scores (Tran and Ly 2024): blocks of Conv (4x4,
    stride 2), LeakyReLU 0.2, InstanceNorm, then flatten and a linear layer.

    InstanceNorm (``GroupNormalization`` with one group per channel) normalises each image
    on its own, so the gradient penalty's per-example gradients stay independent; batch
    norm would couple them.
    """

    def __init__(self, filters=(64, 128, 256, 512), kernel_size: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.filters = tuple(int(f) for f in filters)
        self.kernel_size = int(kernel_size)
        self.blocks = [keras.Sequential([
            layers.Conv2D(f, kernel_size, 2, padding="same", kernel_initializer=INIT),
            layers.LeakyReLU(negative_slope=0.2),
            layers.GroupNormalization(groups=-1),
        ], name=f"block{i}") for i, f in enumerate(self.filters)]
        self.flatten = layers.Flatten()
        self.out = layers.Dense(1, kernel_initializer=INIT, dtype="float32")

    def call(self, x, training=False):
        for block in self.blocks:
            x = block(x, training=training)
        return self.out(self.flatten(x))

    def get_config(self):
        return {**super().get_config(), "filters": list(self.filters),
                "kernel_size": self.kernel_size}
