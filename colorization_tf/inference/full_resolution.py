"""Full-resolution colorization (what DeOldify users expect): the network sees the photo
resized to its render size; its ab is upsampled to the photo's size, clipped to the
valid Lab range, and joined with the photo's own full-resolution L."""

from __future__ import annotations

import tensorflow as tf

from colorization_tf import color


def model_input(rgb: tf.Tensor, size: int) -> tf.Tensor:
    """Scaled L ``[B,size,size,1]`` of sRGB images ``[B,H,W,3]`` in [0, 1] (antialiased)."""
    small = tf.clip_by_value(tf.image.resize(rgb, [size, size], antialias=True), 0.0, 1.0)
    lightness, _ = color.rgb_to_model(small)
    return lightness


def recombine(rgb: tf.Tensor, ab_small: tf.Tensor) -> tf.Tensor:
    """uint8 RGB ``[H,W,3]``: the L of ``rgb`` (float ``[H,W,3]`` in [0, 1]) with
    ``ab_small`` (scaled ``[h,w,2]``) upsampled bilinearly and clipped to [-1, 1] (a*, b*
    in [-128, 127]) before the conversion back, which clips to the sRGB gamut."""
    lightness, _ = color.rgb_to_model(rgb)
    ab = tf.image.resize(ab_small[None], tf.shape(rgb)[:2], method="bilinear")[0]
    out = color.model_to_rgb(lightness, tf.clip_by_value(ab, -1.0, 1.0))
    return tf.cast(tf.round(out * 255.0), tf.uint8)
