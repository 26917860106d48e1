"""sRGB <-> CIELAB (D65, 2 degree observer) as TF ops, and the model's Lab scaling.

This is the one module that knows how Lab is scaled for the networks. The formulas and
constants follow ``skimage.color.rgb2lab`` / ``lab2rgb`` so results agree with them; the
scaling to [-1, 1] follows Galvão et al.'s code: ``L' = (L - 50) / 50`` and
``a' = (a + 0.5) / 127.5`` (equivalently ``(a + 128) / 255 * 2 - 1``), the same for b.
Everything works on any leading batch shape ``[..., 3]`` and inside tf.data and graphs.
"""

from __future__ import annotations

import tensorflow as tf

# Public: the compiled full-resolution kernels (inference/full_resolution.py) read them.
# sRGB (linear) -> XYZ, as in skimage.color.colorconv.xyz_from_rgb.
XYZ_FROM_RGB = [
    [0.412453, 0.357580, 0.180423],
    [0.212671, 0.715160, 0.072169],
    [0.019334, 0.119193, 0.950227],
]
D65_WHITE = [0.95047, 1.0, 1.08883]
EPSILON = 0.008856  # (6/29)^3, as rounded by skimage: f's linear segment below it
KAPPA_SLOPE = 7.787
OFFSET = 16.0 / 116.0
F_THRESHOLD = 0.2068966  # 6/29: where f's inverse switches from the cube to the line

L_CENTER, L_HALF_RANGE = 50.0, 50.0
AB_OFFSET, AB_HALF_RANGE = 0.5, 127.5


def _matmul_last(x: tf.Tensor, matrix: tf.Tensor) -> tf.Tensor:
    """Applies a 3x3 colour matrix to the last axis of ``x``."""
    return tf.einsum("...j,ij->...i", x, matrix)


def rgb_to_lab(rgb: tf.Tensor) -> tf.Tensor:
    """Converts sRGB in [0, 1] (float, ``[..., 3]``) to CIELAB (L in [0, 100])."""
    rgb = tf.convert_to_tensor(rgb, tf.float32)
    linear = tf.where(rgb > 0.04045, tf.pow((tf.maximum(rgb, 0.04045) + 0.055) / 1.055, 2.4),
                      rgb / 12.92)
    xyz = _matmul_last(linear, tf.constant(XYZ_FROM_RGB, tf.float32))
    xyz = xyz / tf.constant(D65_WHITE, tf.float32)
    f = tf.where(xyz > EPSILON, tf.pow(tf.maximum(xyz, EPSILON), 1.0 / 3.0),
                 KAPPA_SLOPE * xyz + OFFSET)
    fx, fy, fz = tf.unstack(f, axis=-1)
    lightness = 116.0 * fy - 16.0
    return tf.stack([lightness, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=-1)


def lab_to_rgb(lab: tf.Tensor) -> tf.Tensor:
    """Converts CIELAB to sRGB in [0, 1]; out-of-gamut colours are clipped, as in skimage."""
    lab = tf.convert_to_tensor(lab, tf.float32)
    lightness, a, b = tf.unstack(lab, axis=-1)
    fy = (lightness + 16.0) / 116.0
    fx = a / 500.0 + fy
    fz = tf.maximum(fy - b / 200.0, 0.0)  # skimage clips negative z before cubing
    f = tf.stack([fx, fy, fz], axis=-1)
    xyz = tf.where(f > F_THRESHOLD, tf.pow(f, 3.0), (f - OFFSET) / KAPPA_SLOPE)
    xyz = xyz * tf.constant(D65_WHITE, tf.float32)
    rgb_from_xyz = tf.linalg.inv(tf.constant(XYZ_FROM_RGB, tf.float64))
    linear = _matmul_last(xyz, tf.cast(rgb_from_xyz, tf.float32))
    rgb = tf.where(linear > 0.0031308,
                   1.055 * tf.pow(tf.maximum(linear, 0.0031308), 1.0 / 2.4) - 0.055,
                   12.92 * linear)
    return tf.clip_by_value(rgb, 0.0, 1.0)


def normalize_lab(lab: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Splits Lab into the model's scaled ``L`` ([..., 1]) and ``ab`` ([..., 2]) in [-1, 1]."""
    lab = tf.convert_to_tensor(lab, tf.float32)
    lightness = (lab[..., :1] - L_CENTER) / L_HALF_RANGE
    ab = (lab[..., 1:] + AB_OFFSET) / AB_HALF_RANGE
    return lightness, ab


def denormalize_lab(lightness: tf.Tensor, ab: tf.Tensor) -> tf.Tensor:
    """Inverse of :func:`normalize_lab`: joins scaled ``L`` and ``ab`` into Lab."""
    lightness = tf.cast(lightness, tf.float32) * L_HALF_RANGE + L_CENTER
    ab = tf.cast(ab, tf.float32) * AB_HALF_RANGE - AB_OFFSET
    return tf.concat([lightness, ab], axis=-1)


def rgb_to_model(rgb: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """sRGB in [0, 1] -> (scaled L, scaled ab): what the networks read and predict."""
    return normalize_lab(rgb_to_lab(rgb))


def model_to_rgb(lightness: tf.Tensor, ab: tf.Tensor) -> tf.Tensor:
    """(scaled L, scaled ab) -> sRGB in [0, 1]."""
    return lab_to_rgb(denormalize_lab(lightness, ab))


def ab_of_rgb(rgb: tf.Tensor) -> tf.Tensor:
    """Scaled ab of sRGB (clipped to [0, 1] first): how RGB-predicting methods report the
    colour they predicted, setting their own lightness aside."""
    _, ab = rgb_to_model(tf.clip_by_value(tf.cast(rgb, tf.float32), 0.0, 1.0))
    return ab


def ab_to_lab_units(ab: tf.Tensor) -> tf.Tensor:
    """Scaled ab in [-1, 1] -> a*, b* in Lab units."""
    return tf.cast(ab, tf.float32) * AB_HALF_RANGE - AB_OFFSET


def lab_units_to_ab(ab_units: tf.Tensor) -> tf.Tensor:
    """a*, b* in Lab units -> scaled ab in [-1, 1]."""
    return (tf.cast(ab_units, tf.float32) + AB_OFFSET) / AB_HALF_RANGE


def gray_ab(shape_like: tf.Tensor) -> tf.Tensor:
    """The scaled ab of a colourless image (a* = b* = 0) shaped like ``shape_like``'s ab."""
    return tf.fill(tf.concat([tf.shape(shape_like)[:-1], [2]], 0), AB_OFFSET / AB_HALF_RANGE)
