"""Convolutions that compute small input maps as one matrix product.

oneDNN's kernels for a convolution or transposed convolution whose input is only a few
pixels wide (the U-Net's deepest layers at 32 px: 4 x 4 and 2 x 2 maps of 512 and 1024
channels) run below the CPU's speed, forward and backward; the bfloat16 transposed
convolution of a 2 x 2 map several times below. Written as matrix products, the same
layers are plain GEMMs, which oneDNN runs at full speed: a convolution as the kernel's
shifted views of the input side by side times the kernel, a transposed convolution as
every input pixel times the kernel followed by an overlap-add of the taps.
``benchmarks/small_maps.py`` times both ways (forward and both gradients, batch 128, on
a 2-core AVX512_BF16 CPU: the 4 x 4 convolution 1.1-1.2x faster in either precision,
the 2 x 2 transposed one 4.3x in bfloat16 but slower in float32). Larger maps keep
Keras' own operations, which are faster there.
"""

from __future__ import annotations

import keras
from keras import ops

# Inputs of at most this many pixels take the matrix product (at 8 x 8 Keras' operations
# are faster, ``benchmarks/small_maps.py``); transposed convolutions only in bfloat16,
# where alone the product is faster.
SMALL_MAP_PIXELS = 16


def _fits(layer, inputs) -> bool:
    """What both products need: a small static map, channels last, "same", no dilation."""
    height, width = inputs.shape[1], inputs.shape[2]
    return (height is not None and width is not None and height * width <= SMALL_MAP_PIXELS
            and layer.data_format == "channels_last" and layer.padding == "same"
            and tuple(layer.dilation_rate) == (1, 1))


@keras.saving.register_keras_serializable("colorization_tf")
class Conv2D(keras.layers.Conv2D):
    """Keras' ``Conv2D`` (same weights, config and default name, so checkpoints of either
    load into the other) that convolves inputs of at most ``SMALL_MAP_PIXELS`` pixels by
    :func:`conv_by_product` where it applies: channels last, ``same`` padding, no
    dilation or groups."""

    def convolution_op(self, inputs, kernel):
        if _fits(self, inputs) and self.groups == 1:
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
        if not self._by_product(inputs):
            return super().call(inputs)
        outputs = transpose_by_product(inputs, self.kernel, self.strides)
        if self.use_bias:
            outputs = ops.add(outputs, ops.reshape(self.bias, (1, 1, 1, self.filters)))
        return outputs if self.activation is None else self.activation(outputs)

    def _by_product(self, inputs) -> bool:
        return (keras.backend.standardize_dtype(inputs.dtype) == "bfloat16"
                and _fits(self, inputs) and self.output_padding is None
                and all(k % s == 0 for k, s in zip(self.kernel_size, self.strides,
                                                   strict=True)))


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
    # tap row i = qi * sh + ri, column j = qj * sw + rj
    taps = ops.reshape(taps, (batch, height, width, mh, sh, mw, sw, cout))
    full_h, full_w = (height + mh - 1) * sh, (width + mw - 1) * sw
    total = None
    for qi in range(mh):
        for qj in range(mw):
            block = ops.transpose(taps[:, :, :, qi, :, qj, :, :], (0, 1, 3, 2, 4, 5))
            block = ops.reshape(block, (batch, height * sh, width * sw, cout))
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
