"""Per-image guidance features for Sarkar et al.'s multi-path GAN, as pure TF ops for tf.data:
Canny edge maps (the generator's second input channel) and spectral-residual saliency maps
(its fourth output channel's target; a weight-free stand-in for SCGAN's pretrained detector).

Every op takes one image ``[H,W,C]`` or a batch ``[B,H,W,C]`` and returns the same layout.
"""

from __future__ import annotations

import tensorflow as tf

from colorization_tf import color

# skimage.feature.canny's defaults for float images (dtype max 1): 10% / 20% of the range.
CANNY_LOW_THRESHOLD = 0.1
CANNY_HIGH_THRESHOLD = 0.2
GAUSSIAN_TRUNCATE = 4.0  # scipy.ndimage.gaussian_filter's default, which skimage uses
# Hou & Zhang (2007): the image is analysed at 64 px and the squared residual map is
# blurred with a Gaussian of sigma 2.5 px (their reference code).
SALIENCY_WORKING_SIZE = 64
SALIENCY_BLUR_SIGMA = 2.5


def _as_batch(image: tf.Tensor, name: str) -> tuple[tf.Tensor, bool]:
    """``[H,W,C]`` or ``[B,H,W,C]`` float -> (``[B,H,W,C]`` float32, whether it was batched)."""
    image = tf.convert_to_tensor(image)
    if image.shape.rank not in (3, 4):
        raise ValueError(f"{name}: expected an image [H,W,C] or a batch [B,H,W,C], "
                         f"got shape {image.shape}")
    image = tf.cast(image, tf.float32)
    batched = image.shape.rank == 4
    return (image if batched else image[tf.newaxis]), batched


def _unbatch(image: tf.Tensor, batched: bool) -> tf.Tensor:
    return image if batched else image[0]


def _gaussian_taps(sigma: float, truncate: float) -> tf.Tensor:
    """The normalised 1-D Gaussian of scipy.ndimage (radius ``int(truncate * sigma + 0.5)``)."""
    radius = int(truncate * sigma + 0.5)
    x = tf.range(-radius, radius + 1, dtype=tf.float32)
    taps = tf.exp(-0.5 * tf.square(x) / (sigma * sigma))
    return taps / tf.reduce_sum(taps)


def _separable_blur(image: tf.Tensor, taps: tf.Tensor) -> tf.Tensor:
    """Correlates each ``[B,H,W,1]`` image with ``taps`` along H, then W, zeros outside."""
    size = tf.shape(taps)[0]
    image = tf.nn.conv2d(image, tf.reshape(taps, [size, 1, 1, 1]), 1, "SAME")
    return tf.nn.conv2d(image, tf.reshape(taps, [1, size, 1, 1]), 1, "SAME")


def _sobel(image: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """scipy.ndimage.sobel along axis 0 (rows, ``isobel``) and axis 1 (``jsobel``), with its
    default 'reflect' border (the edge pixel repeated)."""
    padded = tf.pad(image, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="SYMMETRIC")
    derivative = tf.constant([-1.0, 0.0, 1.0])
    smoothing = tf.constant([1.0, 2.0, 1.0])
    i_kernel = derivative[:, tf.newaxis] * smoothing[tf.newaxis, :]  # d/drow, smooth cols
    j_kernel = smoothing[:, tf.newaxis] * derivative[tf.newaxis, :]  # smooth rows, d/dcol
    kernels = tf.stack([i_kernel, j_kernel], axis=-1)[:, :, tf.newaxis, :]
    gradients = tf.nn.conv2d(padded, kernels, 1, "VALID")
    return gradients[..., :1], gradients[..., 1:]


def _non_maximum_suppression(isobel: tf.Tensor, jsobel: tf.Tensor, magnitude: tf.Tensor,
                             low_threshold: float) -> tf.Tensor:
    """The gradient magnitude where it is a local maximum along the gradient direction (the
    two neighbours on each side interpolated linearly) and at least ``low_threshold``; 0
    elsewhere and on the one-pixel image border, as skimage's bilinear suppression."""
    height, width = tf.shape(magnitude)[1], tf.shape(magnitude)[2]
    padded = tf.pad(magnitude, [[0, 0], [1, 1], [1, 1], [0, 0]])

    def neighbour(d_row: int, d_col: int) -> tf.Tensor:
        return padded[:, 1 + d_row:1 + d_row + height, 1 + d_col:1 + d_col + width, :]

    abs_i, abs_j = tf.abs(isobel), tf.abs(jsobel)
    # The gradient points into quadrants 1/3 (both components of one sign) or 2/4; within
    # each, the dominant component picks whether the row or the column neighbours are
    # blended with the diagonal one.
    same_sign = tf.logical_or(tf.logical_and(isobel > 0, jsobel > 0),
                              tf.logical_and(isobel <= 0, jsobel <= 0))
    rows_dominant = tf.where(same_sign, abs_i > abs_j, abs_i >= abs_j)
    weight = tf.math.divide_no_nan(tf.minimum(abs_i, abs_j), tf.maximum(abs_i, abs_j))

    def pick(same_rows, same_cols, other_rows, other_cols):
        return tf.where(same_sign, tf.where(rows_dominant, same_rows, same_cols),
                        tf.where(rows_dominant, other_rows, other_cols))

    # (straight neighbour, diagonal neighbour) on the "plus" and the "minus" side.
    plus_straight = pick(neighbour(1, 0), neighbour(0, 1), neighbour(-1, 0), neighbour(0, 1))
    plus_diagonal = pick(neighbour(1, 1), neighbour(1, 1), neighbour(-1, 1), neighbour(-1, 1))
    minus_straight = pick(neighbour(-1, 0), neighbour(0, -1), neighbour(1, 0), neighbour(0, -1))
    minus_diagonal = pick(neighbour(-1, -1), neighbour(-1, -1), neighbour(1, -1),
                          neighbour(1, -1))
    c_plus = plus_diagonal * weight + plus_straight * (1.0 - weight) <= magnitude
    c_minus = minus_diagonal * weight + minus_straight * (1.0 - weight) <= magnitude

    interior = tf.pad(tf.ones([1, height - 2, width - 2, 1], tf.bool), [[0, 0], [1, 1], [1, 1],
                                                                         [0, 0]])
    keep = interior & (magnitude >= low_threshold) & c_plus & c_minus
    return tf.where(keep, magnitude, tf.zeros_like(magnitude))


def _hysteresis(candidates: tf.Tensor, strong: tf.Tensor) -> tf.Tensor:
    """The 8-connected components of ``candidates`` that contain a ``strong`` pixel: grow
    ``strong`` by 3x3 dilations inside ``candidates`` until nothing changes."""
    candidates = tf.cast(candidates, tf.float32)
    edges = tf.cast(strong, tf.float32) * candidates
    max_steps = tf.size(candidates)  # a path visits each pixel at most once

    def grow(step, edges, _):
        grown = tf.nn.max_pool2d(edges, 3, 1, "SAME") * candidates
        return step + 1, grown, tf.reduce_any(grown != edges)

    _, edges, _ = tf.while_loop(lambda step, edges, changed: changed & (step < max_steps),
                                grow, (tf.constant(0), edges, tf.constant(True)))
    return edges


def canny_edges(gray: tf.Tensor, sigma: float = 1.0, low_threshold: float | None = None,
                high_threshold: float | None = None) -> tf.Tensor:
    """Canny edge map of gray ``[H,W,1]`` / ``[B,H,W,1]`` in [0, 1] as float32 in {0, 1}.

    Follows ``skimage.feature.canny`` (no mask, mode 'constant'): Gaussian smoothing
    normalised by the smoothed all-ones image, Sobel gradients, bilinear non-maximum
    suppression, and hysteresis between ``low_threshold`` and ``high_threshold`` (gradient
    magnitudes; default 0.1 and 0.2, skimage's values for float images). The border pixels
    are never edges. Measured agreement with skimage: see tests/data/test_features.py.
    """
    if sigma < 0:
        raise ValueError(f"canny_edges: sigma must be >= 0, got {sigma}")
    low = CANNY_LOW_THRESHOLD if low_threshold is None else float(low_threshold)
    high = CANNY_HIGH_THRESHOLD if high_threshold is None else float(high_threshold)
    if high < low:
        raise ValueError(f"canny_edges: high_threshold {high} is below low_threshold {low}")
    low = max(low, 1e-14)  # as skimage: a zero magnitude is never an edge
    image, batched = _as_batch(gray, "canny_edges")
    if image.shape[-1] not in (1, None):
        raise ValueError(f"canny_edges: expected one gray channel, got shape {image.shape}")
    if sigma > 0:
        taps = _gaussian_taps(sigma, GAUSSIAN_TRUNCATE)
        bleed_over = _separable_blur(tf.ones_like(image[:1]), taps) + 1.1920929e-07
        image = _separable_blur(image, taps) / bleed_over
    isobel, jsobel = _sobel(image)
    magnitude = tf.sqrt(isobel * isobel + jsobel * jsobel)
    local_maxima = _non_maximum_suppression(isobel, jsobel, magnitude, low)
    edges = _hysteresis(local_maxima > 0, local_maxima >= high)
    return _unbatch(edges, batched)


def spectral_residual_saliency(image: tf.Tensor, working_size: int = SALIENCY_WORKING_SIZE,
                               blur_sigma: float = SALIENCY_BLUR_SIGMA) -> tf.Tensor:
    """Spectral-residual saliency (Hou & Zhang 2007) of RGB ``[...,3]`` or gray ``[...,1]``
    in [0, 1]: ``[H,W,1]`` / ``[B,H,W,1]`` float32 in [0, 1], 1 at the most salient pixel.

    At ``working_size`` px: log amplitude spectrum minus its 3x3 local mean, phase kept,
    inverse FFT, squared, Gaussian blur (``blur_sigma``), min-max normalised, and resized
    back. Needs no trained weights, so it works offline.
    """
    images, batched = _as_batch(image, "spectral_residual_saliency")
    if images.shape[-1] not in (1, 3):
        raise ValueError("spectral_residual_saliency: expected 1 or 3 channels, got shape "
                         f"{images.shape}")
    if images.shape[-1] == 3:
        images = tf.image.rgb_to_grayscale(images)
    size = tf.shape(images)[1:3]
    small = tf.image.resize(images, [working_size, working_size], antialias=True)[..., 0]
    spectrum = tf.signal.fft2d(tf.complex(small, tf.zeros_like(small)))
    amplitude = tf.abs(spectrum)
    log_amplitude = tf.math.log(tf.maximum(amplitude, 1e-12))[..., tf.newaxis]
    local_mean = tf.nn.avg_pool2d(
        tf.pad(log_amplitude, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="SYMMETRIC"), 3, 1,
        "VALID")
    residual = (log_amplitude - local_mean)[..., 0]
    phase = tf.math.divide_no_nan(spectrum, tf.complex(amplitude, tf.zeros_like(amplitude)))
    saliency = tf.square(tf.abs(tf.signal.ifft2d(
        tf.complex(tf.exp(residual), tf.zeros_like(residual)) * phase)))[..., tf.newaxis]
    # Truncated at 2 sigma: 11 taps at sigma 2.5, close to the reference code's 10x10 kernel.
    saliency = _separable_blur(saliency, _gaussian_taps(blur_sigma, 2.0))
    low = tf.reduce_min(saliency, axis=[1, 2, 3], keepdims=True)
    high = tf.reduce_max(saliency, axis=[1, 2, 3], keepdims=True)
    saliency = tf.math.divide_no_nan(saliency - low, high - low)
    saliency = tf.clip_by_value(tf.image.resize(saliency, size), 0.0, 1.0)
    return _unbatch(saliency, batched)


def edges_of_lightness(lightness: tf.Tensor, sigma: float = 1.0) -> tf.Tensor:
    """The multi-path GAN's edge input: Canny edges ({0, 1}, float32) of L*/100 for scaled
    L ``[..., H, W, 1]`` in [-1, 1]. Training (:func:`add_edge_and_saliency`) and inference
    (``Predictor``) both call this, so their edge maps cannot drift apart."""
    gray = (tf.convert_to_tensor(lightness, tf.float32) + 1.0) / 2.0  # L* / 100 in [0, 1]
    return canny_edges(gray, sigma=sigma)


def add_edge_and_saliency(example: dict, sigma: float = 1.0) -> dict:
    """A Lab example (one image or a batch) plus ``"edges"`` (Canny on L*/100, {0, 1}) and
    ``"saliency"`` (spectral residual of its sRGB image, [0, 1]), both ``[..., 1]`` float32.

    Use inside ``tf.data.Dataset.map``; the multipath preset's generator reads
    concat(L, edges) and learns to predict the saliency channel.
    """
    lightness = tf.convert_to_tensor(example["L"], tf.float32)
    rgb = color.model_to_rgb(lightness, example["ab"])
    return {**example, "edges": edges_of_lightness(lightness, sigma=sigma),
            "saliency": spectral_residual_saliency(rgb)}


__all__ = ["add_edge_and_saliency", "canny_edges", "edges_of_lightness",
           "spectral_residual_saliency"]
