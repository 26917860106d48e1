"""Galvão et al.'s U-Net generator (§4.1): 4x4 convolutions, BN, LeakyReLU 0.2 down,
4x4 transposed convolutions, BN, ReLU and skip concatenation up, 1x1 conv + tanh out.

With ``global_inputs`` > 0 it also reads a global vector (Zhang et al. 2017's global
hints: a colour distribution and saturation) that a small dense branch maps to the
bottleneck's channels and adds there, broadcast over the positions."""

from __future__ import annotations

import keras
from keras import layers

from colorization_tf.models import batch_norm, small_maps
from colorization_tf.models.shapes import check_divisible

INIT = "glorot_normal"


@keras.saving.register_keras_serializable("colorization_tf")
class UNet(keras.Model):
    """Gray ``[B,H,W,in]`` -> ``[B,H,W,out_channels]`` in (-1, 1).

    ``encoder_filters[0]`` is applied at stride ``first_stride`` (1 in the CIFAR-10
    configuration), the rest at stride 2; the decoder mirrors the encoder and ends at the
    input resolution. ``dropout`` (the cGAN's noise) acts in the first ``dropout_blocks``
    decoder blocks. H and W must be divisible by 2 ** (number of stride-2 steps).
    ``bn_momentum`` 0.9 (not Keras' 0.99) lets the moving statistics that inference uses
    settle within tens of steps, which short runs need; the paper does not give it.
    Batch norm is synchronized across replicas, so a distributed step normalizes over the
    global batch exactly as a single device does.

    ``global_inputs`` > 0: the input is ``(image, vector [B,global_inputs])``; the vector
    passes ``global_layers`` dense ReLU layers and a linear one of the bottleneck's width
    and is added to the deepest encoder block's output at every position (Zhang et al.
    2017 §3.3 use four 1x1 convolutions of 512 channels added to a middle layer).
    """

    def __init__(self, encoder_filters=(64, 128, 256, 512, 512), first_stride: int = 1,
                 out_channels: int = 2, dropout: float = 0.0, dropout_blocks: int = 3,
                 kernel_size: int = 4, out_activation: str = "tanh",
                 bn_momentum: float = 0.9, global_inputs: int = 0, global_layers: int = 3,
                 **kwargs):
        super().__init__(**kwargs)
        self.global_inputs = int(global_inputs)
        self.global_layers = int(global_layers)
        self.encoder_filters = tuple(int(f) for f in encoder_filters)
        self.first_stride = int(first_stride)
        self.out_channels = int(out_channels)
        self.dropout = float(dropout)
        self.dropout_blocks = int(dropout_blocks)
        self.kernel_size = int(kernel_size)
        self.out_activation = out_activation
        self.bn_momentum = float(bn_momentum)
        self.down = []
        for i, filters in enumerate(self.encoder_filters):
            stride = self.first_stride if i == 0 else 2
            self.down.append(keras.Sequential([
                small_maps.Conv2D(filters, kernel_size, stride, padding="same", use_bias=False,
                              kernel_initializer=INIT),
                batch_norm.BatchNormalization(momentum=self.bn_momentum, synchronized=True),
                layers.LeakyReLU(negative_slope=0.2),
            ], name=f"down{i}"))
        self.up = []
        skip_filters = self.encoder_filters[:-1][::-1]
        for i, filters in enumerate(skip_filters):
            block = [small_maps.Conv2DTranspose(filters, kernel_size, 2, padding="same",
                                            use_bias=False, kernel_initializer=INIT),
                     batch_norm.BatchNormalization(momentum=self.bn_momentum, synchronized=True)]
            if self.dropout > 0 and i < self.dropout_blocks:
                block.append(layers.Dropout(self.dropout))
            block.append(layers.ReLU())
            self.up.append(keras.Sequential(block, name=f"up{i}"))
        self.top = None
        if self.first_stride != 1:  # undo the first stride before the output layer
            self.top = small_maps.Conv2DTranspose(self.encoder_filters[0], kernel_size,
                                              self.first_stride, padding="same",
                                              kernel_initializer=INIT, activation="relu")
        self.global_branch = None
        if self.global_inputs:
            width = self.encoder_filters[-1]
            self.global_branch = keras.Sequential(
                [layers.Dense(width, activation="relu", kernel_initializer=INIT)
                 for _ in range(self.global_layers)]
                + [layers.Dense(width, kernel_initializer=INIT)], name="global_hint")
        # the 1x1 head in float32 under mixed precision too: the loss gradient reaching it
        # stays float32 (rounding it to bfloat16 there cost the cGAN its adversarial
        # balance, docs/benchmarks.md); two output channels cost nothing to compute so
        self.head = layers.Conv2D(self.out_channels, 1, kernel_initializer=INIT,
                                  dtype="float32")
        self.out = layers.Activation(out_activation, dtype="float32")

    @property
    def downsampling(self) -> int:
        """The factor H and W must be divisible by."""
        return self.first_stride * 2 ** (len(self.encoder_filters) - 1)

    def build(self, input_shape):
        image_shape = input_shape[0] if self.global_inputs else input_shape
        check_divisible("UNet", image_shape, self.downsampling)
        super().build(input_shape)

    def call(self, x, training=False):
        vector = None
        if self.global_inputs:
            x, vector = x
        skips = []
        for block in self.down:
            x = block(x, training=training)
            skips.append(x)
        if vector is not None:  # broadcast into the bottleneck
            added = self.global_branch(keras.ops.cast(vector, x.dtype), training=training)
            skips[-1] = x = x + added[:, None, None, :]
        for block, skip in zip(self.up, skips[-2::-1], strict=True):
            x = block(x, training=training)
            x = keras.ops.concatenate([x, skip], axis=-1)
        if self.top is not None:
            x = self.top(x)
        return self.out(self.head(x))

    def get_config(self):
        return {**super().get_config(), "encoder_filters": list(self.encoder_filters),
                "first_stride": self.first_stride, "out_channels": self.out_channels,
                "dropout": self.dropout, "dropout_blocks": self.dropout_blocks,
                "kernel_size": self.kernel_size, "out_activation": self.out_activation,
                "bn_momentum": self.bn_momentum, "global_inputs": self.global_inputs,
                "global_layers": self.global_layers}
