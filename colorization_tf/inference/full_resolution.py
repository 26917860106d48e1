"""Full-resolution colorization (what DeOldify users expect): the network sees the photo
resized to its render size (:func:`model_input`); its ab is upsampled to the photo's size,
clipped to the valid Lab range, and joined with the photo's own full-resolution L
(:func:`recombine`). Every consumer (``Predictor.colorize_rgb``, batched photos, video,
the exported SavedModel, the web app) goes through these two functions."""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from colorization_tf import color
from colorization_tf.data.config import MAX_IMAGE_SIZE

MIN_RENDER_SIZE = 8

# The input is integer sRGB (8-bit images are scaled by 257 to 16-bit codes, exactly), so
# linearisation is one table look-up, and only the input's luminance Y is computed (f(Y) is
# all that Lab's L carries); the output needs the full Lab -> sRGB conversion. All steps
# are TF ops, so a caller can trace them into one graph (tf.function / SavedModel).

_CODE_MAX = 65535.0
_XYZ_FROM_RGB = np.array(color._XYZ_FROM_RGB, np.float64)
_LUMINANCE = _XYZ_FROM_RGB[1].astype(np.float32)
# XYZ (relative to the D65 white) -> linear sRGB, as one matrix (row-vector convention).
_RGB_FROM_RELATIVE_XYZ = (np.linalg.inv(_XYZ_FROM_RGB)
                          * np.array(color._D65_WHITE)[None, :]).T.astype(np.float32)
_F_THRESHOLD = 0.2068966  # 6/29, as color.lab_to_rgb


def _linear_table() -> np.ndarray:
    codes = np.arange(65536, dtype=np.float64) / _CODE_MAX
    linear = np.where(codes > 0.04045, ((codes + 0.055) / 1.055) ** 2.4, codes / 12.92)
    return linear.astype(np.float32)


_LINEAR_FROM_CODE = _linear_table()


def to_uint16(image: tf.Tensor) -> tf.Tensor:
    """uint8, uint16 or float (in [0, 1]) sRGB ``[..., C]`` -> uint16 codes (x257 for 8 bit)."""
    if image.dtype == tf.uint16:
        return image
    if image.dtype == tf.uint8:
        return tf.cast(image, tf.uint16) * 257
    scaled = tf.round(tf.clip_by_value(tf.cast(image, tf.float32), 0.0, 1.0) * _CODE_MAX)
    return tf.cast(scaled, tf.uint16)


def render_size(requested: int | None, default: int) -> int:
    """The side the network sees: ``requested`` (``--render_size``) or, if None, the run's
    ``default``; raises ValueError naming the flag outside 8..MAX_IMAGE_SIZE (a size the
    machine cannot hold fails here, in one line, instead of deep in TensorFlow)."""
    if requested is None:
        return int(default)
    if not MIN_RENDER_SIZE <= int(requested) <= MAX_IMAGE_SIZE:
        raise ValueError(f"--render_size={requested}: expected a size in "
                         f"{MIN_RENDER_SIZE}..{MAX_IMAGE_SIZE} (the side of the square the "
                         "network sees)")
    return int(requested)


def to_unit(image: tf.Tensor) -> tf.Tensor:
    """uint8, uint16 or float (in [0, 1]) sRGB -> float32 in [0, 1]."""
    if image.dtype == tf.uint8:
        return tf.cast(image, tf.float32) / 255.0
    if image.dtype == tf.uint16:
        return tf.cast(image, tf.float32) / _CODE_MAX
    return tf.clip_by_value(tf.cast(image, tf.float32), 0.0, 1.0)


def model_input(image: tf.Tensor, size: int) -> tf.Tensor:
    """Scaled L ``[..., size, size, 1]`` of sRGB images ``[..., H, W, 3]`` (uint8, uint16 or
    float in [0, 1]; one image or a batch): resized with antialiasing, then converted."""
    image = tf.convert_to_tensor(image)
    batched = image.shape.rank == 4
    rgb = to_unit(image if batched else image[None])
    small = tf.clip_by_value(tf.image.resize(rgb, [size, size], antialias=True), 0.0, 1.0)
    lightness, _ = color.rgb_to_model(small)
    return lightness if batched else lightness[0]


def recombine(image: tf.Tensor, ab_small: tf.Tensor) -> tf.Tensor:
    """uint8 RGB ``[H,W,3]``: the L of ``image`` (sRGB ``[H,W,3]``, uint8, uint16 or float in
    [0, 1], taken as 16-bit codes) with ``ab_small`` (scaled ``[h,w,2]``) upsampled
    bilinearly and clipped to [-1, 1] (a*, b* in [-128, 127]) before the conversion back,
    which clips to the sRGB gamut like :func:`colorization_tf.color.lab_to_rgb`. Agrees with
    ``skimage.color`` within one level."""
    image = to_uint16(tf.convert_to_tensor(image))
    linear = tf.gather(tf.constant(_LINEAR_FROM_CODE), tf.cast(image, tf.int32))
    luminance = tf.tensordot(linear, tf.constant(_LUMINANCE), 1)
    fy = tf.where(luminance > color._EPSILON,
                  tf.pow(tf.maximum(luminance, color._EPSILON), 1.0 / 3.0),
                  color._KAPPA_SLOPE * luminance + color._OFFSET)
    ab = tf.image.resize(tf.cast(ab_small, tf.float32)[None], tf.shape(image)[:2],
                         method="bilinear")[0]
    ab = color.ab_to_lab_units(tf.clip_by_value(ab, -1.0, 1.0))
    f = tf.stack([fy + ab[..., 0] / 500.0, fy, tf.maximum(fy - ab[..., 1] / 200.0, 0.0)], -1)
    xyz = tf.where(f > _F_THRESHOLD, f * f * f, (f - color._OFFSET) / color._KAPPA_SLOPE)
    rgb_linear = tf.tensordot(xyz, tf.constant(_RGB_FROM_RELATIVE_XYZ), 1)
    rgb_linear = tf.clip_by_value(rgb_linear, 0.0, 1.0)
    srgb = tf.where(rgb_linear > 0.0031308,
                    1.055 * tf.pow(tf.maximum(rgb_linear, 0.0031308), 1.0 / 2.4) - 0.055,
                    12.92 * rgb_linear)
    return tf.cast(tf.round(srgb * 255.0), tf.uint8)


@functools.cache
def compiled_recombine():
    """:func:`recombine` of 16-bit codes traced once for every image size (a concrete graph,
    safe to call from several threads at once); one per process."""
    return tf.function(recombine, input_signature=[
        tf.TensorSpec([None, None, 3], tf.uint16), tf.TensorSpec([None, None, 2], tf.float32)])
