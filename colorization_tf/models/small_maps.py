"""Convolutions of small maps whose kernel gradient is one matrix product, which oneDNN
runs at full speed where its kernel-gradient convolutions do not.

At 32 px the U-Net's deepest layers see maps of 16 x 16 pixels and fewer. There, on a
2-core AVX512_BF16 CPU, oneDNN's kernel-gradient kernels run at a third to a half of its
matrix products' speed (``benchmarks/small_maps.py``: forward and both gradients, batch
128; the whole train step in ``benchmarks/throughput.py``). So where the map the kernel's
gradient is taken over (the input of a convolution, the output of a transposed one) has
at most :func:`patch_gradient_pixels` pixels, these layers keep TensorFlow's operations
forward and for the input's gradient, and take the kernel's gradient as that map's patches
(``tf.image.extract_patches``) times the other operand (:func:`conv_with_patch_gradient`,
:func:`transpose_with_patch_gradient`). Larger maps keep Keras' own operations, which are
faster there.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

# Largest map (pixels) whose kernel gradient is taken by patches, per compute dtype: up to
# 16 x 16 in bfloat16, 8 x 8 in float32; beyond, oneDNN's own kernels are faster
# (``benchmarks/small_maps.py``)
PATCH_GRADIENT_PIXELS = {"bfloat16": 256, "float32": 64}


def patch_gradient_pixels(dtype) -> int:
    """The largest map whose kernel gradient is taken by patches in ``dtype`` (0: never)."""
    return PATCH_GRADIENT_PIXELS.get(keras.backend.standardize_dtype(dtype), 0)


def _fits(layer, inputs, scale: int = 1) -> bool:
    """What the patch gradient needs: a static map of at most
    :func:`patch_gradient_pixels` pixels (the input's, times ``scale``), channels last,
    "same" padding, no dilation."""
    height, width = inputs.shape[1], inputs.shape[2]
    return (height is not None and width is not None
            and height * width * scale <= patch_gradient_pixels(inputs.dtype)
            and layer.data_format == "channels_last" and layer.padding == "same"
            and tuple(layer.dilation_rate) == (1, 1))


@keras.saving.register_keras_serializable("colorization_tf")
class Conv2D(keras.layers.Conv2D):
    """Keras' ``Conv2D`` (same weights, config and default name, so checkpoints of either
    load into the other) that takes :func:`conv_with_patch_gradient` for small inputs
    where it applies (channels last, ``same`` padding, no dilation or groups)."""

    def convolution_op(self, inputs, kernel):
        if self.groups == 1 and _fits(self, inputs):
            return conv_with_patch_gradient(inputs, kernel, self.strides)
        return super().convolution_op(inputs, kernel)


@keras.saving.register_keras_serializable("colorization_tf")
class Conv2DTranspose(keras.layers.Conv2DTranspose):
    """Keras' ``Conv2DTranspose`` (same weights, config and default name, so checkpoints
    of either load into the other) that takes :func:`transpose_with_patch_gradient` for
    small outputs where it applies (channels last, ``same`` padding, no dilation or
    output padding)."""

    def call(self, inputs):
        if self.output_padding is not None or not _fits(
                self, inputs, self.strides[0] * self.strides[1]):
            return super().call(inputs)
        outputs = transpose_with_patch_gradient(inputs, self.kernel, self.strides)
        if self.use_bias:
            outputs = ops.add(outputs, ops.reshape(self.bias, (1, 1, 1, self.filters)))
        return outputs if self.activation is None else self.activation(outputs)


def _patch_product(image, other, kernel_shape, strides):
    """A kernel's gradient as one matrix product: the "same"-padded patches of
    channels-last ``image`` (the kernel's size, at ``strides``; one per row, in the
    kernel's (kh, kw, c) order) transposed, times the rows of ``other`` (one per patch),
    shaped as ``kernel_shape``."""
    kh, kw = kernel_shape[:2]
    patches = tf.image.extract_patches(image, [1, kh, kw, 1], [1, *strides, 1], [1, 1, 1, 1],
                                       "SAME")
    product = tf.matmul(tf.reshape(patches, [-1, patches.shape[-1]]),
                        tf.reshape(other, [-1, other.shape[-1]]), transpose_a=True)
    return tf.reshape(product, kernel_shape)


def conv_with_patch_gradient(x, kernel, strides):
    """``conv(x, kernel, strides, padding="same")`` (channels last) by TensorFlow's
    convolution, with the input's gradient by its own, and the kernel's as the patches
    of ``x`` times the output's gradient (one matrix product)."""
    strides = [int(s) for s in strides]

    @tf.custom_gradient
    def convolve(x, kernel):
        def gradient(dy):
            dx = tf.nn.conv2d_transpose(dy, kernel, tf.shape(x), strides, "SAME")
            return dx, _patch_product(x, dy, kernel.shape, strides)
        return tf.nn.conv2d(x, kernel, strides, "SAME"), gradient

    return convolve(x, tf.convert_to_tensor(kernel))


def transpose_with_patch_gradient(x, kernel, strides):
    """``conv_transpose(x, kernel, strides, padding="same")`` (channels last, output
    ``[B, h*sh, w*sw, cout]``) by TensorFlow's operation, with the input's gradient as the
    forward convolution of the output's gradient, and the kernel's as that gradient's
    patches times ``x`` (one matrix product)."""
    cout = kernel.shape[2]
    strides = [int(s) for s in strides]

    @tf.custom_gradient
    def transpose(x, kernel):
        shape = tf.stack([tf.shape(x)[0], x.shape[1] * strides[0], x.shape[2] * strides[1],
                          cout])

        def gradient(dy):
            dx = tf.nn.conv2d(dy, kernel, strides, "SAME")
            return dx, _patch_product(dy, x, kernel.shape, strides)
        return tf.nn.conv2d_transpose(x, kernel, shape, strides, "SAME"), gradient

    return transpose(x, tf.convert_to_tensor(kernel))
