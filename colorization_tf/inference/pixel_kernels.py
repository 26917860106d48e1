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

import numba
import numpy as np

# The recombination reads Lab's f(Y) and the sRGB encoding from tables indexed by
# round(sqrt(v) * TABLE_STEPS) for v in [0, 1] (built by ``full_resolution``, whose TF ops
# read the same tables): the square root spaces the entries finely where the curves are
# steep, so 4096 entries (16 KiB and 4 KiB) stay in the first-level cache and keep the
# output within 0.1 of a level; a square root costs less than a look-up in a larger table.
TABLE_STEPS = 4095


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


@numba.njit(nogil=True, fastmath=True, cache=True)
def _recombine(codes, ab_small, top, bottom, rows, cols, weighted, f_of_y, srgb8, lab,
               rgb_from_xyz, out):  # pragma: no cover
    row_lower, row_upper, row_fraction = rows
    width = codes.shape[1]
    flat = codes.reshape(codes.shape[0], width * 3)
    red, green, blue = weighted[0], weighted[1], weighted[2]
    m = rgb_from_xyz
    steps = np.float32(TABLE_STEPS)
    padded, opaque = out.shape[2] == 4, np.uint8(255)  # RGBX: the fourth byte is 255
    one, zero, half = np.float32(1.0), np.float32(0.0), np.float32(0.5)
    third, offset, slope = lab[0], lab[1], lab[2]  # where f^3 starts; the linear segment
    # the two ab rows (upsampled along the row) the current photo row lies between: rows
    # advance monotonically, so each ab row is upsampled about once
    upper_a, upper_b = np.empty(width, np.float32), np.empty(width, np.float32)
    lower_a, lower_b = np.empty(width, np.float32), np.empty(width, np.float32)
    have_lower = have_upper = -1
    fy = np.empty(width, np.float32)
    index = np.empty((3, width), np.int32)
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
        for j in range(width):  # the input's L: Y from three weighted tables, then f(Y)
            y = red[flat[i, 3 * j]] + green[flat[i, 3 * j + 1]] + blue[flat[i, 3 * j + 2]]
            fy[j] = f_of_y[np.int32(np.sqrt(min(max(y, zero), one)) * steps + half)]
        for j in range(width):  # Lab -> XYZ -> linear sRGB, gamut-clipped, as table indices
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
            for c in range(3):  # unrolled by the compiler; one contiguous row per channel
                value = x * m[0, c] + yy * m[1, c] + z * m[2, c]
                index[c, j] = np.int32(np.sqrt(min(max(value, zero), one)) * steps + half)
        for j in range(width):
            out[i, j, 0] = srgb8[index[0, j]]
            out[i, j, 1] = srgb8[index[1, j]]
            out[i, j, 2] = srgb8[index[2, j]]
            if padded:
                out[i, j, 3] = opaque


def recombine_rows(codes: np.ndarray, ab_small: np.ndarray, top: int, bottom: int,
                   weighted: np.ndarray, tabled: dict[str, np.ndarray], lab: np.ndarray,
                   rgb_from_xyz: np.ndarray, out: np.ndarray) -> None:
    """Rows ``top:bottom`` of ``out`` (uint8 ``[H, W, 3]``, or ``[H, W, 4]`` RGBX with the
    fourth byte 255): the L of ``codes`` (uint8 /
    uint16 ``[H, W, 3]``; ``weighted[c]`` maps channel c's code to its share of the
    luminance Y) with ``ab_small`` (scaled ``[h, w, 2]``) upsampled bilinearly to
    ``[H, W]`` and clipped to [-1, 1], converted back to sRGB through ``rgb_from_xyz``
    (relative XYZ -> linear RGB, row vectors) and clipped to the gamut. ``tabled``: the
    ``f_of_y`` / ``srgb8`` tables (indexed by square roots, ``TABLE_STEPS``); ``lab``:
    float32 (f where f^3 starts, the linear segment's offset and 1 / slope)."""
    height, width = codes.shape[:2]
    rows = bilinear_axis(height, ab_small.shape[0])
    cols = bilinear_axis(width, ab_small.shape[1])
    _recombine(codes, np.ascontiguousarray(ab_small, np.float32), top, bottom, rows, cols,
               weighted, tabled["f_of_y"], tabled["srgb8"], lab, rgb_from_xyz, out)
