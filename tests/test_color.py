"""Colour conversion agrees with scikit-image (the independent reference)."""

import numpy as np
import pytest
import skimage.color
import skimage.data
import tensorflow as tf

from colorization_tf import color

# float32 TF ops vs float64 skimage. Measured worst cases: 8e-5 Lab units (rgb2lab on real
# photos), 2.5e-6 (lab2rgb on random Lab); the bounds leave headroom for other CPUs.
LAB_TOLERANCE = 5e-4
RGB_TOLERANCE = 2e-5


def _random_rgb(shape, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, shape)


@pytest.mark.parametrize("image", [
    _random_rgb((4, 16, 16, 3)),
    skimage.data.astronaut()[::8, ::8] / 255.0,
    skimage.data.coffee()[::8, ::8] / 255.0,
    np.array([[[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.04, 0.04045, 0.05]]]),  # edge cases
])
def test_rgb_to_lab_matches_skimage(image):
    got = color.rgb_to_lab(tf.constant(image, tf.float32)).numpy()
    np.testing.assert_allclose(got, skimage.color.rgb2lab(image), atol=LAB_TOLERANCE)


def test_lab_to_rgb_matches_skimage_including_out_of_gamut():
    rng = np.random.default_rng(1)
    lab = np.stack([rng.uniform(0, 100, (32, 32)), rng.uniform(-110, 110, (32, 32)),
                    rng.uniform(-110, 110, (32, 32))], axis=-1)
    with pytest.warns(UserWarning):  # skimage warns about the clipped negative Z values
        expected = skimage.color.lab2rgb(lab)
    got = color.lab_to_rgb(tf.constant(lab, tf.float32)).numpy()
    assert got.min() >= 0.0 and got.max() <= 1.0
    np.testing.assert_allclose(got, expected, atol=RGB_TOLERANCE)


def test_round_trip_of_real_photo():
    rgb = skimage.data.chelsea()[::4, ::4] / 255.0
    back = color.lab_to_rgb(color.rgb_to_lab(tf.constant(rgb, tf.float32))).numpy()
    np.testing.assert_allclose(back, rgb, atol=1e-4)


def test_model_scaling_follows_primary_seed():
    lab = tf.constant([[[50.0, -0.5, 127.0], [100.0, -128.0, -0.5], [0.0, 0.0, 0.0]]])
    lightness, ab = color.normalize_lab(lab)
    np.testing.assert_allclose(lightness.numpy()[..., 0], [[0.0, 1.0, -1.0]], atol=1e-6)
    np.testing.assert_allclose(ab.numpy(), [[[0.0, 1.0], [-1.0, 0.0], [0.5 / 127.5] * 2]],
                               atol=1e-6)
    np.testing.assert_allclose(color.denormalize_lab(lightness, ab).numpy(), lab.numpy(),
                               atol=1e-4)


def test_gray_ab_is_zero_chroma():
    ab = color.gray_ab(tf.zeros([2, 4, 4, 1]))
    assert ab.shape == (2, 4, 4, 2)
    np.testing.assert_allclose(color.ab_to_lab_units(ab).numpy(), 0.0, atol=1e-6)


def test_conversion_runs_inside_tf_data_graph():
    ds = tf.data.Dataset.from_tensor_slices(_random_rgb((6, 8, 8, 3)).astype(np.float32))
    out = next(iter(ds.batch(3).map(color.rgb_to_model)))
    assert out[0].shape == (3, 8, 8, 1) and out[1].shape == (3, 8, 8, 2)
