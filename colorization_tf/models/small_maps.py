"""Convolutions of small maps written as matrix products, which oneDNN runs at full speed
where its convolution kernels do not.

At 32 px the U-Net's deepest layers see maps of 16 x 16 pixels and fewer. There, on a
2-core AVX512_BF16 CPU (``benchmarks/small_maps.py``, forward and both gradients, batch
128; the whole train step in ``benchmarks/throughput.py``):

- oneDNN's bfloat16 kernel-gradient kernels run at a third to a half of its matrix
  products' speed. In bfloat16, convolutions of inputs and transposed convolutions to
  outputs of at most ``PATCH_GRADIENT_PIXELS`` pixels keep TensorFlow's operations forward
  and for the input's gradient, and take the kernel's gradient as the map's patches
  (``tf.image.extract_patches``) times the other operand (:func:`conv_with_patch_gradient`,
  :func:`transpose_with_patch_gradient`).
- A bfloat16 transposed convolution of at most ``SMALL_MAP_PIXELS`` input pixels is
  several times faster as every input pixel times the kernel followed by an overlap-add
  of the taps (:func:`transpose_by_product`).
- A float32 convolution of at most ``SMALL_MAP_PIXELS`` input pixels is faster as the
  kernel's shifted views of the input side by side times the kernel
  (:func:`conv_by_product`).

Larger maps keep Keras' own operations, which are faster there.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

# Inputs of at most this many pixels take the whole-layer products (at 8 x 8 Keras'
# operations are faster, ``benchmarks/small_maps.py``)
SMALL_MAP_PIXELS = 16
# bfloat16 kernel gradients by patches where the map the patches come from (the input of a
# convolution, the output of a transposed one) has at most this many pixels: at 32 x 32,
# oneDNN's own kernels are faster
PATCH_GRADIENT_PIXELS = 256


def _fits(layer, inputs, pixels: int = SMALL_MAP_PIXELS, scale: int = 1) -> bool:
    """What the products need: a static map of at most ``pixels`` pixels (times ``scale``),
    channels last, "same" padding, no dilation."""
    height, width = inputs.shape[1], inputs.shape[2]
    return (height is not None and width is not None
            and height * width * scale <= pixels
            and layer.data_format == "channels_last" and layer.padding == "same"
            and tuple(layer.dilation_rate) == (1, 1))


def _bfloat16(inputs) -> bool:
    return keras.backend.standardize_dtype(inputs.dtype) == "bfloat16"


@keras.saving.register_keras_serializable("colorization_tf")
class Conv2D(keras.layers.Conv2D):
    """Keras' ``Conv2D`` (same weights, config and default name, so checkpoints of either
    load into the other) where it applies (channels last, ``same`` padding, no dilation or
    groups): in bfloat16, inputs of at most ``PATCH_GRADIENT_PIXELS`` pixels take
    :func:`conv_with_patch_gradient`; in float32, inputs of at most ``SMALL_MAP_PIXELS``
    pixels take :func:`conv_by_product`."""

    def convolution_op(self, inputs, kernel):
        if self.groups == 1 and _bfloat16(inputs) and _fits(self, inputs,
                                                              PATCH_GRADIENT_PIXELS):
            return conv_with_patch_gradient(inputs, kernel, self.strides)
        if self.groups == 1 and _fits(self, inputs):
            return conv_by_product(inputs, kernel, self.strides)
        return super().convolution_op(inputs, kernel)


@keras.saving.register_keras_serializable("colorization_tf")
class Conv2DTranspose(keras.layers.Conv2DTranspose):
    """Keras' ``Conv2DTranspose`` (same weights, config and default name, so checkpoints
    of either load into the other) that computes bfloat16 inputs of at most
    ``SMALL_MAP_PIXELS`` pixels by :func:`transpose_by_product` where it applies:
    channels last, ``same`` padding, no dilation or output padding, kernel a multiple of
    the stride."""

    def call(self, inputs):
        if self._by_product(inputs):
            outputs = transpose_by_product(inputs, self.kernel, self.strides)
        elif self._patch_gradient(inputs):
            outputs = transpose_with_patch_gradient(inputs, self.kernel, self.strides)
        else:
            return super().call(inputs)
        if self.use_bias:
            outputs = ops.add(outputs, ops.reshape(self.bias, (1, 1, 1, self.filters)))
        return outputs if self.activation is None else self.activation(outputs)

    def _by_product(self, inputs) -> bool:
        return (_bfloat16(inputs) and _fits(self, inputs) and self.output_padding is None
                and all(k % s == 0 for k, s in zip(self.kernel_size, self.strides,
                                                   strict=True)))

    def _patch_gradient(self, inputs) -> bool:
        return (_bfloat16(inputs) and self.output_padding is None
                and _fits(self, inputs, PATCH_GRADIENT_PIXELS,
                          self.strides[0] * self.strides[1]))


def transpose_by_product(x, kernel, strides):
    """``conv_transpose(x, kernel, strides, padding="same")`` for channels-last ``x``
    ``[B,h,w,cin]`` and ``kernel`` ``[kh,kw,cout,cin]`` whose sides are multiples of the
    strides: every input pixel times the kernel (one matrix product, ``[B*h*w, cin]`` by
    ``[cin, kh*kw*cout]``), the taps laid out by depth-to-space per block of
    ``stride`` taps and summed at their offsets, then cut to ``[B, h*sh, w*sw, cout]``."""
    kh, kw, cout, cin = kernel.shape
    sh, sw = strides
    mh, mw = kh // sh, kw // sw
    batch, height, width = ops.shape(x)[0], x.shape[1], x.shape[2]
    taps = ops.matmul(ops.reshape(x, (-1, cin)),
                      ops.reshape(ops.transpose(kernel, (3, 0, 1, 2)), (cin, kh * kw * cout)))
    # tap row i = qi * sh + ri, column j = qj * sw + rj; one transpose puts each (qi, qj)
    # block first, laid out as an image (unstacking them, unlike slicing each, has a
    # gradient of one stack, not a zero-filled copy of every tap per block)
    taps = ops.reshape(taps, (batch, height, width, mh, sh, mw, sw, cout))
    taps = ops.reshape(ops.transpose(taps, (3, 5, 0, 1, 4, 2, 6, 7)),
                       (mh * mw, batch, height * sh, width * sw, cout))
    full_h, full_w = (height + mh - 1) * sh, (width + mw - 1) * sw
    total = None
    for index, block in enumerate(ops.unstack(taps, mh * mw)):
        qi, qj = divmod(index, mw)
        block = ops.pad(block, ((0, 0), (qi * sh, full_h - (height + qi) * sh),
                                (qj * sw, full_w - (width + qj) * sw), (0, 0)))
        total = block if total is None else total + block
    top, left = (kh - sh) // 2, (kw - sw) // 2  # "same": the forward conv's padding
    return total[:, top:top + height * sh, left:left + width * sw, :]


def conv_by_product(x, kernel, strides):
    """``conv(x, kernel, strides, padding="same")`` for channels-last ``x`` ``[B,h,w,cin]``
    and ``kernel`` ``[kh,kw,cin,cout]``: the kh x kw shifted, strided views of the padded
    input side by side (``[B,oh,ow,kh*kw*cin]``) times the kernel as one matrix."""
    kh, kw, cin, cout = kernel.shape
    sh, sw = strides
    height, width = x.shape[1], x.shape[2]
    out_h, out_w = -(-height // sh), -(-width // sw)
    pad_h = max((out_h - 1) * sh + kh - height, 0)
    pad_w = max((out_w - 1) * sw + kw - width, 0)
    x = ops.pad(x, ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2),
                    (0, 0)))
    views = [x[:, i:i + (out_h - 1) * sh + 1:sh, j:j + (out_w - 1) * sw + 1:sw, :]
             for i in range(kh) for j in range(kw)]
    columns = ops.concatenate(views, axis=-1)
    return ops.matmul(columns, ops.reshape(kernel, (kh * kw * cin, cout)))


def _patch_rows(image, kernel_size, strides):
    """The "same"-padded ``kernel_size`` patches of channels-last ``image`` at ``strides``,
    one per row: ``[B*oh*ow, kh*kw*c]``, in the kernel's (kh, kw, c) order."""
    (kh, kw), (sh, sw) = kernel_size, strides
    patches = tf.image.extract_patches(image, [1, kh, kw, 1], [1, sh, sw, 1], [1, 1, 1, 1],
                                       "SAME")
    return tf.reshape(patches, [-1, patches.shape[-1]])


def conv_with_patch_gradient(x, kernel, strides):
    """``conv(x, kernel, strides, padding="same")`` (channels last) by TensorFlow's
    convolution, with the input's gradient by its own, and the kernel's as the patches
    of ``x`` times the output's gradient (one matrix product)."""
    kh, kw, cin, cout = kernel.shape
    strides = [int(s) for s in strides]

    @tf.custom_gradient
    def convolve(x, kernel):
        def gradient(dy):
            dx = tf.nn.conv2d_transpose(dy, kernel, tf.shape(x), strides, "SAME")
            dk = tf.matmul(_patch_rows(x, (kh, kw), strides), tf.reshape(dy, [-1, cout]),
                           transpose_a=True)
            return dx, tf.reshape(dk, [kh, kw, cin, cout])
        return tf.nn.conv2d(x, kernel, strides, "SAME"), gradient

    return convolve(x, tf.convert_to_tensor(kernel))


def transpose_with_patch_gradient(x, kernel, strides):
    """``conv_transpose(x, kernel, strides, padding="same")`` (channels last, output
    ``[B, h*sh, w*sw, cout]``) by TensorFlow's operation, with the input's gradient as the
    forward convolution of the output's gradient, and the kernel's as that gradient's
    patches times ``x`` (one matrix product)."""
    kh, kw, cout, cin = kernel.shape
    strides = [int(s) for s in strides]

    @tf.custom_gradient
    def transpose(x, kernel):
        shape = tf.stack([tf.shape(x)[0], x.shape[1] * strides[0], x.shape[2] * strides[1],
                          cout])

        def gradient(dy):
            dx = tf.nn.conv2d(dy, kernel, strides, "SAME")
            dk = tf.matmul(_patch_rows(dy, (kh, kw), strides), tf.reshape(x, [-1, cin]),
                           transpose_a=True)
            return dx, tf.reshape(dk, [kh, kw, cout, cin])
        return tf.nn.conv2d_transpose(x, kernel, shape, strides, "SAME"), gradient

    return transpose(x, tf.convert_to_tensor(kernel))
