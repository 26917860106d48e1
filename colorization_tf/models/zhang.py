"""Zhang et al.'s classification network (Kumar et al. §3.3a): VGG-like blocks of 3x3
convolutions with ReLU, batch norm closing each block, no pooling, dilated middle blocks,
and a 1x1 convolution to ``num_bins`` logits at a quarter of the input resolution."""

from __future__ import annotations

import keras
from keras import layers

from colorization_tf.models import small_maps
from colorization_tf.models.shapes import check_divisible

# Zhang et al. at 224 px: conv1-conv8, strides 2-2-2 down and one 2x transposed conv up
# (224 -> 28 -> 56). Default here, for 32 px CIFAR: two stride-2 blocks (32 -> 8) and the
# dilated middle at 8x8, since dilated 3x3 kernels at 4x4 would mostly read padding.
CIFAR_STRIDES = (2, 2, 1, 1, 1, 1, 1, 1)
IMAGENET_STRIDES = (2, 2, 2, 1, 1, 1, 1, -2)
WIDTHS = (64, 128, 256, 512, 512, 512, 512, 256)
CONVS = (2, 2, 3, 3, 3, 3, 3, 3)
DILATIONS = (1, 1, 1, 1, 2, 2, 1, 1)
OUTPUT_STRIDE = 4


@keras.saving.register_keras_serializable("colorization_tf")
class ZhangNet(keras.Model):
    """Scaled L ``[B,H,W,1]`` -> bin logits ``[B,H/4,W/4,num_bins]`` (float32).

    Block ``i`` has ``convs[i]`` 3x3 convolutions of ``widths[i]`` filters with dilation
    ``dilations[i]``; ``strides[i]`` is 2 (its last conv has stride 2), 1, or -2 (its first
    layer is a 4x4 stride-2 transposed conv, as Zhang's conv8). Every block but the last
    ends in batch norm. The strides must multiply to a net downsampling of 4.
    """

    def __init__(self, num_bins: int = 313, widths=WIDTHS, convs=CONVS, strides=CIFAR_STRIDES,
                 dilations=DILATIONS, **kwargs):
        super().__init__(**kwargs)
        self.num_bins = int(num_bins)
        self.widths = tuple(int(w) for w in widths)
        self.convs = tuple(int(c) for c in convs)
        self.strides = tuple(int(s) for s in strides)
        self.dilations = tuple(int(d) for d in dilations)
        if not len(self.widths) == len(self.convs) == len(self.strides) == len(self.dilations):
            raise ValueError("ZhangNet: widths, convs, strides and dilations need one entry "
                             "per block")
        if self.downsampling != OUTPUT_STRIDE * self.upsampling:
            raise ValueError(f"ZhangNet strides {self.strides} do not give logits at a quarter "
                             "of the input resolution")
        self.blocks = [self._block(i) for i in range(len(self.widths))]
        self.head = layers.Conv2D(self.num_bins, 1, name="logits")
        self.out = layers.Activation("linear", dtype="float32")

    @property
    def downsampling(self) -> int:
        """The factor H and W must be divisible by."""
        return 2 ** sum(s == 2 for s in self.strides)

    @property
    def upsampling(self) -> int:
        return 2 ** sum(s == -2 for s in self.strides)

    def _block(self, index: int) -> keras.Sequential:
        width, stride = self.widths[index], self.strides[index]
        stack = []
        for j in range(self.convs[index]):
            if stride == -2 and j == 0:
                stack.append(small_maps.Conv2DTranspose(width, 4, 2, padding="same",
                                                    activation="relu"))
                continue
            last_stride = stride == 2 and j == self.convs[index] - 1
            stack.append(layers.Conv2D(width, 3, 2 if last_stride else 1, padding="same",
                                       dilation_rate=1 if last_stride else
                                       self.dilations[index], activation="relu"))
        if index < len(self.widths) - 1:
            stack.append(layers.BatchNormalization())
        return keras.Sequential(stack, name=f"conv{index + 1}")

    def build(self, input_shape):
        check_divisible("ZhangNet", input_shape, self.downsampling)
        super().build(input_shape)

    def call(self, x, training=False):
        for block in self.blocks:
            x = block(x, training=training)
        return self.out(self.head(x))

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "widths": list(self.widths),
                "convs": list(self.convs), "strides": list(self.strides),
                "dilations": list(self.dilations)}
