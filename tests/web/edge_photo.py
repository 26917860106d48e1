"""A photo with a strong vertical edge (two flat gray regions) and two hint colours whose
L* equals the gray each is placed on, so the photo's L with a hint's ab is the hint
colour itself (in gamut): the editor tests' analytic case for Levin et al. 2004."""

from __future__ import annotations

import io

import numpy as np
import skimage.color
from PIL import Image

DARK, LIGHT = 90, 190  # the two flat gray levels (sRGB codes)
# reddish on the dark side, bluish on the light side, 75 apart in ab
RED_AB, BLUE_AB = (35.0, 25.0), (-15.0, -30.0)
# 8-bit rounding of the hint and of the output moves ab by under 1.5 and the leakage
# through a step edge (a neighbour across it weighs ~exp(-7.5)) by far less; 2.3 is a
# just-noticeable difference and the two hints are 75 apart.
TOLERANCE_AB = 4.0


def gray_l(code: int) -> float:
    return float(skimage.color.rgb2lab(np.full((1, 1, 3), code / 255.0))[0, 0, 0])


def lab_hex(lightness: float, ab) -> str:
    rgb = skimage.color.lab2rgb(np.array([[[lightness, *ab]]]))[0, 0]
    return "#" + "".join(f"{int(round(v * 255)):02x}" for v in rgb)


RED, BLUE = lab_hex(gray_l(DARK), RED_AB), lab_hex(gray_l(LIGHT), BLUE_AB)


def photo(width: int, height: int, edge: int) -> np.ndarray:
    """``DARK`` left of column ``edge``, ``LIGHT`` from it on."""
    pixels = np.full((height, width, 3), DARK, np.uint8)
    pixels[:, edge:] = LIGHT
    return pixels


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def ab_of_png(data: bytes) -> np.ndarray:
    """CIELAB a*, b* ``[H, W, 2]`` of a PNG (skimage)."""
    rgb = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), np.float64) / 255.0
    return skimage.color.rgb2lab(rgb)[..., 1:]


def ab_of_hex(colour: str) -> np.ndarray:
    rgb = np.array([[[int(colour[i:i + 2], 16) for i in (1, 3, 5)]]], np.float64) / 255.0
    return skimage.color.rgb2lab(rgb)[0, 0, 1:]


def check_regions(ab: np.ndarray, edge: int, left: str, right: str, margin: int = 0) -> None:
    """Each side of the edge has its point's colour everywhere but within ``margin``
    columns of the edge, so the colour changes to the other point's within ``2 * margin``
    columns (AssertionError naming the side). ``margin`` 0: the photo was solved at its
    own size; 2 where the ab was solved on a smaller grid and upsampled (bilinear
    upsampling blends the two colours within one grid pixel, 1.25 photo pixels at 320 px
    on the default 256 grid, of the edge)."""
    for name, columns, colour in (("left", slice(0, edge - margin), left),
                                  ("right", slice(edge + margin, None), right)):
        distance = np.linalg.norm(ab[:, columns] - ab_of_hex(colour), axis=-1)
        assert distance.max() < TOLERANCE_AB, (name, float(distance.max()))
