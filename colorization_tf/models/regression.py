"""Li and Wang's regression network (Fig. 4): a dilated VGG-style encoder without pooling,
three 4x4 stride-2 transposed convolutions back to full size, and a 1x1 conv + sigmoid.

The sigmoid predicts ab mapped to [0, 1] as in Li and Wang, ``s = (ab* + 128) / 255``; the
output layer returns ``2 s - 1``, which is the model's scaled ab ``(ab* + 0.5) / 127.5``
(color.py), so losses, metrics and colorize treat it like any other generator.
"""

from __future__ import annotations

import keras
from keras import layers

from colorization_tf.models import batch_norm, small_maps
from colorization_tf.models.shapes import check_divisible

# Blocks 1-7 of Fig. 4 (filters, convolutions, dilation); blocks 1-3 end with a stride-2
# convolution. Block 8 is ``len(DOWN_BLOCKS)`` transposed convolutions of DECONV_WIDTH.
WIDTHS = (64, 128, 256, 512, 512, 512, 512)
CONVS = (2, 2, 3, 3, 3, 3, 3)
DILATIONS = (1, 1, 1, 1, 2, 2, 1)
DOWN_BLOCKS = 3
DECONV_WIDTH = 256


@keras.saving.register_keras_serializable("colorization_tf")
class RegressionNet(keras.Model):
    """Scaled L ``[B,H,W,1]`` -> scaled ab ``[B,H,W,2]`` in (-1, 1) (float32).

    Every convolution is 3x3 + ReLU, each of blocks 1-7 ends in batch norm; H and W must
    be divisible by 8.
    """

    def __init__(self, widths=WIDTHS, convs=CONVS, dilations=DILATIONS,
                 deconv_width: int = DECONV_WIDTH, **kwargs):
        super().__init__(**kwargs)
        self.widths = tuple(int(w) for w in widths)
        self.convs = tuple(int(c) for c in convs)
        self.dilations = tuple(int(d) for d in dilations)
        self.deconv_width = int(deconv_width)
        if not len(self.widths) == len(self.convs) == len(self.dilations) > DOWN_BLOCKS:
            raise ValueError("RegressionNet: widths, convs and dilations need one entry per "
                             f"block and more than {DOWN_BLOCKS} blocks")
        self.blocks = [self._block(i) for i in range(len(self.widths))]
        self.up = keras.Sequential([
            small_maps.Conv2DTranspose(self.deconv_width, 4, 2, padding="same", activation="relu")
            for _ in range(DOWN_BLOCKS)], name="deconv")
        self.head = layers.Conv2D(2, 1, activation="sigmoid", dtype="float32", name="ab01")

    downsampling = 2 ** DOWN_BLOCKS

    def _block(self, index: int) -> keras.Sequential:
        stack = []
        for j in range(self.convs[index]):
            strided = index < DOWN_BLOCKS and j == self.convs[index] - 1
            stack.append(layers.Conv2D(self.widths[index], 3, 2 if strided else 1,
                                       padding="same", activation="relu",
                                       dilation_rate=1 if strided else self.dilations[index]))
        stack.append(batch_norm.BatchNormalization())
        return keras.Sequential(stack, name=f"block{index + 1}")

    def build(self, input_shape):
        check_divisible("RegressionNet", input_shape, self.downsampling)
        super().build(input_shape)

    def call(self, x, training=False):
        for block in self.blocks:
            x = block(x, training=training)
        unit = self.head(self.up(x))  # ab mapped to [0, 1], as in Li and Wang
        return 2.0 * unit - 1.0

    def get_config(self):
        return {**super().get_config(), "widths": list(self.widths), "convs": list(self.convs),
                "dilations": list(self.dilations), "deconv_width": self.deconv_width}
