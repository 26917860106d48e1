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
inside the photo, radii and stroke widths no larger than it) is checked by
``inference.hints``, as for the command line and the Python API. A run colours through
``inference.hinted`` (via ``runs``), the entry they share, and a reference photo becomes a
global hint through ``reference_hint.global_hint_of_codes``. A bad value raises a one-line
``ValueError`` that the endpoint answers with 422.
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
        return runs.colorize_codes(predictor, codes, photo_hints,
                                   hint_global=self._global(predictor, method, reference))

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
        lightness, maps = runs.model_inputs(
            predictor, codes, photo_hints,
            hint_global=self._global(predictor, method, reference))
        colours = predictor.suggest_colors(
            lightness, maps.get("hint_ab"), maps.get("hint_mask"), maps.get("hint_global"),
            x=min(int((x + 0.5) * size / width), size - 1),
            y=min(int((y + 0.5) * size / height), size - 1), k=SUGGESTIONS)
        return ["#{:02x}{:02x}{:02x}".format(*(int(v) for v in rgb)) for rgb in colours]

    # ---------------------------------------------------------------- the steps

    def _hints(self, method: str, hints_text: str | None, codes: np.ndarray):
        """The parsed hints (None: none given). Raises ValueError naming a run that reads
        no hints, or the bad entry."""
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

        # checked against the photo (Hints.check_inside) where it is used: hinted, optimization
        return hints.parse_hints(hints_text, source="hints")

    @staticmethod
    def _global(predictor, method: str, reference: np.ndarray | None) -> np.ndarray | None:
        """The reference photo's global hint (None: no reference given)."""
        if reference is None:
            return None
        if not getattr(predictor, "accepts_global_hint", False):
            raise ValueError(f"reference: run {method} reads no reference photo (only "
                             "unet_hints_global runs do)")
        from colorization_tf.inference import reference_hint

        return reference_hint.global_hint_of_codes(reference)

    def _optimize(self, codes: np.ndarray, photo_hints) -> np.ndarray:
        """Levin et al. 2004 on the solve grid, recombined with the photo's full-size L."""
        from colorization_tf.inference import hints, optimization

        return optimization.colorize_codes(codes, photo_hints or hints.Hints(),
                                           self.solve_size)


def load_editor(run_dirs, solve_size: int | None = None) -> Editor:
    """The editor over the runs at ``run_dirs`` (``runs.load_predictors``) and
    ``optimization``."""
    return Editor(runs.load_predictors(run_dirs), solve_size)
