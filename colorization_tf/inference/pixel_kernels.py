"""The two full-resolution loops of colorization, compiled with Numba: the antialiased
downscale of a photo to the network's input (:func:`downscale`) and the recombination of
the photo's L with upsampled ab (:func:`recombine_rows`). Each reads the photo's integer
codes once, allocates nothing of the photo's size and releases the GIL, so callers run
them on several photos (or strips of one) in threads.

They compute what :mod:`full_resolution`'s TF ops compute (``tf.image.resize`` with
antialiasing, then bilinear upsampling, the L of the input and the Lab -> sRGB conversion)
and are tested against them and against scikit-image; the TF ops stay the definition that
export traces into graphs.
"""

from __future__ import annotations

import functools
import sys

import numba
import numpy as np

# The recombination's two curves, Lab's f(Y) (a cube root) and sRGB's gamma (a 1/2.4
# power), are polynomials in the square root of their argument (built by
# ``full_resolution.root_polynomial``): arithmetic on whole rows, which the compiler
# vectorizes, where a table look-up per value cannot be (``full_resolution``'s TF ops, the
# definition export traces, read tables instead).
CURVE_DEGREE = 8  # the curves' polynomials (``_registers`` holds 4 + 8 numbers)


# ------------------------------------------------------------------ antialiased downscale


@functools.lru_cache(maxsize=64)  # photos of a batch often share a size; read-only arrays
def spans(output_size: int, input_size: int, antialias: bool = True
          ) -> tuple[np.ndarray, np.ndarray]:
    """``(starts int32 [out], weights float32 [out, span])``: the triangle-kernel weights
    ``tf.image.resize(..., antialias=True)`` (TF's ScaleAndTranslate, no translation)
    gives each output pixel along one axis, in the same float32 arithmetic."""
    scale = np.float32(output_size) / np.float32(input_size)
    inv_scale = np.float32(1.0 / np.float64(scale))
    kernel_scale = max(inv_scale, np.float32(1.0)) if antialias else np.float32(1.0)
    span = min(2 * int(np.ceil(kernel_scale)) + 1, input_size)
    one_over = np.float32(1.0) / kernel_scale
    starts = np.zeros(output_size, np.int32)
    weights = np.zeros((output_size, span), np.float32)
    for x in range(output_size):
        sample = (np.float32(x) + np.float32(0.5)) * inv_scale
        start = int(np.ceil(sample - kernel_scale - np.float32(0.5)))
        end = int(np.floor(sample + kernel_scale - np.float32(0.5)))
        start = min(max(start, 0), input_size - 1)
        end = min(max(end, 0), input_size - 1) + 1
        source = np.arange(start, end, dtype=np.float32)
        position = np.abs((source + np.float32(0.5) - sample) * one_over)
        taps = np.where(position < 1.0, np.float32(1.0) - position, 0.0).astype(np.float32)
        total = np.float32(taps.sum(dtype=np.float32))
        if abs(total) >= 1000.0 * np.finfo(np.float32).tiny:
            weights[x, :end - start] = taps * (np.float32(1.0) / total)
        starts[x] = start
    starts.flags.writeable = weights.flags.writeable = False
    return starts, weights


@numba.njit(nogil=True, fastmath=True, cache=True)
def _downscale(codes, row_starts, row_weights, col_starts, col_weights, out):  # pragma: no cover
    height, width = codes.shape[0], codes.shape[1]
    out_height, row_span = row_weights.shape
    out_width, col_span = col_weights.shape
    flat = codes.reshape(height, width * 3)
    rows = np.zeros((out_height, width * 3), np.float32)
    for y in range(out_height):  # rows first, over whole contiguous image rows (as TF does)
        for k in range(row_span):
            source = row_starts[y] + k
            weight = row_weights[y, k]
            if source >= height or weight == 0.0:
                continue
            for j in range(width * 3):
                rows[y, j] += weight * np.float32(flat[source, j])
    for y in range(out_height):
        for x in range(out_width):
            red = green = blue = np.float32(0.0)
            for k in range(col_span):
                source = col_starts[x] + k
                weight = col_weights[x, k]
                if source < width and weight != 0.0:
                    red += weight * rows[y, 3 * source]
                    green += weight * rows[y, 3 * source + 1]
                    blue += weight * rows[y, 3 * source + 2]
            out[y, x, 0], out[y, x, 1], out[y, x, 2] = red, green, blue


def downscale(codes: np.ndarray, height: int, width: int) -> np.ndarray:
    """uint8 / uint16 codes ``[H, W, 3]`` -> float32 ``[height, width, 3]`` in code units:
    ``tf.image.resize(codes, [height, width], antialias=True)`` within float rounding,
    without a float copy of the photo."""
    out = np.empty((height, width, 3), np.float32)
    _downscale(np.ascontiguousarray(codes), *spans(height, codes.shape[0]),
               *spans(width, codes.shape[1]), out)
    return out


# ----------------------------------------------------------------------- recombination


@functools.lru_cache(maxsize=64)
def bilinear_axis(output_size: int, input_size: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(lower, upper, fraction)`` per output pixel: ``tf.image.resize``'s bilinear
    sampling (half-pixel centres) along one axis, in float32."""
    scale = np.float32(input_size) / np.float32(output_size)
    position = (np.arange(output_size, dtype=np.float32) + np.float32(0.5)) * scale
    position = position - np.float32(0.5)
    floor = np.floor(position)
    lower = np.clip(floor, 0, input_size - 1).astype(np.int32)
    upper = np.clip(floor + 1, 0, input_size - 1).astype(np.int32)
    fraction = (position - floor).astype(np.float32)
    for array in (lower, upper, fraction):
        array.flags.writeable = False
    return lower, upper, fraction


@numba.njit(nogil=True, fastmath=True, cache=True)
def _upsample_row(ab_small, k, cols, out_a, out_b):  # pragma: no cover
    """Row ``k`` of the ab map, bilinear along the row to the photo's width."""
    col_lower, col_upper, col_fraction = cols
    for j in range(out_a.shape[0]):
        lo, hi, t = col_lower[j], col_upper[j], col_fraction[j]
        out_a[j] = ab_small[k, lo, 0] + (ab_small[k, hi, 0] - ab_small[k, lo, 0]) * t
        out_b[j] = ab_small[k, lo, 1] + (ab_small[k, hi, 1] - ab_small[k, lo, 1]) * t


@numba.njit(nogil=True, fastmath=True, cache=True, inline="always")
def _curve(root, curve):  # pragma: no cover
    """A curve's polynomial at the square root ``root`` of its argument: ``curve`` is the
    tuple (knee, scale, shift, coefficients from the constant term up) of
    ``full_resolution.root_polynomial``, evaluated at ``root * scale + shift``."""
    x = root * curve[1] + curve[2]
    value = curve[3 + CURVE_DEGREE]
    for k in range(2 + CURVE_DEGREE, 2, -1):  # a fixed count: the compiler unrolls it
        value = value * x + curve[k]
    return value


@numba.njit(nogil=True, fastmath=True, cache=True)
def _recombine(codes, ab_small, top, bottom, rows, cols, weighted, f_of_y, srgb, lab,
               rgb_from_xyz, out, packed):  # pragma: no cover
    row_lower, row_upper, row_fraction = rows
    width = codes.shape[1]
    flat = codes.reshape(codes.shape[0], width * 3)
    red, green, blue = weighted[0], weighted[1], weighted[2]
    m = rgb_from_xyz
    f_of_y, srgb = _registers(f_of_y), _registers(srgb)
    rgbx = packed.shape[0] > 0  # RGBX: whole pixels as little-endian words, X = 255
    one, zero, half = np.float32(1.0), np.float32(0.0), np.float32(0.5)
    third, offset, slope = lab[0], lab[1], lab[2]  # where f^3 starts; the linear segment
    kappa = one / slope
    # the two ab rows (upsampled along the row) the current photo row lies between: rows
    # advance monotonically, so each ab row is upsampled about once
    upper_a, upper_b = np.empty(width, np.float32), np.empty(width, np.float32)
    lower_a, lower_b = np.empty(width, np.float32), np.empty(width, np.float32)
    have_lower = have_upper = -1
    fy = np.empty(width, np.float32)
    words = np.empty(width, np.uint32)
    for i in range(top, bottom):
        lo, hi, t = row_lower[i], row_upper[i], row_fraction[i]
        if lo != have_lower:
            if lo == have_upper:
                lower_a, upper_a = upper_a, lower_a
                lower_b, upper_b = upper_b, lower_b
                have_upper = -1
            else:
                _upsample_row(ab_small, lo, cols, lower_a, lower_b)
            have_lower = lo
        if hi != have_upper:
            _upsample_row(ab_small, hi, cols, upper_a, upper_b)
            have_upper = hi
        # the input's L: Y from three weighted tables (look-ups, one pixel at a time), then
        # f(Y) on the whole row (arithmetic, vectorized)
        for j in range(width):
            fy[j] = red[flat[i, 3 * j]] + green[flat[i, 3 * j + 1]] + blue[flat[i, 3 * j + 2]]
        for j in range(width):
            y = min(max(fy[j], zero), one)
            root = np.sqrt(y)
            fy[j] = _curve(root, f_of_y) if root > f_of_y[0] else y * kappa + offset
        for j in range(width):  # Lab -> XYZ -> linear sRGB -> gamut-clipped sRGB codes
            a = lower_a[j] + (upper_a[j] - lower_a[j]) * t
            b = lower_b[j] + (upper_b[j] - lower_b[j]) * t
            a = min(max(a, -one), one) * np.float32(127.5) - half
            b = min(max(b, -one), one) * np.float32(127.5) - half
            f = fy[j]
            fx = f + a * np.float32(1.0 / 500.0)
            fz = max(f - b * np.float32(1.0 / 200.0), zero)  # skimage clips negative z
            x = fx * fx * fx if fx > third else (fx - offset) * slope
            yy = f * f * f if f > third else (f - offset) * slope
            z = fz * fz * fz if fz > third else (fz - offset) * slope
            word = np.uint32(0xFF000000)
            for c in range(3):  # unrolled by the compiler; one byte of the word each
                value = min(max(x * m[0, c] + yy * m[1, c] + z * m[2, c], zero), one)
                root = np.sqrt(value)
                code = _curve(root, srgb) if root > srgb[0] else value * np.float32(12.92)
                word |= np.uint32(np.int32(code * np.float32(255.0) + half)) << np.uint32(8 * c)
            words[j] = word
        if rgbx:
            packed[i, :] = words
        else:
            for j in range(width):
                out[i, j, 0] = np.uint8(words[j] & 255)
                out[i, j, 1] = np.uint8((words[j] >> 8) & 255)
                out[i, j, 2] = np.uint8((words[j] >> 16) & 255)


@numba.njit(nogil=True, fastmath=True, cache=True, inline="always")
def _registers(curve):  # pragma: no cover
    """A curve's array as a tuple, which the compiler keeps in registers (array elements
    it would reload on every pixel, not knowing that the outputs never overlap them)."""
    return (curve[0], curve[1], curve[2], curve[3], curve[4], curve[5], curve[6], curve[7],
            curve[8], curve[9], curve[10], curve[11])


def recombine_rows(codes: np.ndarray, ab_small: np.ndarray, top: int, bottom: int,
                   weighted: np.ndarray, curves: dict[str, np.ndarray], lab: np.ndarray,
                   rgb_from_xyz: np.ndarray, out: np.ndarray) -> None:
    """Rows ``top:bottom`` of ``out`` (uint8 ``[H, W, 3]``, or ``[H, W, 4]`` RGBX with the
    fourth byte 255): the L of ``codes`` (uint8 /
    uint16 ``[H, W, 3]``; ``weighted[c]`` maps channel c's code to its share of the
    luminance Y) with ``ab_small`` (scaled ``[h, w, 2]``) upsampled bilinearly to
    ``[H, W]`` and clipped to [-1, 1], converted back to sRGB through ``rgb_from_xyz``
    (relative XYZ -> linear RGB, row vectors) and clipped to the gamut. ``curves``: the
    ``f_of_y`` and ``srgb`` polynomials (``full_resolution.root_polynomial``); ``lab``:
    float32 (f where f^3 starts, the linear segment's offset and 1 / slope)."""
    if any(curves[name].shape != (4 + CURVE_DEGREE,) for name in ("f_of_y", "srgb")):
        raise ValueError(f"recombine_rows: each curve needs {4 + CURVE_DEGREE} numbers "
                         "(knee, scale, shift, CURVE_DEGREE + 1 coefficients)")
    height, width = codes.shape[:2]
    rows = bilinear_axis(height, ab_small.shape[0])
    cols = bilinear_axis(width, ab_small.shape[1])
    if out.shape[2] == 4 and sys.byteorder == "little":  # whole pixels as 32-bit words
        pixels, packed = np.empty((0, 0, 3), np.uint8), out.view(np.uint32).reshape(height, width)
    else:
        pixels, packed = out, np.empty((0, 0), np.uint32)
    _recombine(codes, np.ascontiguousarray(ab_small, np.float32), top, bottom, rows, cols,
               weighted, curves["f_of_y"], curves["srgb"], lab, rgb_from_xyz, pixels, packed)
    if pixels.shape[2] == 4:  # RGBX on a big-endian machine: the fourth byte
        out[top:bottom, :, 3] = 255
