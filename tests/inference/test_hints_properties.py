"""The hints file parser (inference/hints.py) over generated input (hypothesis): any JSON
value, any text or bytes, and valid files with one entry spoiled. It never raises
anything but a one-line ``ValueError`` that starts with the file's name, names the
spoiled entry, and valid files parse to exactly what they say."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from colorization_tf.inference import hints

SOURCE = "my_hints.json"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["points", "strokes", "x", "y", "color", "radius",
                                       "width", "other"]) | st.text(max_size=4),
                      children, max_size=5),
    max_leaves=20)
coordinates = st.floats(0, 4000, allow_nan=False) | st.integers(0, 4000)
colors = st.from_regex(r"#[0-9a-fA-F]{6}", fullmatch=True)
points = st.fixed_dictionaries({"x": coordinates, "y": coordinates, "color": colors},
                               optional={"radius": st.floats(0, 50, allow_nan=False)})
strokes = st.fixed_dictionaries(
    {"points": st.lists(st.lists(coordinates, min_size=2, max_size=2), min_size=1, max_size=5),
     "color": colors}, optional={"width": st.floats(0, 50, allow_nan=False)})
files = st.fixed_dictionaries({}, optional={"points": st.lists(points, max_size=5),
                                            "strokes": st.lists(strokes, max_size=3)})
spoilers = st.sampled_from([
    ("x", "12"), ("x", None), ("x", True), ("x", float("inf")), ("y", [1]), ("x", 10 ** 400),
    ("color", "#12345"), ("color", "red"), ("color", 0x123456), ("radius", -1),
    ("radius", "2"), ("unknown", 1), ("drop", "color"), ("drop", "x")])


def _one_line_error(text, source=SOURCE) -> str | None:
    """The parser's message for ``text`` (None if it parsed); fails on any other exception
    or a message that is not one line starting with the source."""
    try:
        hints.parse_hints(text, source=source)
    except ValueError as error:
        message = str(error)
        assert message.startswith(f"{source}: ") and "\n" not in message, message
        return message
    return None


@given(value=json_values)
def test_any_json_value_parses_or_gives_a_one_line_error(value):
    _one_line_error(json.dumps(value, allow_nan=True))


@given(text=st.text(max_size=60) | st.binary(max_size=60))
def test_any_text_or_bytes_parse_or_give_a_one_line_error(text):
    _one_line_error(text)


@pytest.mark.parametrize("text", [
    "[" * 100_000 + "]" * 100_000,  # nesting deeper than the JSON decoder recurses
    '{"points": [{"x": 1' + "0" * 400 + ', "y": 1, "color": "#000000"}]}',  # over float range
    '{"points": [{"x": NaN, "y": 1, "color": "#000000"}]}',
    '{"points": [{"x": -Infinity, "y": 1, "color": "#000000"}]}',
    b"\xff\xfe\x00garbage",
])
def test_pathological_files_give_a_one_line_error(text):
    assert _one_line_error(text) is not None


@given(data=files)
def test_valid_files_parse_to_what_they_say(data):
    parsed = hints.parse_hints(json.dumps(data), source=SOURCE)
    assert parsed.source == SOURCE
    assert len(parsed) == len(data.get("points", [])) + len(data.get("strokes", []))
    for point, entry in zip(parsed.points, data.get("points", []), strict=True):
        assert (point.x, point.y) == (entry["x"], entry["y"])
        assert point.color == entry["color"].lower()
        assert point.radius == entry.get("radius", 0.0)
    for stroke, entry in zip(parsed.strokes, data.get("strokes", []), strict=True):
        assert [list(vertex) for vertex in stroke.points] == entry["points"]
        assert stroke.color == entry["color"].lower()
        assert stroke.width == entry.get("width", 1.0)


@given(data=st.fixed_dictionaries({"points": st.lists(points, min_size=1, max_size=5),
                                   "strokes": st.lists(strokes, min_size=1, max_size=3)}),
       spoil=spoilers, which=st.integers(0, 10), in_stroke=st.booleans())
def test_a_spoiled_entry_is_named(data, spoil, which, in_stroke):
    key, value = spoil
    if in_stroke and key in ("x", "y", "radius"):
        key = "width" if key == "radius" else key
    kind = "strokes" if in_stroke else "points"
    index = which % len(data[kind])
    entry = data[kind][index]
    if in_stroke and key in ("x", "y"):
        vertex = which % len(entry["points"])
        entry["points"][vertex][0 if key == "x" else 1] = value
        where = f"{kind}[{index}].points[{vertex}]"
    elif key == "drop":
        if in_stroke and value == "x":
            value = "points"
        del entry[value]
        where = f"{kind}[{index}]"
    else:
        entry[key] = value
        where = f"{kind}[{index}]"
    text = json.dumps(data)
    message = _one_line_error(text)
    assert message is not None, (where, key, value)
    assert message.startswith(f"{SOURCE}: {where}"), (message, where)


def test_messages_are_exact():
    cases = {
        '{"points": 3}': f'{SOURCE}: "points" must be a list, got int',
        '[]': f'{SOURCE}: expected a JSON object with "points" and/or "strokes", got list',
        '{"dots": []}': f"{SOURCE}: unknown key 'dots' (expected points, strokes)",
        '{"points": [{"x": 1, "y": 2}]}': f"{SOURCE}: points[0]: missing 'color'",
        '{"points": [{"x": 1, "y": 2, "color": "#00ff00", "radius": -2}]}':
            f"{SOURCE}: points[0]: radius=-2 must not be negative",
        '{"strokes": [{"points": [], "color": "#00ff00"}]}':
            f"{SOURCE}: strokes[0]: points must be a non-empty list of [x, y] pairs",
        '{"strokes": [{"points": [[1, 2, 3]], "color": "#00ff00"}]}':
            f"{SOURCE}: strokes[0].points[0]: expected [x, y], got [1, 2, 3]",
        '{"points": [{"x": "1", "y": 2, "color": "#00ff00"}]}':
            f"{SOURCE}: points[0]: x must be a number, got '1'",
        '{"points": [{"x": 1, "y": 2, "color": "green"}]}':
            f"{SOURCE}: points[0]: color 'green' is not an sRGB hex colour '#rrggbb'",
        '{"points": ["a"]}': f"{SOURCE}: points[0]: expected an object with x, y, color, "
                             "radius, got str",
    }
    for text, message in cases.items():
        assert _one_line_error(text) == message, text
    too_many = json.dumps({"points": [{"x": 0, "y": 0, "color": "#000000"}]
                           * (hints.MAX_POINTS + 1)})
    assert _one_line_error(too_many) == (f"{SOURCE}: {hints.MAX_POINTS + 1} points (points "
                                         f"plus stroke vertices); at most {hints.MAX_POINTS} "
                                         "are allowed")
    assert _one_line_error(" " * (hints.MAX_BYTES + 1)) == (
        f"{SOURCE}: larger than {hints.MAX_BYTES} bytes; a hints file holds at most "
        f"{hints.MAX_POINTS} points")
