"""Image-quality metrics, batched TF: per-example values so callers can average or
aggregate as they need.

MAE/MSE are on the model's ab scale (Galvão et al.'s Table 1); PSNR and SSIM on 8-bit
sRGB, as in Sarkar et al. and Tran and Ly; CIEDE2000 on the Lab of the sRGB images as displayed;
colorfulness (Hasler and Suesstrunk 2003) on 8-bit sRGB; pixel accuracy on Lab as in
Nazeri et al. (2018), whom Galvão et al. follow.

PSNR of identical images is ``inf`` (``tf.image.psnr``'s MSE of zero); nothing is capped
here. ``evaluation.score`` leaves those images out of the PSNR mean and reports how many
there were as ``psnr_perfect``.
"""

from __future__ import annotations

import math

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
    """Per-example PSNR in dB on uint8 sRGB: 10 log10(255^2 / MSE), MSE over pixels and
    channels; ``inf`` for identical images (see the module docstring)."""
    return tf.image.psnr(tf.cast(rgb_true, tf.float32), tf.cast(rgb_pred, tf.float32), 255.0)


def ssim(rgb_true: tf.Tensor, rgb_pred: tf.Tensor) -> tf.Tensor:
    """Per-example SSIM on uint8 sRGB (tf.image.ssim: 11x11 Gaussian window, sigma 1.5,
    K1=0.01, K2=0.03, averaged over the valid region and the channels). It equals
    ``skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=255, channel_axis=-1)``. Images smaller than
    the window are compared with a window of their own size."""
    size = min(11, int(rgb_true.shape[1]), int(rgb_true.shape[2]))
    return tf.image.ssim(tf.cast(rgb_true, tf.float32), tf.cast(rgb_pred, tf.float32), 255.0,
                         filter_size=size)


def _lab_channels(lab: tf.Tensor) -> list[tf.Tensor]:
    return tf.unstack(tf.cast(lab, tf.float64), axis=-1)


def ciede2000(lab_true: tf.Tensor, lab_pred: tf.Tensor) -> tf.Tensor:
    """Pixel-wise CIEDE2000 colour difference (Sharma, Wu and Dalal 2005; kL = kC = kH = 1)
    between two CIELAB images in Lab units, shape ``[..., 3]`` -> ``[...]``. Computed in
    float64 with the same conventions as ``skimage.color.deltaE_ciede2000``."""
    l1, a1, b1 = _lab_channels(lab_true)
    l2, a2, b2 = _lab_channels(lab_pred)
    two_pi = 2.0 * math.pi
    mean_chroma = 0.5 * (tf.math.sqrt(a1 ** 2 + b1 ** 2) + tf.math.sqrt(a2 ** 2 + b2 ** 2))
    c7 = mean_chroma ** 7
    a_scale = 1.0 + 0.5 * (1.0 - tf.math.sqrt(c7 / (c7 + 25.0 ** 7)))
    c1, h1 = _polar(a1 * a_scale, b1)
    c2, h2 = _polar(a2 * a_scale, b2)

    mean_l_offset = (0.5 * (l1 + l2) - 50.0) ** 2
    s_l = 1.0 + 0.015 * mean_l_offset / tf.math.sqrt(20.0 + mean_l_offset)
    l_term = (l2 - l1) / s_l
    mean_c = 0.5 * (c1 + c2)
    c_term = (c2 - c1) / (1.0 + 0.045 * mean_c)

    chroma_product = c1 * c2
    achromatic = tf.equal(chroma_product, 0.0)
    h_diff = h2 - h1
    h_sum = h1 + h2
    delta_h = tf.where(h_diff > math.pi, h_diff - two_pi,
                       tf.where(h_diff < -math.pi, h_diff + two_pi, h_diff))
    delta_h = tf.where(achromatic, tf.zeros_like(delta_h), delta_h)
    big_h = 2.0 * tf.math.sqrt(chroma_product) * tf.math.sin(delta_h / 2.0)
    wraps = tf.logical_and(~achromatic, tf.abs(h_diff) > math.pi)
    mean_h = tf.where(wraps, tf.where(h_sum < two_pi, h_sum + two_pi, h_sum - two_pi), h_sum)
    mean_h = 0.5 * tf.where(achromatic, 2.0 * mean_h, mean_h)
    deg = math.pi / 180.0
    t = (1.0 - 0.17 * tf.math.cos(mean_h - 30.0 * deg) + 0.24 * tf.math.cos(2.0 * mean_h)
         + 0.32 * tf.math.cos(3.0 * mean_h + 6.0 * deg)
         - 0.20 * tf.math.cos(4.0 * mean_h - 63.0 * deg))
    h_term = big_h / (1.0 + 0.015 * mean_c * t)
    c7 = mean_c ** 7
    r_c = 2.0 * tf.math.sqrt(c7 / (c7 + 25.0 ** 7))
    d_theta = 30.0 * deg * tf.math.exp(-(((mean_h / deg) - 275.0) / 25.0) ** 2)
    r_term = -tf.math.sin(2.0 * d_theta) * r_c * c_term * h_term
    squared = l_term ** 2 + c_term ** 2 + h_term ** 2 + r_term
    return tf.cast(tf.math.sqrt(tf.maximum(squared, 0.0)), tf.float32)


def _polar(x: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Radius and angle in [0, 2 pi)."""
    angle = tf.math.atan2(y, x)
    return tf.math.sqrt(x ** 2 + y ** 2), tf.where(angle < 0.0, angle + 2.0 * math.pi, angle)


def mean_ciede2000(rgb_true: tf.Tensor, rgb_pred: tf.Tensor) -> tf.Tensor:
    """Per-example mean CIEDE2000 between uint8 sRGB images, on the Lab of the images as
    displayed (so out-of-gamut predictions count as the colour actually shown)."""
    lab_true = color.rgb_to_lab(tf.cast(rgb_true, tf.float32) / 255.0)
    lab_pred = color.rgb_to_lab(tf.cast(rgb_pred, tf.float32) / 255.0)
    return tf.reduce_mean(ciede2000(lab_true, lab_pred), axis=[1, 2])


def colorfulness(rgb: tf.Tensor) -> tf.Tensor:
    """Per-example colorfulness M of Hasler and Suesstrunk (2003) on uint8 sRGB:
    rg = R - G, yb = (R + G) / 2 - B, M = sqrt(std_rg^2 + std_yb^2)
    + 0.3 sqrt(mean_rg^2 + mean_yb^2). 0 for a gray image."""
    red, green, blue = tf.unstack(tf.cast(rgb, tf.float32), axis=-1)
    rg = red - green
    yb = 0.5 * (red + green) - blue
    mean_rg, var_rg = tf.nn.moments(rg, axes=[1, 2])
    mean_yb, var_yb = tf.nn.moments(yb, axes=[1, 2])
    return tf.sqrt(var_rg + var_yb) + 0.3 * tf.sqrt(mean_rg ** 2 + mean_yb ** 2)


LAB_RANGES = (100.0, 220.0, 220.0)  # L in [0, 100], a and b in [-110, 110] (Nazeri et al.)


def pixel_accuracy(lab_true: tf.Tensor, lab_pred: tf.Tensor, epsilon: float) -> tf.Tensor:
    """Per-example share of pixels whose L, a and b all lie within ``epsilon`` (a fraction,
    e.g. 0.02) of each channel's range (``LAB_RANGES``) of the ground truth, as in Nazeri
    et al. (2018). Lab in Lab units, ``[B,H,W,3]``."""
    tolerance = epsilon * tf.constant(LAB_RANGES, tf.float32)
    diff = tf.abs(tf.cast(lab_pred, tf.float32) - tf.cast(lab_true, tf.float32))
    correct = tf.reduce_all(diff <= tolerance, axis=-1)
    return tf.reduce_mean(tf.cast(correct, tf.float32), axis=[1, 2])
