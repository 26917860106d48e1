"""What a hint covers at the photo's own resolution (inference/hints.py ``rasterize``),
against a brute-force reading of the module docstring over generated shapes
(hypothesis): a point covers the pixels whose centres lie within ``radius`` (boundary
included); a stroke those within ``width / 2`` of its polyline; a one-point stroke is a
dot (a pixel the polyline crosses is kept even beyond ``width / 2``). And ``check_inside``
names a stroke that is too wide."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from colorization_tf.inference import hints

H, W = 24, 32
YS, XS = np.mgrid[0:H, 0:W].astype(np.float64)


def _segment_distance(ax, ay, bx, by) -> np.ndarray:
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    t = np.zeros_like(XS) if length == 0 else np.clip(((XS - ax) * dx + (YS - ay) * dy)
                                                      / length, 0, 1)
    return np.hypot(XS - ax - t * dx, YS - ay - t * dy)


def _mask(parsed: hints.Hints) -> np.ndarray:
    return hints.rasterize(parsed, (H, W))[1][..., 0] > 0


@given(x=st.integers(0, W - 1), y=st.integers(0, H - 1), radius=st.integers(0, 6))
def test_a_point_covers_the_pixels_within_its_radius_boundary_included(x, y, radius):
    parsed = hints.Hints(points=(hints.Point(x, y, "#ff0000", radius),))
    want = np.hypot(XS - x, YS - y) <= radius
    np.testing.assert_array_equal(_mask(parsed), want)


vertex = st.tuples(st.integers(0, W - 1), st.integers(0, H - 1))


@given(points=st.lists(vertex, min_size=1, max_size=4), width=st.integers(1, 7))
def test_a_stroke_covers_the_pixels_within_half_its_width(points, width):
    stroke = hints.Stroke(points=tuple((float(x), float(y)) for x, y in points),
                          color="#00ff00", width=float(width))
    pairs = list(zip(points[:-1], points[1:], strict=True)) or [(points[0], points[0])]
    distance = np.min([_segment_distance(*a, *b) for a, b in pairs], axis=0)
    # every pixel the polyline crosses is kept too (its centre is within sqrt(2)/2)
    inside, outside = distance <= width / 2 - 1e-6, distance > width / 2 + 0.7072
    got = _mask(hints.Hints(strokes=(stroke,)))
    assert got[inside].all() and not got[outside].any()


def test_a_one_point_stroke_is_a_dot():
    dot = hints.Hints(strokes=(hints.Stroke(points=((10.0, 5.0),), color="#0000ff",
                                            width=3.0),))
    np.testing.assert_array_equal(_mask(dot), np.hypot(XS - 10, YS - 5) <= 1.5)


@pytest.mark.parametrize("parsed, message", [
    (hints.Hints(strokes=(hints.Stroke(((1.0, 1.0), (2.0, 2.0)), "#000000", 65.0),),
                 source="h.json"), "h.json: strokes[0]: width=65 is larger than the 32x24 image"),
    (hints.Hints(points=(hints.Point(1.0, 1.0, "#000000", 33.0),), source="h.json"),
     "h.json: points[0]: radius=33 is larger than the 32x24 image"),
    (hints.Hints(strokes=(hints.Stroke(((1.0, 1.0), (40.0, 2.0)), "#000000", 1.0),),
                 source="h.json"),
     "h.json: strokes[0].points[1]: x=40 is outside the 32x24 image"),
])
def test_check_inside_names_the_entry(parsed, message):
    with pytest.raises(ValueError) as error:
        parsed.check_inside(W, H)
    assert str(error.value) == message
    hints.Hints(strokes=(hints.Stroke(((0.0, 0.0), (31.0, 23.0)), "#000000", 64.0),),
                points=(hints.Point(31.0, 23.0, "#000000", 32.0),)).check_inside(W, H)


def test_a_stroke_vertex_that_is_not_a_number_is_named():
    with pytest.raises(ValueError) as error:
        hints.parse_hints('{"strokes": [{"points": [[1, 2], ["a", 2]], "color": "#00ff00"}]}',
                          source="h.json")
    assert str(error.value) == "h.json: strokes[0].points[1]: x must be a number, got 'a'"


def test_a_stroke_covers_the_pixels_exactly_half_its_width_away():
    """The boundary is included, as for points: centres at distance exactly width / 2."""
    stroke = hints.Stroke(points=((2.0, 5.0), (20.0, 5.0)), color="#00ff00", width=4.0)
    mask = _mask(hints.Hints(strokes=(stroke,)))
    assert mask[7, 10] and mask[3, 10] and mask[5, 0]  # 2 below, 2 above, 2 before the start
    assert not mask[8, 10] and not mask[5, 23]


@pytest.mark.parametrize("photo, target", [((60, 240), (60, 240)), ((30, 120), (60, 240)),
                                           ((120, 480), (60, 240))])
def test_a_thin_stroke_marks_a_pixel_in_every_column_and_row_it_crosses(photo, target):
    """A stroke thinner than a pixel stays unbroken at any target size: its samples are at
    most half a target pixel apart, and the pixel nearest each is marked."""
    height, width = photo
    stroke = hints.Stroke(points=((0.0, 0.0), (width - 1.0, height - 1.0)), color="#00ff00",
                          width=0.1)
    mask = hints.rasterize(hints.Hints(strokes=(stroke,)), photo, target)[1][..., 0] > 0
    # every column and row between the first and last (whose centres may lie beyond the
    # stroke's ends when the target is finer than the photo)
    assert mask.any(axis=0)[1:-1].all() and mask.any(axis=1)[1:-1].all()
    assert mask.sum() < 2 * max(target)  # a line, not a band


@pytest.mark.parametrize("target", [(H, W), (H // 2, W // 2), (2 * H, 2 * W)])
def test_a_stroke_that_leaves_the_photo_is_cut_at_its_edges(target):
    """``rasterize`` itself does not refuse a polyline that leaves the photo (the parsers'
    ``check_inside`` does): it marks the pixels inside near the line, and nothing else."""
    stroke = hints.Stroke(points=((-6.0, -4.0), (W + 5.0, H + 3.0)), color="#00ff00",
                          width=0.1)
    mask = hints.rasterize(hints.Hints(strokes=(stroke,)), (H, W), target)[1][..., 0] > 0
    assert mask.shape == target and mask.any()
    rows, cols = np.nonzero(mask)
    sy, sx = H / target[0], W / target[1]
    # photo coordinates of the marked target pixels' centres, and their distance to the line
    px, py = (cols + 0.5) * sx - 0.5, (rows + 0.5) * sy - 0.5
    (ax, ay), (bx, by) = stroke.points
    distance = np.abs((bx - ax) * (py - ay) - (by - ay) * (px - ax)) / np.hypot(bx - ax, by - ay)
    assert distance.max() <= max(sx, sy)  # within a target pixel of the line
    assert mask.any(axis=0)[1:-1].all()
