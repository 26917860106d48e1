"""The colorize editor's methods: every loaded run, plus ``optimization`` (Levin et al.
2004, no run), colouring a photo held as integer codes with the user's hints, and the
colours a learned-hints run suggests at a pixel (Zhang et al. 2017).

Like ``runs``, this module is a door to the inference layer (and TensorFlow), imported
only when real runs or the optimization are served; ``colorize_api`` talks to it through
the small ``Editor`` protocol it defines, so the study server and its tests run without
TensorFlow on fake colorizers.

Hints arrive as the text of the hints file (``inference.hints``, in the photo's pixel
coordinates after EXIF orientation), already bounded in bytes by the endpoint; everything
else (JSON, keys, ``#rrggbb`` colours, at most ``hints.MAX_POINTS`` points, coordinates
inside the photo) is checked by ``inference.hints``, plus, here, radii and stroke widths
no larger than the photo (a wider shape colours nothing more but costs more to draw). A
bad value raises a one-line ``ValueError`` that the endpoint answers with 422.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from colorization_tf.web import runs

OPTIMIZATION = "optimization"
SUGGESTIONS = 5  # colours offered at a picked pixel (at most)


class Editor:
    """The methods of the colorize editor: ``predictors`` (``{run name: Predictor}``, as
    ``runs.load_predictors`` gives them) and ``optimization``, solved on a grid whose
    long side is ``solve_size`` (``inference.optimization.DEFAULT_SOLVE_SIZE``; the ab is
    upsampled to the photo's size as the networks' is)."""

    def __init__(self, predictors: Mapping, solve_size: int | None = None,
                 optimization: bool = True) -> None:
        from colorization_tf.inference import optimization as optimization_lib

        if OPTIMIZATION in predictors and optimization:
            raise ValueError(f"--run_dirs: a run may not be named {OPTIMIZATION!r} (the "
                             "editor's method without a run)")
        self.predictors = dict(predictors)
        self.optimization = optimization
        self.solve_size = (optimization_lib.DEFAULT_SOLVE_SIZE if solve_size is None
                           else int(solve_size))
        optimization_lib.solve_shape(1, 1, self.solve_size)  # checks the value

    def methods(self) -> list[dict]:
        """What the page offers, in order: ``{"name", "hints", "reference", "suggest"}``
        (reads point/stroke hints, reads a reference photo, suggests colours)."""
        found = []
        for name, predictor in self.predictors.items():
            hints = bool(getattr(predictor, "accepts_hints", False))
            found.append({"name": name, "hints": hints,
                          "reference": bool(getattr(predictor, "accepts_global_hint", False)),
                          "suggest": hints})
        if self.optimization:
            found.append({"name": OPTIMIZATION, "hints": True, "reference": False,
                          "suggest": False})
        return found

    def colorize(self, codes: np.ndarray, method: str, hints_text: str | None = None,
                 reference: np.ndarray | None = None) -> np.ndarray:
        """uint8 RGB of the photo's codes ``[H, W, 3]`` (uint8/uint16) by ``method`` with
        the hints JSON ``hints_text`` and the reference photo's codes (None: not given)."""
        photo_hints = self._hints(method, hints_text, codes)
        if method == OPTIMIZATION:
            if reference is not None:
                raise ValueError(f"reference: {OPTIMIZATION} reads no reference photo (only "
                                 "unet_hints_global runs do)")
            return self._optimize(codes, photo_hints)
        predictor = self.predictors[method]
        return runs.colorize_codes(predictor, codes, **self._maps(
            predictor, method, codes, photo_hints, reference))

    def suggest(self, codes: np.ndarray, method: str, hints_text: str | None, x: float,
                y: float, reference: np.ndarray | None = None) -> list[str]:
        """``#rrggbb`` colours a learned-hints run offers at photo pixel (``x``, ``y``)
        given the hints so far (``Predictor.suggest_colors``: the top modes of a predicted
        distribution, or, for a regression head, the colour predicted there now)."""
        if method == OPTIMIZATION or not getattr(self.predictors.get(method),
                                                 "accepts_hints", False):
            raise ValueError(f"run {method!r} suggests no colours (only learned-hints runs "
                             "do)")
        height, width = np.shape(codes)[:2]
        if not (0 <= x <= width - 1 and 0 <= y <= height - 1):
            raise ValueError(f"x={x:g}, y={y:g} is outside the {width}x{height} image")
        photo_hints = self._hints(method, hints_text, codes)
        predictor = self.predictors[method]
        size = predictor.image_size
        maps = self._maps(predictor, method, codes, photo_hints, reference)
        lightness = _model_input(codes, size)
        colours = predictor.suggest_colors(
            lightness, maps.get("hint_ab"), maps.get("hint_mask"), maps.get("hint_global"),
            x=min(int((x + 0.5) * size / width), size - 1),
            y=min(int((y + 0.5) * size / height), size - 1), k=SUGGESTIONS)
        return ["#{:02x}{:02x}{:02x}".format(*(int(v) for v in rgb)) for rgb in colours]

    # ---------------------------------------------------------------- the steps

    def _hints(self, method: str, hints_text: str | None, codes: np.ndarray):
        """The parsed, checked hints (None: none given). Raises ValueError naming a run
        that reads no hints, or the bad entry."""
        if method != OPTIMIZATION and method not in self.predictors:
            raise ValueError(f"unknown run {method!r}")
        if hints_text is None:
            return None
        if method != OPTIMIZATION and not getattr(self.predictors[method], "accepts_hints",
                                                  False):
            predictor = self.predictors[method]
            raise ValueError(f"hints: run {method} ({predictor.method or 'unknown method'}) "
                             f"reads no hints; use a learned-hints run (unet_hints) or "
                             f"{OPTIMIZATION}")
        from colorization_tf.inference import hints

        photo_hints = hints.parse_hints(hints_text, source="hints")
        height, width = np.shape(codes)[:2]
        photo_hints.check_inside(width, height)
        long_side = max(height, width)
        for i, point in enumerate(photo_hints.points):
            if point.radius > long_side:
                raise ValueError(f"hints: points[{i}]: radius={point.radius:g} is larger "
                                 f"than the {width}x{height} image")
        for i, stroke in enumerate(photo_hints.strokes):
            if stroke.width > 2 * long_side:
                raise ValueError(f"hints: strokes[{i}]: width={stroke.width:g} is larger "
                                 f"than the {width}x{height} image")
        return photo_hints

    @staticmethod
    def _maps(predictor, method: str, codes: np.ndarray, photo_hints,
              reference: np.ndarray | None) -> dict:
        """The hint inputs of a run at its render size (``{}``: none given)."""
        maps = {}
        if photo_hints is not None and len(photo_hints):
            from colorization_tf.inference import hints

            size = predictor.image_size
            maps["hint_ab"], maps["hint_mask"] = hints.rasterize(
                photo_hints, np.shape(codes)[:2], (size, size))
        if reference is not None:
            if not getattr(predictor, "accepts_global_hint", False):
                raise ValueError(f"reference: run {method} reads no reference photo (only "
                                 "unet_hints_global runs do)")
            maps["hint_global"] = _global_hint(reference)
        return maps

    def _optimize(self, codes: np.ndarray, photo_hints) -> np.ndarray:
        """Levin et al. 2004 on the solve grid, recombined with the photo's full-size L."""
        from colorization_tf.inference import hints, optimization

        return optimization.colorize_codes(codes, photo_hints or hints.Hints(),
                                           self.solve_size)


def _model_input(codes: np.ndarray, size: int) -> np.ndarray:
    from colorization_tf.inference import full_resolution

    return full_resolution.fast_model_input(codes, size)


def _global_hint(codes: np.ndarray) -> np.ndarray:
    """``hint_global`` of a reference photo's codes (``reference_hint.global_hint_of_rgb``
    of the photo shrunk to at most ``REFERENCE_PIXELS`` first)."""
    from colorization_tf.inference import full_resolution, reference_hint

    height, width = np.shape(codes)[:2]
    scale = min(1.0, (reference_hint.REFERENCE_PIXELS / max(height * width, 1)) ** 0.5)
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    return reference_hint.global_hint_of_rgb(full_resolution.small_rgb(codes, size))


def load_editor(run_dirs, solve_size: int | None = None) -> Editor:
    """The editor over the runs at ``run_dirs`` (``runs.load_predictors``) and
    ``optimization``."""
    return Editor(runs.load_predictors(run_dirs), solve_size)
