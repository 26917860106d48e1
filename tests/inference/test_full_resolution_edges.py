"""The edges of full-resolution colorization's promises, each found by mutation testing
(``python tools/mutation.py inference/full_resolution.py``): the tables and curve
polynomials built at import, rebuilt here and checked against scikit-image and the
formulas (a mutant of code that runs only at import is otherwise never exercised), the
render size's range, float input clipped, one image or a batch, white staying within
[0, 1], and what the numpy paths refuse."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from skimage import color as skcolor

from colorization_tf import color
from colorization_tf.data.config import MAX_IMAGE_SIZE
from colorization_tf.inference import full_resolution

D65 = np.array(color.D65_WHITE)


def _gray_xyz(luminance: np.ndarray) -> np.ndarray:
    """XYZ of grays of the given luminance (the D65 white scaled)."""
    return luminance[:, None] * D65[None, :]


def test_the_linearisation_table_is_skimages_srgb_decoding():
    """Each 16-bit code's linear value is the Y of the gray of that code in skimage's
    sRGB -> XYZ (grays: Y is the linear value), within float32 rounding; the 8-bit table
    is the 16-bit one at the codes x257."""
    table = full_resolution._linear_table()
    codes = np.arange(65536) / 65535.0
    want = skcolor.rgb2xyz(np.repeat(codes[:, None, None], 3, axis=-1))[:, 0, 1]
    assert table.shape == (65536,) and table.dtype == np.float32
    np.testing.assert_allclose(table, want, rtol=2e-6, atol=1e-7)
    tables = full_resolution._tables()
    np.testing.assert_array_equal(tables["linear8"], table[::257])
    np.testing.assert_array_equal(tables["linear16"], table)


def test_the_curve_tables_are_skimages_lab_and_srgb_curves():
    """At any spacing of linear values: f(Y) is (L* + 16) / 116 of skimage's Lab of the
    gray of luminance Y, and the 8-bit code is skimage's sRGB encoding of that gray,
    rounded (within a level where the two round a tie apart)."""
    unit = np.concatenate([np.linspace(0.0, 0.02, 500), np.linspace(0.02, 1.0, 3000)])
    tables = full_resolution._curve_tables(unit)
    lab = skcolor.xyz2lab(_gray_xyz(unit)[:, None, :])[:, 0, 0]
    np.testing.assert_allclose(tables["f_of_y"], (lab + 16.0) / 116.0, atol=2e-6)
    srgb = skcolor.xyz2rgb(_gray_xyz(unit)[:, None, :])[:, 0, 1]
    want = np.round(np.clip(srgb, 0.0, 1.0) * 255.0)
    assert tables["f_of_y"].dtype == np.float32 and tables["srgb8"].dtype == np.uint8
    difference = np.abs(tables["srgb8"].astype(int) - want)
    assert difference.max() <= 1 and np.mean(difference > 0) < 0.002


def test_the_curve_tables_are_spaced_by_the_square_root():
    """4096 entries; entry k holds the curve at (k / 4095)^2 (fine where the curves are
    steep, near 0)."""
    tables = full_resolution._tables()
    unit = (np.arange(4096) / 4095.0) ** 2
    want = full_resolution._curve_tables(unit)
    for name in ("f_of_y", "srgb8"):
        assert tables[name].shape == (4096,)
        np.testing.assert_array_equal(tables[name], want[name])


@pytest.mark.parametrize(("curve", "knee", "tolerance"), [
    (np.cbrt, color.EPSILON, 1.5e-4),
    (lambda v: 255 * (1.055 * v ** (1 / 2.4) - 0.055), 0.0031308, 0.05)])
def test_root_polynomial_fits_its_curve_in_the_square_root(curve, knee, tolerance):
    """Rebuilt here: ``[sqrt(knee), scale, shift, c0..c8]`` with ``r * scale + shift``
    mapping [sqrt(knee), 1] onto [-1, 1], and the power series in it within the curve's
    tolerance (f(Y) 1.5e-4, sRGB 0.05 of a level) over [knee, 1]."""
    fitted = full_resolution.root_polynomial(curve, knee)
    low, scale, shift, coefficients = fitted[0], fitted[1], fitted[2], fitted[3:]
    assert fitted.dtype == np.float32 and len(coefficients) == 9
    assert low == np.float32(np.sqrt(knee))
    np.testing.assert_allclose([low * scale + shift, scale + shift], [-1.0, 1.0], atol=1e-5)
    values = np.linspace(knee, 1.0, 4001)
    mapped = np.sqrt(values) * np.float64(scale) + np.float64(shift)
    got = np.polynomial.polynomial.polyval(mapped, coefficients.astype(np.float64))
    assert np.abs(got - curve(values)).max() < tolerance


def test_render_sizes_are_taken_within_their_range_and_named_outside_it():
    default = full_resolution.render_size(None, 32.0)
    assert default == 32 and type(default) is int
    assert full_resolution.render_size(8, 32) == 8
    assert full_resolution.render_size(MAX_IMAGE_SIZE, 32) == MAX_IMAGE_SIZE
    for bad in (7, MAX_IMAGE_SIZE + 1):
        with pytest.raises(ValueError) as raised:
            full_resolution.render_size(bad, 32)
        assert str(raised.value) == (f"--render_size={bad}: expected a size in "
                                     f"8..{MAX_IMAGE_SIZE} (the side of the square the "
                                     "network sees)")


def test_float_images_are_clipped_to_the_unit_range():
    image = tf.constant([[[-0.5, 0.25, 1.5]]], tf.float64)
    unit = full_resolution.to_unit(image)
    assert unit.dtype == tf.float32
    np.testing.assert_array_equal(unit.numpy(), [[[0.0, 0.25, 1.0]]])
    np.testing.assert_array_equal(full_resolution.to_uint16(image).numpy(),
                                  [[[0, 16384, 65535]]])


def test_small_rgb_of_white_stays_within_one():
    """The resize's float sums reach 1.0000005 on white photos; the result is clipped."""
    for shape, size in [((37, 53, 3), 8), ((255, 129, 3), 32), ((1000, 999, 3), 31)]:
        for dtype in (np.uint8, np.uint16):
            white = np.full(shape, np.iinfo(dtype).max, dtype)
            small = full_resolution.small_rgb(white, size)
            assert small.max() <= 1.0 and small.min() >= 1.0 - 1e-6, (shape, dtype)


def test_the_lightness_of_white_is_the_top_of_the_model_range():
    """The TF resize's sums reach 1.000001 on white too; the network sees L = 1 at most."""
    for shape, size in [((37, 53, 3), 8), ((255, 129, 3), 32), ((1000, 999, 3), 31)]:
        lightness = full_resolution.model_input(tf.fill(shape, tf.constant(255, tf.uint8)),
                                                size)
        np.testing.assert_allclose(lightness.numpy(), 1.0, atol=1e-5)
        assert float(tf.reduce_max(lightness)) <= 1.0, shape


@pytest.mark.parametrize("codes", [np.zeros((8, 8, 3), np.float32),
                                   np.zeros((8, 8, 4), np.uint8), np.zeros((8, 8), np.uint8)])
def test_the_numpy_paths_refuse_anything_but_integer_rgb(codes):
    with pytest.raises(ValueError) as raised:
        full_resolution.small_rgb(codes, 4)
    assert str(raised.value) == (f"small_rgb: expected uint8 or uint16 [H,W,3], got "
                                 f"{codes.dtype} {list(codes.shape)}")
    with pytest.raises(ValueError, match=r"^fast_recombine: expected uint8 or uint16 "):
        full_resolution.fast_recombine(codes, np.zeros((2, 2, 2), np.float32))


@pytest.mark.compiled  # as colorize runs it: the compiled function takes batches only
def test_lightness_of_one_image_is_that_of_a_batch_of_it_in_any_float():
    small = np.random.default_rng(0).uniform(0, 1, (6, 5, 3))
    batch = full_resolution.lightness_of(np.stack([small, small]).astype(np.float32))
    one = full_resolution.lightness_of(small)  # float64, one image
    assert one.shape == (6, 5, 1) and one.dtype == tf.float32
    np.testing.assert_allclose(one.numpy(), batch.numpy()[1], atol=1e-6)
