"""Levin et al. 2004's optimization: analytic cases (a sharp edge between two flat
regions, a constant image), agreement with an independent dense solve of the paper's
equations on a 5x5 image, and whole photos (the hint's colour at the hint, the photo's
own L kept, EXIF-rotated photos hinted in the frame viewers show)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import skimage.data
from PIL import Image
from skimage.color import rgb2lab

from colorization_tf.inference import hints, optimization, user_images


def _edge_image(size: int = 24) -> np.ndarray:
    """Scaled L: dark left half (L* = 20), light right half (L* = 70), a sharp edge."""
    return np.where(np.arange(size)[None, :] < size // 2, -0.6, 0.4) * np.ones((size, 1))


def _hint_maps(shape, spots: dict) -> tuple[np.ndarray, np.ndarray]:
    hint_ab, hint_mask = np.zeros(shape + (2,), np.float32), np.zeros(shape + (1,), np.float32)
    for (row, col), ab in spots.items():
        hint_ab[row, col], hint_mask[row, col] = ab, 1.0
    return hint_ab, hint_mask


def test_each_side_of_a_sharp_edge_takes_its_own_point():
    """Leakage bound: every pixel stays within 2% of the difference between the two
    hints' colours of its own side's hint (measured: 1.2% at the worst pixel, on the edge,
    for one-pixel hints on a 24x24 image; a neighbour across the edge weighs exp(-7.5))."""
    left, right = np.array([0.5, 0.2]), np.array([-0.4, 0.3])
    hint_ab, hint_mask = _hint_maps((24, 24), {(12, 3): left, (12, 20): right})
    ab = optimization.solve_ab(_edge_image(), hint_ab, hint_mask)
    bound = 0.02 * np.abs(left - right).max()
    assert np.abs(ab[:, :12] - left).max() < bound
    assert np.abs(ab[:, 12:] - right).max() < bound
    # Without the edge (a constant image) the same two points blend: far from either
    # colour in the middle, which shows the edge above is what stops the spread.
    flat = optimization.solve_ab(np.zeros((24, 24)), hint_ab, hint_mask)
    assert np.abs(flat[:, 11] - left).max() > 0.2


def test_a_constant_image_takes_one_points_colour_everywhere():
    hint_ab, hint_mask = _hint_maps((17, 23), {(4, 19): [0.3, -0.25]})
    ab = optimization.solve_ab(np.full((17, 23, 1), 0.1), hint_ab, hint_mask)
    np.testing.assert_allclose(ab, np.broadcast_to([0.3, -0.25], (17, 23, 2)), atol=1e-6)


def test_no_hint_gives_a_colourless_image():
    ab = optimization.solve_ab(_edge_image(8), *_hint_maps((8, 8), {}))
    np.testing.assert_allclose(ab * 127.5 - 0.5, 0.0, atol=1e-6)


def _dense_reference(luminance: np.ndarray, hint_ab: np.ndarray,
                     hint_mask: np.ndarray) -> np.ndarray:
    """The paper's equations written out pixel by pixel and solved densely."""
    height, width = luminance.shape
    n = height * width
    matrix, rhs = np.zeros((n, n)), np.zeros((n, 2))
    for r in range(height):
        for c in range(width):
            i = r * width + c
            matrix[i, i] = 1.0
            if hint_mask[r, c, 0]:
                rhs[i] = hint_ab[r, c]
                continue
            around = [(rr, cc) for rr in range(r - 1, r + 2) for cc in range(c - 1, c + 2)
                      if 0 <= rr < height and 0 <= cc < width]
            window = np.array([luminance[p] for p in around])
            others = [p for p in around if p != (r, c)]
            d2 = np.array([(luminance[p] - luminance[r, c]) ** 2 for p in others])
            two_sigma2 = max(0.6 * window.var(), d2.min() / np.log(100.0), 2e-6)
            w = np.exp(-d2 / two_sigma2)
            for (rr, cc), weight in zip(others, w / w.sum(), strict=True):
                matrix[i, rr * width + cc] -= weight
    return np.linalg.solve(matrix, rhs).reshape(height, width, 2)


def test_agrees_with_a_dense_solve_on_a_5x5_image():
    rng = np.random.default_rng(3)
    lightness = rng.uniform(-1, 1, (5, 5))
    lightness[:, 3:] += 0.5  # an edge as well as noise
    lightness = np.clip(lightness, -1, 1)
    hint_ab, hint_mask = _hint_maps((5, 5), {(0, 0): [0.4, 0.1], (4, 4): [-0.3, 0.2],
                                             (2, 1): [0.0, -0.5]})
    expected = _dense_reference((lightness + 1) / 2, hint_ab, hint_mask)
    got = optimization.solve_ab(lightness, hint_ab, hint_mask)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert np.ptp(got[..., 0]) > 0.1  # not a trivial solution


def test_solve_shape_keeps_the_aspect_ratio_and_never_upsamples():
    assert optimization.solve_shape(1000, 750, 256) == (256, 192)
    assert optimization.solve_shape(100, 60, 256) == (100, 60)
    assert optimization.solve_shape(1000, 750, 0) == (1000, 750)
    with pytest.raises(ValueError, match="--render_size"):
        optimization.solve_shape(10, 10, -1)
    assert optimization.solve_shape(3024, 4032, 1182) == (886, 1182)
    with pytest.raises(ValueError, match=r"--render_size=0: a 4032x3024 solve grid is too "
                                         r"large .* give --render_size=1182 or less"):
        optimization.solve_shape(3024, 4032, 0)


def _two_tone_photo(height: int, width: int) -> np.ndarray:
    """uint8 gray photo: dark left, light right, with some texture."""
    texture = (skimage.data.camera()[:height, :width].astype(np.float64) - 128) * 0.08
    base = np.where(np.arange(width)[None, :] < width // 2, 60.0, 190.0) + texture
    gray = np.clip(base, 0, 255).astype(np.uint8)
    return np.repeat(gray[..., None], 3, axis=-1)


def _ab_at(rgb: np.ndarray, row: int, col: int) -> np.ndarray:
    return rgb2lab(rgb[row - 2:row + 3, col - 2:col + 3]).reshape(-1, 3)[:, 1:].mean(0)


def test_a_photo_gets_the_hints_colours_and_keeps_its_lightness():
    photo = _two_tone_photo(120, 160)
    parsed = hints.parse_hints(json.dumps({"points": [
        {"x": 30, "y": 60, "color": "#2f6fb0", "radius": 2},
        {"x": 130, "y": 60, "color": "#e0a060", "radius": 2}]}))
    out = optimization.colorize_codes(photo.astype(np.uint16) * 257, parsed, solve_size=64)
    assert out.shape == photo.shape and out.dtype == np.uint8
    lab_out, lab_in = rgb2lab(out), rgb2lab(photo)
    assert np.abs(lab_out[..., 0] - lab_in[..., 0]).max() < 1.5
    for (x, y), hex_color in (((30, 60), "#2f6fb0"), ((130, 60), "#e0a060")):
        want = rgb2lab(np.array([[[int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]]],
                                np.uint8))[0, 0, 1:]
        # Lab units; the hint's chroma is kept up to the gamut clip at this lightness.
        assert np.linalg.norm(_ab_at(out, y, x) - want) < 12, (hex_color, _ab_at(out, y, x))
    # Across the edge, the far side has the other point's hue: blue is b* < 0, orange b* > 0.
    assert _ab_at(out, 100, 60)[1] < -10 and _ab_at(out, 20, 100)[1] > 10


def test_hints_are_in_the_frame_of_the_exif_rotated_photo(tmp_path):
    """A JPEG stored 60 wide x 40 high with orientation 6 shows 40 wide x 60 high; hints
    use the shown frame (y = 55 is outside the stored frame), where the light band stored
    at the bottom is the left edge (x < 10)."""
    stored = np.full((40, 60, 3), 110, np.uint8)
    stored[30:] = 210
    path = str(tmp_path / "rotated.jpg")
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(path, quality=95, exif=exif)
    codes = user_images.read_codes(path)
    assert codes.shape == (60, 40, 3)
    parsed = hints.parse_hints(json.dumps({"points": [
        {"x": 4, "y": 55, "color": "#2f6fb0", "radius": 1},
        {"x": 30, "y": 20, "color": "#e0a060", "radius": 1}]}), "rotated.json")
    with pytest.raises(ValueError, match="rotated.json: points.0.: y=55 is outside the "
                                         "60x40 image"):
        parsed.check_inside(60, 40)
    out = optimization.colorize_codes(codes, parsed, solve_size=0)
    assert out.shape == (60, 40, 3)
    for row in (5, 30, 55):  # the band follows the blue point, the rest the orange one
        assert _ab_at(out, row, 4)[1] < -15 and _ab_at(out, row, 30)[1] > 15, row
