"""tools/before_after.py: panels scaled to one height and joined left to right."""

from __future__ import annotations

import importlib.util
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("before_after", ROOT / "tools" / "before_after.py")
before_after = importlib.util.module_from_spec(_spec)
sys.modules["before_after"] = before_after
_spec.loader.exec_module(before_after)


def test_panels_keep_their_aspect_and_colour_in_order():
    red = np.full([50, 100, 3], (200, 10, 10), np.uint8)     # 2:1
    green = np.full([100, 100, 3], (10, 200, 10), np.uint8)  # 1:1
    picture = np.asarray(before_after.side_by_side((red, green), height=40, gap=4))
    assert picture.shape == (40, 80 + 4 + 40, 3)
    np.testing.assert_array_equal(picture[20, 40], (200, 10, 10))
    np.testing.assert_array_equal(picture[20, 82], (255, 255, 255))   # the gap
    np.testing.assert_array_equal(picture[20, 100], (10, 200, 10))


def test_floats_in_unit_range_become_rounded_codes():
    got = before_after.to_uint8(np.array([[0.0, 0.5, 1.0, 1.2, -0.1]], np.float32))
    np.testing.assert_array_equal(got, [[0, 128, 255, 255, 0]])
