"""Colorizing one photo with a run and the user's hints: the one entry the command line
(``guided``), the web editor (``web/runs``, ``web/editor``) and the Python API
(``Predictor.colorize_rgb``) all call, so the same photo and hints give the same colours
everywhere (the exported ``colorize_with_hints`` signature takes the very maps
:func:`model_inputs` builds).

The steps, each with one implementation: the hints are checked against the photo
(``Hints.check_inside``: coordinates inside, radii and widths no larger than the photo),
rasterised straight onto the ``S x S`` grid the network sees (``hints.rasterize``; ``S``
the render size or the run's), so even a one-pixel hint on a large photo reaches it; the
model input is the photo's codes resized straight to ``S`` (``full_resolution``), and the
predicted ab is joined with the photo's own full-resolution L
(``full_resolution.fast_recombine``). A reference photo's global hint comes from
``reference_hint.global_hint_of_codes``.
"""

from __future__ import annotations

import numpy as np

from colorization_tf.inference import full_resolution, hints


def checked_codes(codes) -> np.ndarray:
    """``codes`` as a numpy array, or ``ValueError`` unless uint8/uint16 ``[H, W, 3]``."""
    codes = np.asarray(codes)
    if codes.ndim != 3 or codes.shape[-1] != 3 or codes.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"expected uint8/uint16 codes [H, W, 3], got {codes.dtype} "
                         f"{list(codes.shape)}")
    return codes


def model_inputs(predictor, codes: np.ndarray, photo_hints: hints.Hints | None = None, *,
                 render_size: int | None = None,
                 hint_global: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """``(L [S,S,1], {"hint_ab": [S,S,2], "hint_mask": [S,S,1], "hint_global": [Q+2]})``
    for one photo's codes: what ``predictor.predict`` reads (a map is absent when not
    given). ``ValueError`` (one line) for hints that do not fit the photo."""
    codes = checked_codes(codes)
    height, width = codes.shape[:2]
    size = full_resolution.render_size(render_size, predictor.image_size)
    maps = {}
    if photo_hints is not None:
        photo_hints.check_inside(width, height)
        if len(photo_hints):
            maps["hint_ab"], maps["hint_mask"] = hints.rasterize(
                photo_hints, (height, width), (size, size))
    if hint_global is not None:
        maps["hint_global"] = np.asarray(hint_global, np.float32)
    return full_resolution.fast_model_input(codes, size), maps


def colorize_codes(predictor, codes: np.ndarray, photo_hints: hints.Hints | None = None, *,
                   render_size: int | None = None,
                   hint_global: np.ndarray | None = None) -> np.ndarray:
    """One photo (sRGB codes ``[H,W,3]``, uint8 or uint16, any size) through ``predictor``
    with ``photo_hints`` and a reference's ``hint_global`` (both optional; a run that
    reads none refuses them): uint8 RGB of the same size keeping the photo's own L."""
    codes = checked_codes(codes)
    lightness, maps = model_inputs(predictor, codes, photo_hints, render_size=render_size,
                                   hint_global=hint_global)
    if maps:
        ab = predictor.predict(lightness[None], *(
            None if key not in maps else maps[key][None]
            for key in ("hint_ab", "hint_mask", "hint_global")))
    else:
        ab = predictor.predict(lightness[None])
    return full_resolution.fast_recombine(codes, np.asarray(ab, np.float32)[0])


__all__ = ["checked_codes", "colorize_codes", "model_inputs"]
