"""User colour hints: the hints file, its checks, and the one function that turns hints
into the two maps every hint-reading method reads (Levin et al. 2004's optimization and
Zhang et al. 2017's learned hints).

The file (JSON), in the photo's own pixel coordinates after EXIF orientation (the image
as viewers show it; x to the right, y down, pixel centres at integers)::

    {"points":  [{"x": 412, "y": 230, "color": "#3a6ea5", "radius": 2}],
     "strokes": [{"points": [[10, 20], [60, 25], [90, 70]], "color": "#d2a03c",
                  "width": 4}]}

``radius`` (default 0: one pixel) and ``width`` (default 1) are in the photo's pixels;
both keys of the top level are optional. A point colours the pixels whose centres lie
within ``radius`` of it; a stroke the pixels within ``width / 2`` of its polyline (a
one-point stroke is a dot). At a smaller resolution the shapes shrink with the photo but
never vanish: the pixel under a point, and every pixel a stroke crosses, is always kept.
Strokes are drawn first, then points, each in file order; a later hint covers an earlier
one where they overlap.

:func:`rasterize` (the one rasteriser of a user's hints; the command line, the web
editor, ``Predictor.colorize_rgb`` and the optimization all call it, and an exported
model's ``colorize_with_hints`` takes its maps) gives, at any resolution, ``hint_ab`` (float32 ``[H,W,2]`` in the
package's scaled ab, ``a' = (a + 0.5) / 127.5``, zero where there is no hint) and
``hint_mask`` (float32 ``[H,W,1]``, 1 on hinted pixels, else 0).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re

import numpy as np
import tensorflow as tf

from colorization_tf import color

MAX_POINTS = 10_000  # points plus stroke vertices in one file
MAX_BYTES = 4_000_000  # 10,000 points take under 1 MB of JSON
_HEX = re.compile(r"#[0-9a-fA-F]{6}")
_POINT_KEYS = ("x", "y", "color", "radius")
_STROKE_KEYS = ("points", "color", "width")


@dataclasses.dataclass(frozen=True)
class Point:
    """A colour dot at ``(x, y)`` (photo pixels) covering ``radius`` pixels around it."""

    x: float
    y: float
    color: str
    radius: float = 0.0


@dataclasses.dataclass(frozen=True)
class Stroke:
    """A polyline through ``points`` (``(x, y)`` pairs, photo pixels), ``width`` wide."""

    points: tuple[tuple[float, float], ...]
    color: str
    width: float = 1.0


@dataclasses.dataclass(frozen=True)
class Hints:
    """Every hint of one photo; ``source`` names the file in error messages."""

    points: tuple[Point, ...] = ()
    strokes: tuple[Stroke, ...] = ()
    source: str = "hints"

    def __len__(self) -> int:
        return len(self.points) + len(self.strokes)

    def check_inside(self, width: int, height: int) -> None:
        """The one check of hints against their photo (command line, web editor, Python
        API): raises a one-line ``ValueError`` naming the first entry that does not fit a
        ``width`` x ``height`` photo: coordinates outside ``[0, width - 1] x [0, height -
        1]``, a radius larger than the photo's long side or a stroke wider than twice it
        (a larger shape colours nothing more but costs more to draw)."""
        long_side = max(width, height)

        def check(entry: str, x: float, y: float) -> None:
            for name, value, limit in (("x", x, width), ("y", y, height)):
                if not 0 <= value <= limit - 1:
                    raise ValueError(f"{self.source}: {entry}: {name}={_number(value)} is "
                                     f"outside the {width}x{height} image")

        def check_size(entry: str, name: str, value: float, limit: float) -> None:
            if value > limit:
                raise ValueError(f"{self.source}: {entry}: {name}={value:g} is larger than "
                                 f"the {width}x{height} image")

        for i, point in enumerate(self.points):
            check(f"points[{i}]", point.x, point.y)
            check_size(f"points[{i}]", "radius", point.radius, long_side)
        for i, stroke in enumerate(self.strokes):
            for j, (x, y) in enumerate(stroke.points):
                check(f"strokes[{i}].points[{j}]", x, y)
            check_size(f"strokes[{i}]", "width", stroke.width, 2 * long_side)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# ---------------------------------------------------------------- reading and checking


def load_hints(path: str) -> Hints:
    """Reads and checks the hints file at ``path`` (see :func:`parse_hints`); an unreadable
    file raises ``OSError``."""
    with open(path, "rb") as handle:
        text = handle.read(MAX_BYTES + 1)
    return parse_hints(text, source=path)


def parse_hints(text: str | bytes, source: str = "hints") -> Hints:
    """Parses hints JSON; anything malformed (bad JSON, unknown keys, a colour that is not
    ``#rrggbb``, a negative or non-numeric value, more than ``MAX_POINTS`` points or
    ``MAX_BYTES`` of text) raises a one-line ``ValueError`` naming ``source`` and the
    entry."""
    if len(text) > MAX_BYTES:
        raise ValueError(f"{source}: larger than {MAX_BYTES} bytes; a hints file holds at "
                         f"most {MAX_POINTS} points")
    try:
        data = json.loads(text, parse_int=_integer)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:  # deep nesting
        raise ValueError(f"{source}: not valid JSON: {err}") from err
    if not isinstance(data, dict):
        raise ValueError(f"{source}: expected a JSON object with \"points\" and/or "
                         f"\"strokes\", got {type(data).__name__}")
    _no_unknown_keys(data, ("points", "strokes"), source)
    points = _list(data, "points", source)
    strokes = _list(data, "strokes", source)
    count = len(points) + sum(len(s["points"]) if isinstance(s, dict)
                              and isinstance(s.get("points"), list) else 0 for s in strokes)
    if count > MAX_POINTS:
        raise ValueError(f"{source}: {count} points (points plus stroke vertices); at most "
                         f"{MAX_POINTS} are allowed")
    return Hints(points=tuple(_point(p, f"{source}: points[{i}]") for i, p in enumerate(points)),
                 strokes=tuple(_stroke(s, f"{source}: strokes[{i}]")
                               for i, s in enumerate(strokes)),
                 source=source)


def _integer(digits: str) -> int | float:
    """A JSON integer; one beyond float range becomes inf (refused as "must be a number")."""
    return int(digits) if len(digits.lstrip("-")) < 300 else float(digits)


def _list(data: dict, key: str, source: str) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"{source}: \"{key}\" must be a list, got {type(value).__name__}")
    return value


def _no_unknown_keys(entry: dict, allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(entry) - set(allowed))
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (expected "
                         f"{', '.join(allowed)})")


def _object(entry, keys: tuple[str, ...], required: tuple[str, ...], where: str) -> dict:
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected an object with {', '.join(keys)}, got "
                         f"{type(entry).__name__}")
    _no_unknown_keys(entry, keys, where)
    for key in required:
        if key not in entry:
            raise ValueError(f"{where}: missing {key!r}")
    return entry


def _coordinate(value, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{where}: {name} must be a number, got {value!r}")
    return float(value)


def _size(value, name: str, where: str) -> float:
    size = _coordinate(value, name, where)
    if size < 0:
        raise ValueError(f"{where}: {name}={_number(size)} must not be negative")
    return size


def _color(value, where: str) -> str:
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise ValueError(f"{where}: color {value!r} is not an sRGB hex colour '#rrggbb'")
    return value.lower()


def _point(entry, where: str) -> Point:
    entry = _object(entry, _POINT_KEYS, ("x", "y", "color"), where)
    return Point(x=_coordinate(entry["x"], "x", where), y=_coordinate(entry["y"], "y", where),
                 color=_color(entry["color"], where),
                 radius=_size(entry.get("radius", 0.0), "radius", where))


def _stroke(entry, where: str) -> Stroke:
    entry = _object(entry, _STROKE_KEYS, ("points", "color"), where)
    raw = entry["points"]
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{where}: points must be a non-empty list of [x, y] pairs")
    vertices = []
    for j, pair in enumerate(raw):
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValueError(f"{where}.points[{j}]: expected [x, y], got {pair!r}")
        vertices.append((_coordinate(pair[0], "x", f"{where}.points[{j}]"),
                         _coordinate(pair[1], "y", f"{where}.points[{j}]")))
    return Stroke(points=tuple(vertices), color=_color(entry["color"], where),
                  width=_size(entry.get("width", 1.0), "width", where))


# ---------------------------------------------------------------- colours and maps


def hex_to_ab(colors: list[str]) -> np.ndarray:
    """Scaled ab ``[N, 2]`` (float32) of sRGB ``#rrggbb`` colours, through :mod:`color`."""
    if not colors:
        return np.zeros([0, 2], np.float32)
    rgb = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in colors],
                   np.float32) / 255.0
    _, ab = color.rgb_to_model(tf.constant(rgb))
    return ab.numpy().astype(np.float32)


def rasterize(hints: Hints, photo_size: tuple[int, int],
              target_size: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(hint_ab [H,W,2], hint_mask [H,W,1])`` (float32) at ``target_size`` (height,
    width; default: the photo's) for hints given in the frame of a photo of
    ``photo_size`` (height, width). Rules in the module docstring."""
    photo_h, photo_w = (int(v) for v in photo_size)
    height, width = (int(v) for v in (target_size or photo_size))
    hint_ab = np.zeros([height, width, 2], np.float32)
    mask = np.zeros([height, width], bool)
    colors = hex_to_ab([s.color for s in hints.strokes] + [p.color for p in hints.points])
    frame = _Frame(photo_h, photo_w, height, width)
    shapes = [frame.stroke(s) for s in hints.strokes] + [[frame.point(p)] for p in hints.points]
    for parts, ab in zip(shapes, colors, strict=True):
        for rows, cols, covered in parts:
            hint_ab[rows, cols][covered] = ab  # basic slices are views: this writes through
            mask[rows, cols] |= covered
    return hint_ab, mask[..., None].astype(np.float32)


class _Frame:
    """Maps between the photo's pixel frame and a target grid of another size (pixel
    centres stay aligned: target ``i`` has its centre at photo ``(i + 0.5) * s - 0.5``)."""

    def __init__(self, photo_h: int, photo_w: int, height: int, width: int):
        self.height, self.width = height, width
        self.sy, self.sx = photo_h / height, photo_w / width

    def _to_target(self, x: float, y: float) -> tuple[float, float]:
        return (x + 0.5) / self.sx - 0.5, (y + 0.5) / self.sy - 0.5

    def _block(self, x0: float, y0: float, x1: float, y1: float, reach: float):
        """Slices of target pixels that may lie within ``reach`` (photo pixels) of the box
        ``[x0, x1] x [y0, y1]``, and their centres in photo coordinates."""
        tx0, ty0 = self._to_target(x0 - reach, y0 - reach)
        tx1, ty1 = self._to_target(x1 + reach, y1 + reach)
        r0 = min(max(int(math.floor(ty0)), 0), self.height)
        c0 = min(max(int(math.floor(tx0)), 0), self.width)
        r1 = max(min(int(math.ceil(ty1)) + 1, self.height), r0)
        c1 = max(min(int(math.ceil(tx1)) + 1, self.width), c0)
        ys = (np.arange(r0, r1) + 0.5) * self.sy - 0.5
        xs = (np.arange(c0, c1) + 0.5) * self.sx - 0.5
        return slice(r0, r1), slice(c0, c1), xs[None, :], ys[:, None]

    def point(self, point: Point):
        rows, cols, xs, ys = self._block(point.x, point.y, point.x, point.y, point.radius)
        covered = (xs - point.x) ** 2 + (ys - point.y) ** 2 <= point.radius ** 2 + 1e-9
        return self._with_nearest(rows, cols, covered, np.array([point.x]),
                                  np.array([point.y]))

    def stroke(self, stroke: Stroke) -> list:
        """One shape per segment (a one-point stroke is a dot), so the work follows the
        stroke's length, not the area of its bounding box."""
        pts = np.array(stroke.points, np.float64)
        pairs = list(zip(pts[:-1], pts[1:], strict=True)) or [(pts[0], pts[0])]
        return [self._segment(a, b, stroke.width / 2.0) for a, b in pairs]

    def _segment(self, a: np.ndarray, b: np.ndarray, reach: float):
        rows, cols, xs, ys = self._block(min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]),
                                         max(a[1], b[1]), reach)
        (ax, ay), (dx, dy) = a, b - a
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else np.clip(((xs - ax) * dx + (ys - ay) * dy) / length2,
                                             0.0, 1.0)
        covered = (xs - ax - t * dx) ** 2 + (ys - ay - t * dy) ** 2 <= reach ** 2 + 1e-9
        step = 0.5 * min(self.sx, self.sy)  # samples at most half a target pixel apart
        fractions = np.linspace(0.0, 1.0, max(int(math.ceil(np.hypot(dx, dy) / step)), 1) + 1)
        return self._with_nearest(rows, cols, covered, ax + fractions * dx, ay + fractions * dy)

    def _with_nearest(self, rows: slice, cols: slice, covered: np.ndarray,
                      sample_x: np.ndarray, sample_y: np.ndarray):
        """Grows the block to hold the target pixel nearest each sample and marks it."""
        near_r = np.clip(np.round((sample_y + 0.5) / self.sy - 0.5), 0, self.height - 1)
        near_c = np.clip(np.round((sample_x + 0.5) / self.sx - 0.5), 0, self.width - 1)
        near_r, near_c = near_r.astype(int), near_c.astype(int)
        r0, r1 = min(rows.start, near_r.min()), max(rows.stop, near_r.max() + 1)
        c0, c1 = min(cols.start, near_c.min()), max(cols.stop, near_c.max() + 1)
        grown = np.zeros([r1 - r0, c1 - c0], bool)
        grown[rows.start - r0:rows.stop - r0, cols.start - c0:cols.stop - c0] = covered
        grown[near_r - r0, near_c - c0] = True
        return slice(r0, r1), slice(c0, c1), grown
