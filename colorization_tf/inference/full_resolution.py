"""Full-resolution colorization (what DeOldify users expect): the network sees the photo
resized to its render size (:func:`model_input`); its ab is upsampled to the photo's size,
clipped to the valid Lab range, and joined with the photo's own full-resolution L
(:func:`recombine`). These TF ops are the definition (what the exported SavedModel
traces); :func:`small_rgb` / :func:`fast_model_input` and :func:`fast_recombine` compute
the same on numpy photos in compiled loops (:mod:`pixel_kernels`), and every other
consumer (``Predictor.colorize_rgb``, batched photos, video, the web app, the hint
methods) goes through those."""

from __future__ import annotations

import concurrent.futures
import os

import numpy as np
import tensorflow as tf

from colorization_tf import color
from colorization_tf.data.config import MAX_IMAGE_SIZE
from colorization_tf.inference import pixel_kernels

MIN_RENDER_SIZE = 8

# The input is integer sRGB (8-bit images are scaled by 257 to 16-bit codes, exactly), so
# linearisation is one table look-up, and only the input's luminance Y is computed (f(Y) is
# all that Lab's L carries); the output needs the full Lab -> sRGB conversion. All steps
# are TF ops, so a caller can trace them into one graph (tf.function / SavedModel).

_CODE_MAX = 65535.0
_XYZ_FROM_RGB = np.array(color.XYZ_FROM_RGB, np.float64)
_LUMINANCE = _XYZ_FROM_RGB[1].astype(np.float32)
# XYZ (relative to the D65 white) -> linear sRGB, as one matrix (row-vector convention).
_RGB_FROM_RELATIVE_XYZ = (np.linalg.inv(_XYZ_FROM_RGB)
                          * np.array(color.D65_WHITE)[None, :]).T.astype(np.float32)


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
    ``skimage.color`` within one level. TF ops of any shape (what export traces);
    :func:`fast_recombine` computes the same on numpy photos in compiled loops."""
    image = tf.convert_to_tensor(image)
    if image.dtype not in (tf.uint8, tf.uint16):
        image = to_uint16(image)
    ab = tf.image.resize(tf.cast(ab_small, tf.float32)[None], tf.shape(image)[:2],
                         method="bilinear")[0]
    return _recombine_pixels(image, ab)


# Only two per-pixel steps are not arithmetic: Lab's f(Y) (a cube root) and sRGB's gamma
# (a 1/2.4 power). Here each is a look-up in a small table (it stays in the CPU's first
# cache) indexed by the square root of its argument, which spaces the entries finely where
# the curves are steep: within 0.1 of a level of 8-bit output (tables computed in
# float64). The compiled loops use polynomials in the same square root instead
# (:func:`root_polynomial`), which vectorize. The input's linearisation is a table
# everywhere: 256 entries for 8-bit images, 65536 for 16-bit.
_LUT_STEPS = 4095.0  # 4096 entries: 16 KiB of f(Y), 4 KiB of sRGB codes


def _curve_tables(unit: np.ndarray) -> dict[str, np.ndarray]:
    """Lab's f(Y) (float32) and the 8-bit sRGB code of a linear value (uint8) at ``unit``
    (float64 values in [0, 1]): the two curves' tables, whatever their spacing."""
    f_of_y = np.where(unit > color.EPSILON, np.cbrt(unit),
                      color.KAPPA_SLOPE * unit + color.OFFSET)
    srgb = np.where(unit > 0.0031308, 1.055 * unit ** (1.0 / 2.4) - 0.055, 12.92 * unit)
    return {"f_of_y": f_of_y.astype(np.float32),
            "srgb8": np.round(srgb * 255.0).astype(np.uint8)}


def _tables() -> dict[str, np.ndarray]:
    root = np.arange(_LUT_STEPS + 1, dtype=np.float64) / _LUT_STEPS
    return {"linear16": _LINEAR_FROM_CODE, "linear8": _LINEAR_FROM_CODE[::257].copy(),
            **_curve_tables(root * root)}


_TABLES = _tables()


def root_polynomial(curve, knee: float) -> np.ndarray:
    """What the compiled loops compute a curve with: ``curve`` (float64 -> float64, on
    [knee, 1]) as a polynomial in the square root r of its argument, fitted by Chebyshev
    (float64, then the power basis) with r mapped to [-1, 1] by ``r * scale + shift``.
    float32 ``[sqrt(knee), scale, shift, c0 .. c_degree]``."""
    low = np.sqrt(knee)
    root = np.linspace(low, 1.0, 20001)
    scale, shift = 2.0 / (1.0 - low), -(1.0 + low) / (1.0 - low)
    fit = np.polynomial.chebyshev.chebfit(root * scale + shift, curve(root * root),
                                          pixel_kernels.CURVE_DEGREE)
    return np.array([low, scale, shift, *np.polynomial.chebyshev.cheb2poly(fit)], np.float32)


# f(Y) within 1e-4 above its knee, sRGB within 0.05 of a level of 8-bit output (tested)
_CURVES = {"f_of_y": root_polynomial(np.cbrt, color.EPSILON),
           "srgb": root_polynomial(lambda v: 1.055 * v ** (1.0 / 2.4) - 0.055, 0.0031308)}


def _lookup(table: str, unit: tf.Tensor) -> tf.Tensor:
    """``table`` at ``unit`` in [0, 1] (clipped), by the nearest entry of sqrt(unit)."""
    root = tf.sqrt(tf.clip_by_value(unit, 0.0, 1.0))
    return tf.gather(tf.constant(_TABLES[table]), tf.cast(root * _LUT_STEPS + 0.5, tf.int32))


def _recombine_pixels(codes: tf.Tensor, ab: tf.Tensor) -> tf.Tensor:
    """Per pixel: uint8 or uint16 sRGB codes ``[..., 3]`` and scaled ab ``[..., 2]`` (at the
    same resolution) -> uint8 sRGB ``[..., 3]`` with the codes' L* and that ab."""
    table = _TABLES["linear8" if codes.dtype == tf.uint8 else "linear16"]
    linear = tf.gather(tf.constant(table), tf.cast(codes, tf.int32))
    luminance = (linear[..., 0] * _LUMINANCE[0] + linear[..., 1] * _LUMINANCE[1]
                 + linear[..., 2] * _LUMINANCE[2])
    fy = _lookup("f_of_y", luminance)
    ab = color.ab_to_lab_units(tf.clip_by_value(tf.cast(ab, tf.float32), -1.0, 1.0))

    def f_inverse(f):
        return tf.where(f > color.F_THRESHOLD, f * f * f, (f - color.OFFSET) / color.KAPPA_SLOPE)

    x = f_inverse(fy + ab[..., 0] / 500.0)
    y = f_inverse(fy)
    z = f_inverse(tf.maximum(fy - ab[..., 1] / 200.0, 0.0))  # skimage clips negative z
    m = _RGB_FROM_RELATIVE_XYZ
    linear_out = tf.stack([x * m[0, i] + y * m[1, i] + z * m[2, i] for i in range(3)], -1)
    return _lookup("srgb8", linear_out)


# The fast path for numpy photos: the same computation in Numba loops
# (:mod:`pixel_kernels`) that read the photo's codes once and allocate nothing of its size
# (no full-size ab or float copy); strips of one photo run in threads.
# each channel's code -> its share of Y (linear light times the channel's weight), by bytes
# per code: three look-ups and two additions per pixel
_WEIGHTED_LINEAR = {size: np.stack([_TABLES[table] * weight for weight in _LUMINANCE]
                                   ).astype(np.float32)
                    for size, table in ((1, "linear8"), (2, "linear16"))}
_LAB_SEGMENTS = np.array([color.F_THRESHOLD, color.OFFSET, 1.0 / color.KAPPA_SLOPE], np.float32)
_STRIP_ROWS = 256
_STRIP_WORKERS = max(1, min(4, os.cpu_count() or 1))
_STRIPS = concurrent.futures.ThreadPoolExecutor(_STRIP_WORKERS, thread_name_prefix="recombine")


def fast_recombine(image: np.ndarray, ab_small: np.ndarray, workers: int | None = None,
                   rgbx: bool = False) -> np.ndarray:
    """:func:`recombine` of a uint8 or uint16 image ``[H,W,3]`` (numpy) as numpy, by the
    compiled loops of :mod:`pixel_kernels` (within one level of :func:`recombine`). A large
    photo is split into strips run in ``workers`` threads (default: one per core, up to
    4); callers that already run photos in parallel (batches, video) pass 1. ``rgbx``:
    ``[H,W,4]`` with the fourth byte 255, Pillow's own layout of an RGB image, which an
    encoder takes without a copy (:class:`batch.Encoder`). Safe to call from threads."""
    image = np.asarray(image)
    if image.dtype not in (np.uint8, np.uint16) or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"fast_recombine: expected uint8 or uint16 [H,W,3], got "
                         f"{image.dtype} {list(image.shape)}")
    image = np.ascontiguousarray(image)
    ab_small = np.asarray(ab_small, np.float32)
    out = np.empty((*image.shape[:2], 4 if rgbx else 3), np.uint8)
    weighted = _WEIGHTED_LINEAR[image.dtype.itemsize]

    def rows(top: int, bottom: int) -> None:
        pixel_kernels.recombine_rows(image, ab_small, top, bottom, weighted, _CURVES,
                                     _LAB_SEGMENTS, _RGB_FROM_RELATIVE_XYZ, out)

    height = image.shape[0]
    workers = _STRIP_WORKERS if workers is None else workers
    if workers <= 1 or height <= _STRIP_ROWS:
        rows(0, height)
    else:
        step = max(_STRIP_ROWS, -(-height // workers))
        list(_STRIPS.map(lambda top: rows(top, min(top + step, height)),
                         range(0, height, step)))
    return out


def small_rgb(codes: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """uint8 / uint16 codes ``[H,W,3]`` -> float32 sRGB ``[s,s,3]`` (or ``[h,w,3]`` for
    ``size = (h, w)``) in [0, 1]: the antialiased resize :func:`model_input` starts from
    (equal within float rounding), computed without a float copy of the photo."""
    codes = np.asarray(codes)
    if codes.dtype not in (np.uint8, np.uint16) or codes.ndim != 3 or codes.shape[2] != 3:
        raise ValueError(f"small_rgb: expected uint8 or uint16 [H,W,3], got {codes.dtype} "
                         f"{list(codes.shape)}")
    height, width = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    small = pixel_kernels.downscale(codes, height, width)
    small *= np.float32(1.0 / np.iinfo(codes.dtype).max)
    return np.clip(small, 0.0, 1.0, out=small)


@tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
def _lightness(small: tf.Tensor) -> tf.Tensor:
    return color.rgb_to_model(small)[0]


def lightness_of(small) -> tf.Tensor:
    """Scaled L ``[..., 1]`` of float sRGB in [0, 1] (:func:`small_rgb`'s; one image
    ``[h,w,3]`` or a batch ``[B,h,w,3]``), in one compiled call."""
    small = tf.convert_to_tensor(small, tf.float32)
    if small.shape.rank == 3:
        return _lightness(small[None])[0]
    return _lightness(small)


def fast_model_input(codes: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """:func:`model_input` of one photo's codes as numpy ``[s,s,1]`` (within float
    rounding), by :func:`small_rgb`."""
    return lightness_of(small_rgb(codes, size)).numpy()
