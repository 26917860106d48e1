"""Hints: the file format's checks (one line naming the file and the entry), colours
against scikit-image, and rasterisation of points and strokes at the photo's resolution
and at other resolutions, checked against the rule stated in the module."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from skimage.color import rgb2lab

from colorization_tf.inference import hints


def _parse(payload) -> hints.Hints:
    return hints.parse_hints(json.dumps(payload), "hints.json")


def test_a_good_file_parses_with_defaults(tmp_path):
    path = tmp_path / "h.json"
    path.write_text(json.dumps({
        "points": [{"x": 412, "y": 230, "color": "#3A6EA5", "radius": 2}, {"x": 1.5, "y": 0,
                                                                           "color": "#000000"}],
        "strokes": [{"points": [[1, 2], [3, 4]], "color": "#ffffff", "width": 4},
                    {"points": [[5, 6]], "color": "#102030"}]}))
    parsed = hints.load_hints(str(path))
    assert parsed.points == (hints.Point(412.0, 230.0, "#3a6ea5", 2.0),
                             hints.Point(1.5, 0.0, "#000000", 0.0))
    assert parsed.strokes == (hints.Stroke(((1.0, 2.0), (3.0, 4.0)), "#ffffff", 4.0),
                              hints.Stroke(((5.0, 6.0),), "#102030", 1.0))
    assert parsed.source == str(path) and len(parsed) == 4
    assert len(hints.parse_hints("{}")) == 0


@pytest.mark.parametrize("text, message", [
    ("{\"points\": [", "hints.json: not valid JSON"),
    (b"\x89PNG\r\n\x1a\n\xff\xd8", "hints.json: not valid JSON"),
    ("[1, 2]", "hints.json: expected a JSON object"),
    ('{"dots": []}', "hints.json: unknown key 'dots' (expected points, strokes)"),
    ('{"points": {}}', 'hints.json: "points" must be a list'),
    ('{"points": [{"x": 1, "y": 2, "color": "#ffffff"}, {"x": 1, "y": 2, "colour": "#fff"}]}',
     "hints.json: points[1]: unknown key 'colour' (expected x, y, color, radius)"),
    ('{"points": [{"x": 1, "color": "#ffffff"}]}', "hints.json: points[0]: missing 'y'"),
    ('{"points": [{"x": 1, "y": 2, "color": "#fff"}]}',
     "hints.json: points[0]: color '#fff' is not an sRGB hex colour '#rrggbb'"),
    ('{"points": [{"x": 1, "y": 2, "color": "red"}]}', "points[0]: color 'red' is not"),
    ('{"points": [{"x": "1", "y": 2, "color": "#ffffff"}]}',
     "hints.json: points[0]: x must be a number, got '1'"),
    ('{"points": [{"x": 1, "y": true, "color": "#ffffff"}]}', "points[0]: y must be a number"),
    ('{"points": [{"x": 1, "y": 2, "color": "#ffffff", "radius": -1}]}',
     "hints.json: points[0]: radius=-1 must not be negative"),
    ('{"strokes": [{"points": [], "color": "#ffffff"}]}',
     "hints.json: strokes[0]: points must be a non-empty list"),
    ('{"strokes": [{"points": [[1, 2], [3]], "color": "#ffffff"}]}',
     "hints.json: strokes[0].points[1]: expected [x, y], got [3]"),
    ('{"strokes": [{"points": [[1, 2]], "color": "#ffffff", "size": 3}]}',
     "hints.json: strokes[0]: unknown key 'size'"),
    ('{"strokes": [{"points": [[1, "2"]], "color": "#ffffff"}]}',
     "hints.json: strokes[0].points[0]: y must be a number, got '2'"),
    ('{"strokes": [{"points": [[1, 2]], "color": "#ffffff", "width": -2}]}',
     "hints.json: strokes[0]: width=-2 must not be negative"),
    ('{"strokes": [{"points": [[1, 2]], "color": "#ffffff", "width": "4"}]}',
     "hints.json: strokes[0]: width must be a number, got '4'"),
    ('{"strokes": {}}', 'hints.json: "strokes" must be a list, got dict'),
    ('{"strokes": ["oops"]}', "hints.json: strokes[0]: expected an object with points"),
    ('{"strokes": [{"points": 5, "color": "#ffffff"}]}',
     "hints.json: strokes[0]: points must be a non-empty list"),
    ('{"strokes": [{"color": "#ffffff"}]}', "hints.json: strokes[0]: missing 'points'"),
])
def test_bad_files_are_one_line_errors_naming_file_and_entry(text, message):
    with pytest.raises(ValueError) as caught:
        hints.parse_hints(text, "hints.json")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_more_than_ten_thousand_points_are_refused():
    point = {"x": 0, "y": 0, "color": "#ffffff"}
    _parse({"points": [point] * 9_998, "strokes": [{"points": [[0, 0]] * 2,
                                                     "color": "#ffffff"}]})
    with pytest.raises(ValueError, match=r"hints.json: 10001 points .* at most 10000"):
        _parse({"points": [point] * 9_999, "strokes": [{"points": [[0, 0]] * 2,
                                                         "color": "#ffffff"}]})


def test_malformed_strokes_are_not_counted_as_points():
    """The point count reads only well-formed strokes: a bad stroke beside the maximum of
    points is named as itself, not miscounted as a point too many."""
    points = [{"x": 0, "y": 0, "color": "#ffffff"}] * hints.MAX_POINTS
    with pytest.raises(ValueError, match=r"^hints.json: strokes\[0\]: expected an object"):
        _parse({"points": points, "strokes": ["oops"]})
    with pytest.raises(ValueError, match=r"^hints.json: strokes\[0\]: points must be"):
        _parse({"points": points, "strokes": [{"points": {"x": 1}, "color": "#ffffff"}]})


def test_errors_name_hints_when_no_source_is_given():
    with pytest.raises(ValueError, match=r"^hints: not valid JSON"):
        hints.parse_hints("{")


def test_a_file_of_exactly_max_bytes_is_read():
    text = '{"points": []' + " " * (hints.MAX_BYTES - len('{"points": []}')) + "}"
    assert len(text) == hints.MAX_BYTES
    assert len(hints.parse_hints(text)) == 0
    with pytest.raises(ValueError, match="larger than"):
        hints.parse_hints(text + " ")


def test_hex_to_ab_gives_float32_pairs_also_for_no_colours():
    empty = hints.hex_to_ab([])
    assert empty.shape == (0, 2) and empty.dtype == np.float32
    assert hints.hex_to_ab(["#3a6ea5"]).dtype == np.float32


def test_a_huge_file_is_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.json"
    path.write_text('{"points": []' + " " * hints.MAX_BYTES + "}")
    with pytest.raises(ValueError, match=f"huge.json: larger than {hints.MAX_BYTES} bytes"):
        hints.load_hints(str(path))


def test_coordinates_outside_the_photo_name_the_entry():
    parsed = _parse({"points": [{"x": 0, "y": 0, "color": "#ffffff"}] * 3
                     + [{"x": 5000, "y": 10, "color": "#ffffff"}]})
    with pytest.raises(ValueError) as caught:
        parsed.check_inside(3024, 4032)
    assert str(caught.value) == "hints.json: points[3]: x=5000 is outside the 3024x4032 image"
    parsed.check_inside(5001, 11)  # the far corner pixel is inside
    with pytest.raises(ValueError, match=r"points\[3\]: y=10 is outside the 5001x10 image"):
        parsed.check_inside(5001, 10)
    stroke = _parse({"strokes": [{"points": [[0, 0], [2.5, -0.5]], "color": "#ffffff"}]})
    with pytest.raises(ValueError, match=r"strokes\[0\].points\[1\]: y=-0.5 is outside"):
        stroke.check_inside(10, 10)


def test_hint_colours_match_scikit_image():
    colors = ["#3a6ea5", "#ff0000", "#00ff00", "#0000ff", "#ffffff", "#000000", "#d2a03c"]
    rgb = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in colors]) / 255.0
    reference = (rgb2lab(rgb[None])[0, :, 1:] + 0.5) / 127.5
    np.testing.assert_allclose(hints.hex_to_ab(colors), reference, atol=2e-3)


def test_points_cover_their_disc_with_their_colour():
    parsed = _parse({"points": [{"x": 5, "y": 4, "color": "#ff0000", "radius": 2},
                                {"x": 14, "y": 9, "color": "#0000ff"}]})
    hint_ab, hint_mask = hints.rasterize(parsed, (12, 20))
    assert hint_ab.shape == (12, 20, 2) and hint_mask.shape == (12, 20, 1)
    assert hint_ab.dtype == hint_mask.dtype == np.float32
    yy, xx = np.mgrid[:12, :20]
    disc = (xx - 5) ** 2 + (yy - 4) ** 2 <= 4
    assert disc.sum() == 13
    expected = disc.copy()
    expected[9, 14] = True
    np.testing.assert_array_equal(hint_mask[..., 0], expected.astype(np.float32))
    red, blue = hints.hex_to_ab(["#ff0000", "#0000ff"])
    np.testing.assert_allclose(hint_ab[disc], np.tile(red, (13, 1)))
    np.testing.assert_allclose(hint_ab[9, 14], blue)
    assert not hint_ab[~expected].any()


def test_strokes_cover_pixels_within_half_their_width_and_points_draw_last():
    parsed = _parse({
        "strokes": [{"points": [[2, 3], [17, 3]], "color": "#00ff00", "width": 1},
                    {"points": [[2, 8], [17, 8]], "color": "#00ff00", "width": 5}],
        "points": [{"x": 10, "y": 3, "color": "#ff0000"}]})
    hint_ab, hint_mask = hints.rasterize(parsed, (12, 20))
    yy, xx = np.mgrid[:12, :20]
    beyond = np.maximum(np.maximum(2 - xx, xx - 17), 0)  # distance along x past the ends
    thin = beyond ** 2 + (yy - 3) ** 2 <= 0.5 ** 2
    wide = beyond ** 2 + (yy - 8) ** 2 <= 2.5 ** 2  # round caps, 2.5 either side
    expected = thin | wide
    assert thin.sum() == 16 and wide[:, 10].sum() == 5
    np.testing.assert_array_equal(hint_mask[..., 0].astype(bool), expected)
    red, green = hints.hex_to_ab(["#ff0000", "#00ff00"])
    np.testing.assert_allclose(hint_ab[3, 10], red)
    np.testing.assert_allclose(hint_ab[3, 9], green)


def test_a_diagonal_stroke_leaves_no_gap_at_a_lower_resolution():
    parsed = _parse({"strokes": [{"points": [[0, 0], [399, 299]], "color": "#00ff00"}]})
    _, hint_mask = hints.rasterize(parsed, (300, 400), (30, 40))
    mask = hint_mask[..., 0].astype(bool)
    rows, cols = np.nonzero(mask)
    assert mask[0, 0] and mask[29, 39]
    for c in range(40):  # every column holds a pixel of the line, 8-connected to the next
        assert mask[:, c].any()
    order = np.argsort(cols, kind="stable")
    assert np.all(np.abs(np.diff(rows[order])) <= 1)


def test_scaling_follows_the_stated_rule():
    """At a lower resolution a target pixel is hinted when its centre, mapped into the
    photo's frame, lies within the radius, or when it holds the point's own position."""
    photo, target = (64, 96), (16, 24)
    parsed = _parse({"points": [{"x": 37, "y": 21, "color": "#3a6ea5", "radius": 8},
                                {"x": 80, "y": 50, "color": "#3a6ea5", "radius": 0.5}]})
    _, hint_mask = hints.rasterize(parsed, photo, target)
    scale = 4.0
    yy, xx = np.mgrid[:16, :24]
    cy, cx = (yy + 0.5) * scale - 0.5, (xx + 0.5) * scale - 0.5
    expected = (cx - 37) ** 2 + (cy - 21) ** 2 <= 64
    expected[int(round((50 + 0.5) / scale - 0.5)), int(round((80 + 0.5) / scale - 0.5))] = True
    assert 8 <= expected.sum() <= 20  # about pi * 2^2 target pixels + the small dot
    np.testing.assert_array_equal(hint_mask[..., 0].astype(bool), expected)
    # And upward: twice the photo's size doubles the disc's radius.
    _, big = hints.rasterize(parsed, photo, (128, 192))
    assert abs(big[..., 0].sum() - (math.pi * 16 ** 2 + math.pi * 1 ** 2)) < 40


def test_a_hints_file_that_is_not_utf8_is_one_line_naming_it(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"points": [], "note": "caf\u00e9"}'.encode("latin-1"))
    with pytest.raises(ValueError) as error:
        hints.load_hints(str(path))
    assert str(error.value).startswith(f"{path}: not valid JSON")
    assert "\n" not in str(error.value)


def test_load_hints_reads_no_more_than_it_needs_to_refuse_a_large_file(tmp_path, monkeypatch):
    """A file of any size costs at most MAX_BYTES + 1 bytes of memory."""
    path = tmp_path / "big.json"
    path.write_bytes(b" " * (3 * hints.MAX_BYTES))
    sizes = []
    real_open = open

    class Recording:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def read(self, size=-1):
            sizes.append(size)
            return self.handle.read(size)

    monkeypatch.setattr(hints, "open", lambda *args, **kwargs: Recording(
        real_open(*args, **kwargs)), raising=False)
    with pytest.raises(ValueError, match="larger than"):
        hints.load_hints(str(path))
    assert sizes and all(size is not None and 0 <= size <= hints.MAX_BYTES + 1
                         for size in sizes), sizes
