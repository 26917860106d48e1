"""The web package's only door to the rest of colorization_tf (and so to TensorFlow):
loading runs (``inference.load_run``), colorizing photos held as integer codes, and
loading a split's originals (``data.load_split``). Everything is imported when first
called, so the study server, its storage and its tests import no TensorFlow until a real
run is loaded.

Colorizing goes through ``inference.hinted.colorize_codes``, the one "colorize with a run
and hints" entry the command line and ``Predictor`` share, which keeps full-resolution
data in integers: the model input is the photo's codes resized (antialiased) straight to
the render size and the colour comes from ``full_resolution.fast_recombine`` (the one
recombination every consumer uses), which upsamples ab row by row. A 36 MP photo then costs little beyond its
108 MB of codes and the 108 MB result, where the whole-image float path takes ~2.4 GB.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from colorization_tf.web import images

# The colorize page's function: (sRGB codes [H, W, 3] uint8/uint16, run name) -> uint8.
ColorizeFn = Callable[[np.ndarray, str], np.ndarray]


def run_name(run_dir: str) -> str:
    """A run's name: its folder's name."""
    return os.path.basename(os.path.normpath(run_dir))


def load_predictors(run_dirs: Sequence[str]) -> dict:
    """``{run name: Predictor}`` for the run directories (``inference.load_run``). Raises
    ValueError naming a run that cannot be loaded."""
    for run_dir in run_dirs:
        if not os.path.isdir(run_dir):
            raise ValueError(f"--run_dirs: {run_dir} is not a folder")
    from colorization_tf.inference import load_run  # TensorFlow only when runs are loaded

    predictors = {}
    for run_dir in run_dirs:
        try:
            predictor = load_run(run_dir)
        except (OSError, ValueError, KeyError) as err:
            raise ValueError(f"--run_dirs: cannot load {run_dir}: {err}") from err
        predictors[getattr(predictor, "name", None) or run_name(run_dir)] = predictor
    return predictors


def colorizers_of(predictors: Mapping) -> dict[str, images.Colorize]:
    """``{run name: colorize(codes) -> uint8}`` of ``{run name: Predictor}``."""
    return {name: _bound(predictor) for name, predictor in predictors.items()}


def _bound(predictor) -> images.Colorize:
    return lambda codes: colorize_codes(predictor, codes)


def colorize_codes(predictor, codes: np.ndarray, photo_hints=None, *,
                   hint_global: np.ndarray | None = None) -> np.ndarray:
    """One photo as sRGB codes ``[H, W, 3]`` (uint8 or uint16, any size) -> uint8 RGB of
    the same size keeping the photo's own L, with the user's hints (``inference.hints.Hints``)
    and a reference's ``hint_global`` for runs that read them: ``inference.hinted``'s
    ``colorize_codes`` (TensorFlow imported on the first call)."""
    from colorization_tf.inference import hinted

    return hinted.colorize_codes(predictor, codes, photo_hints, hint_global=hint_global)


def model_inputs(predictor, codes: np.ndarray, photo_hints=None, *,
                 hint_global: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """``inference.hinted.model_inputs``: the network's L and hint maps for one photo."""
    from colorization_tf.inference import hinted

    return hinted.model_inputs(predictor, codes, photo_hints, hint_global=hint_global)


def colorize_with(colorizers: Mapping[str, images.Colorize]) -> ColorizeFn:
    """The colorize page's function: ``(codes, run name) -> uint8``."""
    def colorize(codes: np.ndarray, run: str) -> np.ndarray:
        return np.asarray(colorizers[run](codes))

    return colorize


def load_originals(dataset: str, split: str, count: int, image_size: int) -> np.ndarray:
    """The first ``count`` images of a split (uint8 ``[count, S, S, 3]``), as the data
    pipeline gives them (gray images filtered, resized to ``image_size``)."""
    from colorization_tf.data import DataConfig, load_split

    config = DataConfig(dataset=dataset, image_size=image_size)
    config.validate()
    pictures_ds, _ = load_split(config, split)
    pictures = [example["image"] for example in pictures_ds.take(count).as_numpy_iterator()]
    if len(pictures) < count:
        raise ValueError(f"--images={count}: the {split} split of {dataset} holds only "
                         f"{len(pictures)} images")
    return np.stack(pictures).astype(np.uint8)
