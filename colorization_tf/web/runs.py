"""The web package's only door to the rest of colorization_tf (and so to TensorFlow):
loading runs (``inference.load_run``), colorizing photos held as integer codes, and
loading a split's originals (``data.load_split``). Everything is imported when first
called, so the study server, its storage and its tests import no TensorFlow until a real
run is loaded.

Colorizing keeps full-resolution data in integers and small strips: the model input is
the photo's codes resized (antialiased) straight to the render size, and the colour comes
from ``inference.full_resolution.fast_recombine`` (the one recombination every consumer
uses) applied strip by strip over ``STRIP_ROWS`` rows, with ab upsampled strip by strip
(the rows ``tf.image.resize`` would give, by the same triangle kernel). A 36 MP photo then
costs little beyond its 108 MB of codes and the 108 MB result, where the whole-image float
path takes ~2.4 GB.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from colorization_tf.web import images

STRIP_ROWS = 256

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


def load_colorizers(run_dirs: Sequence[str]) -> dict[str, images.Colorize]:
    """``{run name: colorize(codes) -> uint8}`` for the run directories."""
    return colorizers_of(load_predictors(run_dirs))


def colorizers_of(predictors: Mapping) -> dict[str, images.Colorize]:
    """``{run name: colorize(codes) -> uint8}`` of ``{run name: Predictor}``."""
    return {name: _bound(predictor) for name, predictor in predictors.items()}


def _bound(predictor) -> images.Colorize:
    return lambda codes: colorize_codes(predictor, codes)


def colorize_codes(predictor, codes: np.ndarray, render_size: int | None = None,
                   strip_rows: int = STRIP_ROWS, *, hint_ab=None, hint_mask=None,
                   hint_global=None) -> np.ndarray:
    """One photo as sRGB codes ``[H, W, 3]`` (uint8 or uint16, any size) -> uint8 RGB of
    the same size keeping the photo's own L (``full_resolution.fast_recombine``).
    Learned-hints runs also take the user's hints at the render size (``hint_ab``
    ``[S,S,2]``, ``hint_mask`` ``[S,S,1]``, ``hint_global`` ``[Q+2]``; see
    ``Predictor.predict``)."""
    import tensorflow as tf

    codes = _checked(codes)
    lightness = model_input(codes, int(render_size or predictor.image_size))
    if hint_ab is None and hint_mask is None and hint_global is None:
        ab_small = predictor.predict(lightness[None])
    else:
        ab_small = predictor.predict(
            lightness[None], *(None if value is None else np.asarray(value)[None]
                               for value in (hint_ab, hint_mask, hint_global)))
    return recombine_strips(codes, tf.cast(ab_small, tf.float32)[0], strip_rows)


def recombine_strips(codes: np.ndarray, ab_small, strip_rows: int = STRIP_ROWS
                     ) -> np.ndarray:
    """uint8 RGB ``[H, W, 3]``: the L of the codes ``[H, W, 3]`` with ``ab_small``
    (scaled ``[h, w, 2]``, any size) upsampled bilinearly, strip by strip."""
    import tensorflow as tf

    from colorization_tf.inference import full_resolution

    codes = _checked(codes)
    ab_small = tf.convert_to_tensor(ab_small, tf.float32)[None]
    height, width = codes.shape[:2]
    scale = [height / int(ab_small.shape[1]), width / int(ab_small.shape[2])]
    out = np.empty((height, width, 3), np.uint8)
    for top in range(0, height, strip_rows):
        rows = min(strip_rows, height - top)
        # the strip's rows of tf.image.resize(ab, [H, W], "bilinear"), never all of them
        ab = tf.raw_ops.ScaleAndTranslate(
            images=ab_small, size=[rows, width], scale=scale, translation=[-float(top), 0.0],
            kernel_type="triangle", antialias=False)[0]
        # ab already has the strip's size: the bilinear resize inside is the identity
        out[top:top + rows] = full_resolution.fast_recombine(codes[top:top + rows],
                                                             ab.numpy())
    return out


def _checked(codes: np.ndarray) -> np.ndarray:
    codes = np.asarray(codes)
    if codes.ndim != 3 or codes.shape[-1] != 3 or codes.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"expected uint8/uint16 codes [H, W, 3], got {codes.dtype} "
                         f"{list(codes.shape)}")
    return codes


def model_input(codes: np.ndarray, size: int | tuple[int, int]):
    """Scaled L ``[size, size, 1]`` (or ``[h, w, 1]`` for ``size = (h, w)``) of sRGB
    codes: ``full_resolution.model_input`` of the codes resized (antialiased) as integers,
    which equals ``full_resolution.model_input`` of the full codes within float rounding without its full-size float
    copies."""
    import tensorflow as tf

    from colorization_tf import color

    shape = [size, size] if isinstance(size, int) else [int(v) for v in size]
    scale = 255.0 if codes.dtype == np.uint8 else 65535.0
    small = tf.image.resize(tf.constant(codes)[None], shape, antialias=True) / scale
    lightness, _ = color.rgb_to_model(tf.clip_by_value(small, 0.0, 1.0))
    return lightness[0]


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
