"""The one full-resolution path (``full_resolution.model_input`` and ``recombine``, and
their compiled numpy twins ``small_rgb`` / ``fast_model_input`` and ``fast_recombine``)
against TensorFlow's resize and scikit-image's Lab conversion on 8- and 16-bit photos,
and the multi-path GAN's edge input: the same at training and at inference."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.color
import skimage.data
import tensorflow as tf

from colorization_tf.data import features
from colorization_tf.inference import full_resolution, pixel_kernels
from colorization_tf.inference.predictor import Predictor


def _photo(bits: int) -> np.ndarray:
    """A real photograph (8 bit) or a smooth 16-bit image with every code range used."""
    if bits == 8:
        return skimage.data.astronaut()[100:160, 150:230]
    rows, cols = np.mgrid[0:60, 0:80]
    codes = np.stack([rows * 1111, cols * 829, (rows * cols * 13) % 65536], -1)
    return codes.astype(np.uint16)


def _skimage_recombine(photo: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """The photo's own L* with scaled ``ab`` (already at the photo's size), by skimage."""
    rgb = photo.astype(np.float64) / np.iinfo(photo.dtype).max
    lightness = skimage.color.rgb2lab(rgb)[..., :1]
    ab_units = np.clip(ab, -1.0, 1.0) * 127.5 - 0.5
    out = skimage.color.lab2rgb(np.concatenate([lightness, ab_units], -1))
    return np.round(out * 255.0).astype(np.int16)


@pytest.mark.filterwarnings("ignore:Conversion from CIE-LAB")
@pytest.mark.parametrize("bits", [8, 16])
def test_recombine_matches_skimage_lab(bits):
    photo = _photo(bits)
    ab = tf.random.stateless_uniform(list(photo.shape[:2]) + [2], [3, bits], -1.2, 1.2)
    got = full_resolution.recombine(tf.constant(photo), ab).numpy().astype(np.int16)
    want = _skimage_recombine(photo, ab.numpy())
    difference = np.abs(got - want)
    assert got.dtype == np.int16 and got.shape == photo.shape
    assert difference.max() <= 1 and difference.mean() < 0.02


def _previous_recombine(codes: tf.Tensor, ab_small: tf.Tensor) -> np.ndarray:
    """The recombination before the look-up tables and XLA (commit 54ce7d1), kept as the
    reference the faster path must stay within one level of."""
    fr, c = full_resolution, full_resolution.color
    linear = tf.gather(tf.constant(fr._LINEAR_FROM_CODE), tf.cast(codes, tf.int32))
    luminance = tf.tensordot(linear, tf.constant(fr._LUMINANCE), 1)
    fy = tf.where(luminance > c.EPSILON, tf.pow(tf.maximum(luminance, c.EPSILON), 1.0 / 3.0),
                  c.KAPPA_SLOPE * luminance + c.OFFSET)
    ab = tf.image.resize(tf.cast(ab_small, tf.float32)[None], tf.shape(codes)[:2],
                         method="bilinear")[0]
    ab = c.ab_to_lab_units(tf.clip_by_value(ab, -1.0, 1.0))
    f = tf.stack([fy + ab[..., 0] / 500.0, fy, tf.maximum(fy - ab[..., 1] / 200.0, 0.0)], -1)
    xyz = tf.where(f > c.F_THRESHOLD, f * f * f, (f - c.OFFSET) / c.KAPPA_SLOPE)
    linear_out = tf.clip_by_value(tf.tensordot(xyz, tf.constant(fr._RGB_FROM_RELATIVE_XYZ), 1),
                                  0.0, 1.0)
    srgb = tf.where(linear_out > 0.0031308,
                    1.055 * tf.pow(tf.maximum(linear_out, 0.0031308), 1.0 / 2.4) - 0.055,
                    12.92 * linear_out)
    return tf.cast(tf.round(srgb * 255.0), tf.uint8).numpy()


@pytest.mark.parametrize("bits", [8, 16])
@pytest.mark.parametrize("workers", [1, 3])
def test_fast_recombine_stays_within_one_level_of_the_previous_output(bits, workers,
                                                                      monkeypatch):
    """301 x 257 pixels, ab upsampled from 19 x 23 inside the compiled loop; with 3
    workers the photo is cut into strips of 64 rows (the strip height shortened for the
    test), which must give exactly the single-strip result."""
    monkeypatch.setattr(full_resolution, "_STRIP_ROWS", 64)
    photo = skimage.data.astronaut()[:301, :257]
    if bits == 16:
        photo = photo.astype(np.uint16) * 257 + np.arange(257, dtype=np.uint16)[None, :, None]
    ab = tf.random.stateless_uniform([19, 23, 2], [7, bits], -1.2, 1.2)
    before = _previous_recombine(full_resolution.to_uint16(tf.constant(photo)), ab)
    fast = full_resolution.fast_recombine(photo, ab.numpy(), workers=workers)
    np.testing.assert_array_equal(fast, full_resolution.fast_recombine(photo, ab.numpy(), 1))
    for got in (fast, full_resolution.recombine(tf.constant(photo), ab).numpy()):
        difference = np.abs(got.astype(np.int16) - before)
        assert got.shape == photo.shape and got.dtype == np.uint8
        assert difference.max() <= 1 and difference.mean() < 0.03  # a few values, by one


@pytest.mark.filterwarnings("ignore:Conversion from CIE-LAB")
@pytest.mark.parametrize("bits", [8, 16])
@pytest.mark.parametrize("ab_size", [(9, 11), (60, 80), (97, 150)])
def test_fast_recombine_matches_skimage_lab(bits, ab_size):
    """ab smaller than the 60 x 80 photo, as large, and larger (photo rows then skip ab
    rows: the loop's two cached ab rows must follow)."""
    photo = _photo(bits)
    ab_small = tf.random.stateless_uniform([*ab_size, 2], [4, bits], -1.2, 1.2)
    ab = tf.image.resize(ab_small[None], photo.shape[:2], method="bilinear")[0].numpy()
    got = full_resolution.fast_recombine(photo, ab_small.numpy()).astype(np.int16)
    difference = np.abs(got - _skimage_recombine(photo, ab))
    assert difference.max() <= 1 and difference.mean() < 0.02


@pytest.mark.parametrize("shape", [(16, 16), (37, 50), (5, 7), (150, 200), (60, 80)])
@pytest.mark.parametrize("bits", [8, 16])
def test_small_rgb_is_tf_image_resize_with_antialiasing(shape, bits):
    """Down (and, for 150 x 200, up) to any size, and the identity at the photo's size."""
    photo = _photo(bits)
    got = full_resolution.small_rgb(photo, shape)
    unit = photo / np.iinfo(photo.dtype).max
    want = np.clip(tf.image.resize(unit[None], shape, antialias=True)[0].numpy(), 0, 1)
    assert got.shape == shape + (3,) and got.dtype == np.float32
    np.testing.assert_allclose(got, want, atol=2e-6)


def test_fast_model_input_is_model_input():
    photo = _photo(16)
    got = full_resolution.fast_model_input(photo, 16)
    want = full_resolution.model_input(tf.constant(photo), 16).numpy()
    assert got.shape == (16, 16, 1)
    np.testing.assert_allclose(got, want, atol=1e-5)


@pytest.mark.parametrize(("name", "curve", "knee", "tolerance"), [
    ("f_of_y", np.cbrt, 0.008856, 1.5e-4),  # Lab's f(Y) above its knee (as skimage)
    ("srgb", lambda v: 255 * (1.055 * v ** (1 / 2.4) - 0.055), 0.0031308, 0.05)])  # levels
def test_the_compiled_curves_follow_their_formulas(name, curve, knee, tolerance):
    """The compiled loops' polynomials in float32, as the loops evaluate them, against
    the formulas in float64 over their whole range: f(Y) within 1.5e-4, the 8-bit sRGB
    code within 0.05 of a level (a table of 4096 entries is within 0.1)."""
    polynomial = full_resolution._CURVES[name]
    assert polynomial[0] == np.float32(np.sqrt(knee))
    values = np.linspace(knee, 1.0, 4001)
    roots = np.sqrt(values).astype(np.float32)
    got = np.array([pixel_kernels._curve(root, tuple(polynomial)) for root in roots])
    scale = 255.0 if name == "srgb" else 1.0
    assert np.abs(got * scale - curve(values)).max() < tolerance


@pytest.mark.parametrize("bits", [8, 16])
def test_rgbx_output_is_the_rgb_output_with_an_opaque_fourth_byte(bits):
    """What colorize hands its encoder: the same three channels, every fourth byte 255
    (the array starts as uninitialized memory, so a missed pixel would show)."""
    photo = _photo(bits)
    ab = tf.random.stateless_uniform([9, 11, 2], [5, bits], -1.2, 1.2).numpy()
    rgb = full_resolution.fast_recombine(photo, ab)
    rgbx = full_resolution.fast_recombine(photo, ab, rgbx=True)
    assert rgbx.shape == (*photo.shape[:2], 4) and rgbx.dtype == np.uint8
    np.testing.assert_array_equal(rgbx[..., :3], rgb)
    assert (rgbx[..., 3] == 255).all()


def test_fast_recombine_refuses_float_images():
    with pytest.raises(ValueError, match="expected uint8 or uint16"):
        full_resolution.fast_recombine(np.zeros([4, 4, 3], np.float32), np.zeros([2, 2, 2]))


def test_recombine_takes_8_bit_16_bit_and_float_alike():
    photo = _photo(8)
    ab = tf.random.stateless_uniform([7, 9, 2], [5, 6], -1.0, 1.0)  # upsampled inside
    from_8 = full_resolution.recombine(tf.constant(photo), ab).numpy()
    from_16 = full_resolution.recombine(tf.constant(photo.astype(np.uint16) * 257), ab)
    from_float = full_resolution.recombine(tf.constant(photo / 255.0, tf.float32), ab)
    np.testing.assert_array_equal(from_8, from_16.numpy())
    assert np.abs(from_8.astype(int) - from_float.numpy()).max() <= 1


def test_model_input_is_the_lightness_of_the_resized_photo():
    photo = _photo(8)
    got = full_resolution.model_input(tf.constant(photo), 16).numpy()
    small = tf.image.resize(photo[None] / 255.0, [16, 16], antialias=True)[0].numpy()
    want = (skimage.color.rgb2lab(np.clip(small, 0, 1))[..., :1] - 50.0) / 50.0
    assert got.shape == (16, 16, 1)
    np.testing.assert_allclose(got, want, atol=2e-3)
    batch = full_resolution.model_input(tf.constant(np.stack([photo, photo])), 16).numpy()
    np.testing.assert_array_equal(batch[1], got)


def test_training_and_inference_read_the_same_edges():
    """What the multi-path GAN is trained on (``add_edge_and_saliency``) equals what the
    Predictor feeds it, on the same L."""
    received = {}

    class EdgeReader:
        FEATURES = ("edges",)

        def predict_ab(self, lightness, decode=None, temperature=None, edges=None):
            received["edges"] = edges
            return tf.zeros(tf.concat([tf.shape(lightness)[:-1], [2]], 0))

    rgb = skimage.data.chelsea()[::8, ::8][:32, :32] / 255.0
    lightness, ab = full_resolution.color.rgb_to_model(tf.constant(rgb[None], tf.float32))
    Predictor(EdgeReader(), 32).network(lightness)
    trained = features.add_edge_and_saliency({"L": lightness, "ab": ab})["edges"]
    assert float(tf.reduce_sum(trained)) > 20  # a cat has edges
    np.testing.assert_array_equal(received["edges"].numpy(), trained.numpy())


def test_lightness_of_takes_one_image_or_a_batch_in_any_order():
    """Batches of any size and single images share one graph (a single image after a batch
    once relaxed the traced shape to an unknown rank and failed)."""
    small = full_resolution.small_rgb(_photo(8), 16)
    want = full_resolution.model_input(tf.constant(_photo(8)), 16).numpy()
    for batch_size in (2, 0, 3, 0, 1):
        given = small if batch_size == 0 else np.stack([small] * batch_size)
        got = full_resolution.lightness_of(given).numpy()
        assert got.shape == given.shape[:-1] + (1,)
        np.testing.assert_allclose(got.reshape(-1, 16, 16, 1)[0], want, atol=1e-5)
