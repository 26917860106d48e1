"""Canny edges and spectral-residual saliency as TF ops, checked against skimage / scipy.

Agreement of ``canny_edges`` with ``skimage.feature.canny`` (float64 and float32 input,
sigma 1 and 2): identical maps (tested for equality) for camera, astronaut and coffee at
64 and 128 px and for a batch with explicit thresholds; at 256 px over camera, astronaut,
coffee, chelsea and rocket, at most one pixel of 65,536 per map may differ (measured: one,
chelsea at sigma 1, a float32 rounding tie in the non-maximum suppression; every other map
identical).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import tensorflow as tf
from skimage import color as skcolor
from skimage import data as skdata
from skimage import feature, transform, util

from colorization_tf import color
from colorization_tf.data import features

# At 256 px a float32 rounding tie may flip one pixel of a map (measured: 1 of 65,536).
CANNY_TIE_PIXELS = 1


def _gray(name: str, size: int) -> np.ndarray:
    image = getattr(skdata, name)()
    gray = util.img_as_float(image) if image.ndim == 2 else skcolor.rgb2gray(image)
    return transform.resize(gray, (size, size), anti_aliasing=True)


@pytest.mark.parametrize("size", [64, 128])
@pytest.mark.parametrize("name", ["camera", "astronaut", "coffee"])
def test_canny_matches_skimage(name, size):
    gray = _gray(name, size)
    for sigma in (1.0, 2.0):
        expected = feature.canny(gray, sigma=sigma)
        edges = features.canny_edges(gray[..., None].astype(np.float32), sigma=sigma).numpy()
        assert edges.shape == (size, size, 1) and edges.dtype == np.float32
        assert set(np.unique(edges)) <= {0.0, 1.0}
        assert expected.sum() > 0.02 * size * size  # a real edge map, not an empty one
        np.testing.assert_array_equal(edges[..., 0] > 0.5, expected)


@pytest.mark.parametrize("name", ["camera", "astronaut", "coffee", "chelsea", "rocket"])
def test_canny_at_256_px_differs_from_skimage_by_at_most_a_rounding_tie(name):
    gray = _gray(name, 256)
    for sigma in (1.0, 2.0):
        for dtype in (np.float32, np.float64):
            expected = feature.canny(gray.astype(dtype), sigma=sigma)
            edges = features.canny_edges(gray[..., None].astype(np.float32), sigma=sigma)
            assert expected.sum() > 0.01 * 256 * 256  # a real edge map
            assert np.sum(expected != (edges.numpy()[..., 0] > 0.5)) <= CANNY_TIE_PIXELS


def test_canny_explicit_thresholds_and_batch_match_skimage():
    batch = np.stack([_gray("camera", 64), _gray("coffee", 64)])[..., None].astype(np.float32)
    edges = features.canny_edges(batch, sigma=1.5, low_threshold=0.05, high_threshold=0.3)
    assert edges.shape == (2, 64, 64, 1)
    for image, result in zip(batch, edges.numpy(), strict=True):
        expected = feature.canny(image[..., 0], sigma=1.5, low_threshold=0.05,
                                 high_threshold=0.3)
        np.testing.assert_array_equal(result[..., 0] > 0.5, expected)


def test_canny_hysteresis_keeps_only_weak_edges_connected_to_strong_ones():
    # Left: a step whose gradient magnitude fades from 0.25 (strong) to 0.08 (below low)
    # down the rows; its weak middle (0.1-0.2, rows 11-27) survives only through its
    # connection to the strong top. Right: a step of constant magnitude 0.155, weak
    # everywhere and connected to nothing strong: dropped.
    image = np.zeros((32, 48), np.float32)
    image[:, 12:] = np.linspace(0.1, 0.03, 32)[:, None]
    image[:, 36:] += 0.06
    expected = feature.canny(image, sigma=1.0)
    edges = features.canny_edges(image[..., None]).numpy()[..., 0] > 0.5
    np.testing.assert_array_equal(edges, expected)
    assert edges[11:28, :24].any(axis=1).all()  # weak but connected: kept
    assert not edges[28:, :24].any()  # below the low threshold
    assert not edges[:, 24:].any()  # weak and isolated: dropped
    assert features.canny_edges(image[..., None], high_threshold=10.0).numpy().sum() == 0


def test_canny_rejects_bad_arguments():
    with pytest.raises(ValueError, match="high_threshold"):
        features.canny_edges(tf.zeros([8, 8, 1]), low_threshold=0.3, high_threshold=0.2)
    with pytest.raises(ValueError, match="gray channel"):
        features.canny_edges(tf.zeros([8, 8, 3]))
    with pytest.raises(ValueError, match="sigma"):
        features.canny_edges(tf.zeros([8, 8, 1]), sigma=-1.0)


def _reference_saliency(gray: np.ndarray) -> np.ndarray:
    """Hou & Zhang's spectral residual written with numpy / scipy (working size = input)."""
    spectrum = np.fft.fft2(gray)
    log_amplitude = np.log(np.abs(spectrum))
    residual = log_amplitude - ndi.uniform_filter(log_amplitude, 3, mode="nearest")
    saliency = np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))) ** 2
    saliency = ndi.gaussian_filter(saliency, 2.5, mode="constant", truncate=2.0)
    return (saliency - saliency.min()) / (saliency.max() - saliency.min())


def test_saliency_matches_numpy_reference_at_working_size():
    gray = _gray("astronaut", 64)
    expected = _reference_saliency(gray)
    saliency = features.spectral_residual_saliency(gray[..., None].astype(np.float32)).numpy()
    assert saliency.shape == (64, 64, 1)
    np.testing.assert_allclose(saliency[..., 0], expected, atol=2e-3)


def _blob_image(background: str, center: tuple[int, int], size: int = 128):
    rows, cols = np.mgrid[:size, :size]
    if background == "grating":
        gray = 0.5 + 0.2 * np.sin(2 * np.pi * cols / 8)
    else:
        gray = 0.5 + 0.1 * np.random.default_rng(0).standard_normal((size, size))
    distance2 = (rows - center[0]) ** 2 + (cols - center[1]) ** 2
    gray[distance2 < 10 ** 2] = 0.95
    rgb = np.stack([gray, 0.8 * gray, 0.5 * gray], axis=-1).clip(0, 1).astype(np.float32)
    return rgb, distance2 < 14 ** 2  # the blob plus the blur's reach


# Measured (128 px, blob radius 10): mean saliency inside / outside = 34-36 on the grating,
# 4.7-4.9 on noise; the peak always lies inside the blob.
@pytest.mark.parametrize("background,min_ratio", [("grating", 10.0), ("noise", 3.0)])
@pytest.mark.parametrize("center", [(40, 90), (90, 30)])
def test_saliency_finds_the_blob(background, min_ratio, center):
    rgb, region = _blob_image(background, center)
    saliency = features.spectral_residual_saliency(rgb).numpy()[..., 0]
    assert saliency.shape == region.shape
    assert saliency.min() >= 0.0 and saliency.max() <= 1.0
    assert saliency[region].mean() > min_ratio * saliency[~region].mean()
    assert region[np.unravel_index(saliency.argmax(), saliency.shape)]


def test_saliency_batches_and_constant_images():
    rgb, _ = _blob_image("grating", (40, 90))
    batch = np.stack([rgb, np.full_like(rgb, 0.3)])
    saliency = features.spectral_residual_saliency(batch).numpy()
    np.testing.assert_allclose(saliency[0], features.spectral_residual_saliency(rgb).numpy(),
                               atol=1e-5)
    assert np.all(np.isfinite(saliency[1])) and saliency[1].min() >= 0.0
    with pytest.raises(ValueError, match="channels"):
        features.spectral_residual_saliency(tf.zeros([8, 8, 2]))


def _lab_example(size: int = 32) -> dict:
    rgb = transform.resize(util.img_as_float(skdata.coffee()), (size, size),
                           anti_aliasing=True).astype(np.float32)
    lightness, ab = color.rgb_to_model(rgb)
    return {"L": lightness, "ab": ab, "label": tf.constant(3, tf.int64)}, rgb


@pytest.mark.compiled
def test_add_edge_and_saliency_in_tf_data():
    example, rgb = _lab_example()
    dataset = tf.data.Dataset.from_tensors(example).repeat(3)
    single = dataset.map(features.add_edge_and_saliency, num_parallel_calls=tf.data.AUTOTUNE)
    batched = dataset.batch(3).map(features.add_edge_and_saliency,
                                   num_parallel_calls=tf.data.AUTOTUNE)
    one = next(iter(single))
    many = next(iter(batched))
    assert set(one) == {"L", "ab", "label", "edges", "saliency"}
    assert one["edges"].shape == (32, 32, 1) and many["edges"].shape == (3, 32, 32, 1)
    assert one["saliency"].shape == (32, 32, 1) and many["saliency"].shape == (3, 32, 32, 1)
    assert int(one["label"]) == 3
    np.testing.assert_array_equal(one["L"].numpy(), example["L"].numpy())
    # Edges come from L*/100, checked against skimage on the independently computed L*.
    lightness = skcolor.rgb2lab(rgb.astype(np.float64))[..., 0] / 100.0
    expected = feature.canny(lightness, sigma=1.0)
    assert np.mean(expected != (one["edges"].numpy()[..., 0] > 0.5)) <= 0.01
    # Saliency comes from the example's sRGB image.
    np.testing.assert_allclose(one["saliency"].numpy(),
                               features.spectral_residual_saliency(rgb).numpy(), atol=2e-3)
    for index in range(3):
        np.testing.assert_allclose(many["edges"][index].numpy(), one["edges"].numpy())
        np.testing.assert_allclose(many["saliency"][index].numpy(), one["saliency"].numpy(),
                                   atol=1e-5)
