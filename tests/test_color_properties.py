"""Properties of the colour conversions (color/) over generated colours (hypothesis):
sRGB -> Lab agrees with scikit-image and round-trips; any Lab (in gamut, on its edges or
far outside) converts like scikit-image's lab2rgb into [0, 1]; the model's scaling and
the ab unit conversions are exact inverses with the primary seed's formulas; whatever the
input's dtype (float64, int, a list), the results are float32."""

from __future__ import annotations

import warnings

import numpy as np
import skimage.color
import tensorflow as tf
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from colorization_tf import color

LAB_TOLERANCE = 5e-4  # Lab units: float32 TF vs float64 scikit-image (as test_color.py)
RGB_TOLERANCE = 2e-5

unit = st.floats(0.0, 1.0, allow_nan=False, width=32)
rgb_arrays = hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.just(3)), elements=unit)
lab_arrays = hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.just(3)),
                        elements=st.floats(-130.0, 130.0, allow_nan=False, width=32))
# the corners and edges of the sRGB cube: the gamut's boundary in Lab
CUBE_EDGES = np.array([[r, g, b] for r in (0.0, 0.5, 1.0) for g in (0.0, 0.5, 1.0)
                       for b in (0.0, 1.0)], np.float64)


def _skimage_lab2rgb(lab: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # negative Z clipped: skimage warns, we clip too
        return skimage.color.lab2rgb(lab[None])[0]


@given(rgb=rgb_arrays)
def test_rgb_to_lab_matches_skimage_and_round_trips(rgb):
    lab = color.rgb_to_lab(rgb)  # float64 numpy in: computed in float32
    assert lab.dtype == tf.float32
    np.testing.assert_allclose(lab.numpy(), skimage.color.rgb2lab(rgb[None])[0],
                               atol=LAB_TOLERANCE)
    back = color.lab_to_rgb(lab)
    np.testing.assert_allclose(back.numpy(), rgb, atol=1e-4)


@given(lab=lab_arrays)
def test_lab_to_rgb_of_any_lab_matches_skimage_inside_the_cube(lab):
    lab[:, 0] = np.abs(lab[:, 0]) % 100.0
    rgb = color.lab_to_rgb(lab)  # float64 numpy in
    assert rgb.dtype == tf.float32
    got = rgb.numpy()
    assert got.min() >= 0.0 and got.max() <= 1.0
    np.testing.assert_allclose(got, _skimage_lab2rgb(lab), atol=RGB_TOLERANCE)


def test_gamut_edges_round_trip_and_match_skimage():
    lab = color.rgb_to_lab(CUBE_EDGES)
    np.testing.assert_allclose(lab.numpy(), skimage.color.rgb2lab(CUBE_EDGES[None])[0],
                               atol=LAB_TOLERANCE)
    np.testing.assert_allclose(color.lab_to_rgb(lab).numpy(), CUBE_EDGES, atol=1e-4)
    white, black = lab.numpy()[-1], lab.numpy()[0]
    # white: L 100 and a, b within the rounding of the published sRGB matrix
    np.testing.assert_allclose(white, [100.0, 0.0, 0.0], atol=0.01)
    np.testing.assert_allclose(black, [0.0, 0.0, 0.0], atol=LAB_TOLERANCE)
    # just outside the cube: clipped to its surface, as scikit-image does
    outside = np.array([[50.0, 120.0, 0.0], [50.0, -120.0, 90.0], [95.0, 0.0, 120.0]])
    np.testing.assert_allclose(color.lab_to_rgb(outside).numpy(), _skimage_lab2rgb(outside),
                               atol=RGB_TOLERANCE)


def test_integer_and_list_inputs_come_out_float32():
    assert color.rgb_to_lab(np.array([[0, 1, 1]])).dtype == tf.float32
    assert color.lab_to_rgb(np.array([[50, 10, -10]])).dtype == tf.float32
    lightness, ab = color.normalize_lab(np.array([[50.0, 0.0, 0.0]]))
    assert lightness.dtype == ab.dtype == tf.float32
    lightness, ab = color.normalize_lab([[100, -128, 127]])
    np.testing.assert_allclose(lightness.numpy(), [[1.0]])
    np.testing.assert_allclose(ab.numpy(), [[-1.0, 1.0]])


@given(lab=lab_arrays)
def test_model_scaling_is_the_primary_seeds_and_inverts(lab):
    lightness, ab = color.normalize_lab(lab)
    np.testing.assert_allclose(lightness.numpy()[:, 0], (lab[:, 0] - 50.0) / 50.0, atol=1e-5)
    np.testing.assert_allclose(ab.numpy(), (lab[:, 1:] + 128.0) / 255.0 * 2.0 - 1.0,
                               atol=1e-5)
    np.testing.assert_allclose(color.denormalize_lab(lightness, ab).numpy(), lab, atol=1e-4)
    units = color.ab_to_lab_units(ab)
    np.testing.assert_allclose(units.numpy(), lab[:, 1:], atol=1e-4)
    np.testing.assert_allclose(color.lab_units_to_ab(lab[:, 1:]).numpy(), ab.numpy(),
                               atol=1e-6)
    assert color.lab_units_to_ab(np.int64([[0, 0]])).dtype == tf.float32


@given(rgb=rgb_arrays)
def test_model_round_trip_and_ab_of_rgb(rgb):
    lightness, ab = color.rgb_to_model(rgb)
    lab = skimage.color.rgb2lab(rgb[None])[0]
    np.testing.assert_allclose(ab.numpy(), (lab[:, 1:] + 0.5) / 127.5, atol=1e-5)
    np.testing.assert_allclose(color.model_to_rgb(lightness, ab).numpy(), rgb, atol=1e-4)
    # ab_of_rgb clips first: values outside [0, 1] count as the clipped colour
    stretched = rgb * 1.5 - 0.25
    np.testing.assert_allclose(color.ab_of_rgb(stretched).numpy(),
                               color.rgb_to_model(np.clip(stretched, 0.0, 1.0))[1].numpy(),
                               atol=1e-6)
    np.testing.assert_allclose(color.ab_of_rgb(rgb).numpy(), ab.numpy(), atol=1e-6)


def test_model_to_rgb_matches_skimage_on_scaled_values():
    rng = np.random.default_rng(3)
    lightness = rng.uniform(-1, 1, (2, 5, 5, 1))
    ab = rng.uniform(-0.6, 0.6, (2, 5, 5, 2))
    lab = np.concatenate([lightness * 50.0 + 50.0, ab * 127.5 - 0.5], axis=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = skimage.color.lab2rgb(lab)
    np.testing.assert_allclose(color.model_to_rgb(lightness, ab).numpy(), want,
                               atol=RGB_TOLERANCE)


def test_gray_ab_is_zero_chroma_of_the_given_shape():
    gray = color.gray_ab(tf.zeros([3, 2, 5, 1]))
    assert gray.shape == (3, 2, 5, 2) and gray.dtype == tf.float32
    np.testing.assert_allclose(gray.numpy(), 0.5 / 127.5)
