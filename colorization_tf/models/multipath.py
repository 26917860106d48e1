"""Sarkar et al.'s multi-path GAN networks: a U-Net-like generator reading concat(gray, edges)
and writing RGB + saliency, with frozen ResNet-18 features fused at its sixth
down-sampling layer, and a six-layer PatchGAN discriminator on concat(gray, RGB)."""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers

from colorization_tf.models import batch_norm, resnet, small_maps
from colorization_tf.models.shapes import check_divisible

INIT = "glorot_normal"  # Sarkar et al.'s Xavier initialisation
GENERATOR_FILTERS = (64, 128, 256, 512, 512, 512, 512)
FUSION_LAYER = 6  # Sarkar et al. concatenate the ResNet features to the 6th down layer's output
BACKBONE_SIZE = 224  # ResNet-18 sees 224 px (its 7x7x512 output, Sarkar et al. 2022 §4)


@keras.saving.register_keras_serializable("colorization_tf")
class MultipathGenerator(keras.Model):
    """concat(gray L, edges) ``[B,H,W,2]`` in [-1, 1] / {0, 1} -> ``[B,H,W,4]`` in (-1, 1):
    RGB in the first three channels, the saliency map in the fourth (float32).

    Seven 4x4 down-sampling convolutions (``filters``; the first at ``first_stride``, 1 as
    in the paper, where 64 px reach 2x2 at the sixth layer and 1x1 at the seventh; the rest
    at stride 2) and seven 4x4 transposed convolutions back, with skip concatenation,
    LeakyReLU 0.2 throughout and tanh on the output. The gray channel, repeated to RGB and
    resized to ``backbone_size``, runs through a frozen ResNet-18 (``backbone_weights``:
    ``none`` | ``imagenet`` | PATH); its 512-channel output is resized to the sixth down
    layer's size and concatenated there (the skip carries the fused tensor).
    """

    def __init__(self, filters=GENERATOR_FILTERS, first_stride: int = 1, out_channels: int = 4,
                 kernel_size: int = 4, batch_norm: bool = False,
                 backbone_weights: str = "none", backbone_size: int = BACKBONE_SIZE,
                 image_size: int | None = 64, **kwargs):
        super().__init__(**kwargs)
        self.filters = tuple(int(f) for f in filters)
        self.first_stride = int(first_stride)
        self.out_channels = int(out_channels)
        self.kernel_size = int(kernel_size)
        self.batch_norm = bool(batch_norm)
        self.backbone_size = int(backbone_size)
        self.image_size = None if image_size is None else int(image_size)
        if len(self.filters) < FUSION_LAYER:
            raise ValueError(f"MultipathGenerator filters {list(self.filters)}: need at least "
                             f"{FUSION_LAYER} down layers (the ResNet features join the "
                             f"{FUSION_LAYER}th)")
        if self.first_stride not in (1, 2):
            raise ValueError(f"MultipathGenerator first_stride {first_stride}: expected 1 or 2")
        if self.backbone_size < resnet.OUTPUT_STRIDE:
            raise ValueError(f"MultipathGenerator backbone_size {backbone_size}: ResNet-18 needs "
                             f"at least {resnet.OUTPUT_STRIDE} px")
        if self.image_size is not None:
            check_divisible("MultipathGenerator", (None, self.image_size, self.image_size),
                            self.downsampling)
        self.down = [self._block(layers.Conv2D, f, self.first_stride if i == 0 else 2,
                                 f"down{i + 1}") for i, f in enumerate(self.filters)]
        self.up = [self._block(small_maps.Conv2DTranspose, f, 2, f"up{i + 1}")
                   for i, f in enumerate(self.filters[-2::-1])]
        self.head = small_maps.Conv2DTranspose(self.out_channels, kernel_size, self.first_stride,
                                           padding="same", kernel_initializer=INIT,
                                           name=f"up{len(self.filters)}")
        self.out = layers.Activation("tanh", dtype="float32")
        self.backbone = resnet.ResNet18(name="backbone")
        resnet.load_backbone_weights(self.backbone, backbone_weights)
        self.backbone.trainable = False

    def _block(self, conv, filters: int, stride: int, name: str) -> keras.Sequential:
        stack = [conv(filters, self.kernel_size, stride, padding="same",
                      use_bias=not self.batch_norm, kernel_initializer=INIT)]
        if self.batch_norm:
            stack.append(batch_norm.BatchNormalization(momentum=0.9))
        stack.append(layers.LeakyReLU(negative_slope=0.2))
        return keras.Sequential(stack, name=name)

    @property
    def downsampling(self) -> int:
        """The factor H and W must be divisible by."""
        return self.first_stride * 2 ** (len(self.filters) - 1)

    def build(self, input_shape):
        check_divisible("MultipathGenerator", input_shape, self.downsampling)
        super().build(input_shape)

    def backbone_features(self, gray: tf.Tensor) -> tf.Tensor:
        """Frozen ResNet-18 features of scaled gray ``[B,H,W,1]`` in [-1, 1]."""
        rgb = tf.repeat((tf.cast(gray, tf.float32) + 1.0) / 2.0, 3, axis=-1)
        rgb = tf.image.resize(rgb, [self.backbone_size, self.backbone_size])
        features = self.backbone(resnet.preprocess_input(rgb), training=False)
        return tf.stop_gradient(features)

    def call(self, x, training=False):
        features = self.backbone_features(x[..., :1])
        skips = []
        for index, block in enumerate(self.down):
            x = block(x, training=training)
            if index == FUSION_LAYER - 1:
                # bilinear without antialiasing: XLA compiles it (not ScaleAndTranslate)
                fused = tf.image.resize(features, tf.shape(x)[1:3])
                x = keras.ops.concatenate([x, tf.cast(fused, x.dtype)], axis=-1)
            skips.append(x)
        for block, skip in zip(self.up, skips[-2::-1], strict=True):
            x = keras.ops.concatenate([block(x, training=training), skip], axis=-1)
        return self.out(self.head(x))

    @staticmethod
    def split_output(output: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """Generator output -> (RGB in [-1, 1], saliency in [0, 1]), as the losses take."""
        output = tf.cast(output, tf.float32)
        return output[..., :3], (output[..., 3:] + 1.0) / 2.0

    def get_config(self):
        # Backbone weights travel with the saved model, so a reload must not download them
        # again: the config records "none".
        return {**super().get_config(), "filters": list(self.filters),
                "first_stride": self.first_stride, "out_channels": self.out_channels,
                "kernel_size": self.kernel_size, "batch_norm": self.batch_norm,
                "backbone_weights": "none", "backbone_size": self.backbone_size,
                "image_size": self.image_size}


@keras.saving.register_keras_serializable("colorization_tf")
class PatchDiscriminator(keras.Model):
    """concat(gray, RGB) ``[B,H,W,1+3]`` -> patch logits ``[B,h,w,1]`` in float32.

    Six convolutions in SCGAN's PatchGAN layout with PyTorch-style explicit zero padding:
    7x7 stride 1, three 4x4 stride 2, two 4x4 stride 1 (the last to one channel), LeakyReLU
    0.2 between them. Patches: 30x30 at 256 px (Sarkar et al. 2022 §5.1), 14x14 at 128 px (§4),
    6x6 at 64 px. The paper's sigmoid is left to the loss (``saliency_losses``), so the
    output stays finite under mixed precision.
    """

    KERNELS = (7, 4, 4, 4, 4, 4)
    STRIDES = (1, 2, 2, 2, 1, 1)

    def __init__(self, filters=(64, 128, 256, 256, 512), batch_norm: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.filters = tuple(int(f) for f in filters)
        self.batch_norm = bool(batch_norm)
        if len(self.filters) != len(self.KERNELS) - 1:
            raise ValueError(f"PatchDiscriminator filters {list(self.filters)}: expected "
                             f"{len(self.KERNELS) - 1} values (the sixth layer is the output)")
        self.blocks = []
        for index, (size, stride) in enumerate(zip(self.KERNELS, self.STRIDES, strict=True)):
            last = index == len(self.KERNELS) - 1
            stack = [layers.ZeroPadding2D((size - 1) // 2),
                     layers.Conv2D(1 if last else self.filters[index], size, stride,
                                   padding="valid", kernel_initializer=INIT,
                                   use_bias=last or not (self.batch_norm and index > 0),
                                   dtype="float32" if last else None)]
            if not last:
                if self.batch_norm and index > 0:
                    stack.append(batch_norm.BatchNormalization())
                stack.append(layers.LeakyReLU(negative_slope=0.2))
            self.blocks.append(keras.Sequential(stack, name=f"conv{index + 1}"))

    def call(self, x, training=False):
        for block in self.blocks:
            x = block(x, training=training)
        return x

    def get_config(self):
        return {**super().get_config(), "filters": list(self.filters),
                "batch_norm": self.batch_norm}
