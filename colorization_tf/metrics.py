"""Image-quality metrics, batched TF: per-example values so callers can average or
aggregate as they need.

MAE/MSE are on the model's ab scale (the primary seed's Table 1); PSNR and SSIM on 8-bit
sRGB, as in seeds 001 and 004.
"""

from __future__ import annotations

import tensorflow as tf

from colorization_tf import color


def mae(ab_true: tf.Tensor, ab_pred: tf.Tensor) -> tf.Tensor:
    """Per-example mean absolute ab error on the [-1, 1] scale."""
    diff = tf.abs(tf.cast(ab_pred, tf.float32) - tf.cast(ab_true, tf.float32))
    return tf.reduce_mean(diff, axis=[1, 2, 3])


def mse(ab_true: tf.Tensor, ab_pred: tf.Tensor) -> tf.Tensor:
    """Per-example mean squared ab error on the [-1, 1] scale."""
    diff = tf.cast(ab_pred, tf.float32) - tf.cast(ab_true, tf.float32)
    return tf.reduce_mean(tf.square(diff), axis=[1, 2, 3])


def to_uint8_rgb(lightness: tf.Tensor, ab: tf.Tensor) -> tf.Tensor:
    """Scaled (L, ab) -> uint8 sRGB, the form PSNR/SSIM are reported on."""
    rgb = color.model_to_rgb(lightness, ab)
    return tf.cast(tf.round(rgb * 255.0), tf.uint8)


def psnr(rgb_true: tf.Tensor, rgb_pred: tf.Tensor) -> tf.Tensor:
    """Per-example PSNR in dB on uint8 sRGB (infinite for identical images)."""
    return tf.image.psnr(tf.cast(rgb_true, tf.float32), tf.cast(rgb_pred, tf.float32), 255.0)


def ssim(rgb_true: tf.Tensor, rgb_pred: tf.Tensor) -> tf.Tensor:
    """Per-example SSIM on uint8 sRGB (tf.image.ssim: 11x11 Gaussian window, sigma 1.5).
    Images smaller than the window are compared with a window of their own size."""
    size = min(11, int(rgb_true.shape[1]), int(rgb_true.shape[2]))
    return tf.image.ssim(tf.cast(rgb_true, tf.float32), tf.cast(rgb_pred, tf.float32), 255.0,
                         filter_size=size)
