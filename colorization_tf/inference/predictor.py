"""``Predictor``: a trained colorizer ready for inference — the one batched
``predict(L) -> ab`` that every consumer (colorize, evaluate, export, web) calls, with the
colorizer's decoder (classification runs: annealed mean etc.) inside; ``network`` is the
same as plain TF ops for export to trace."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from colorization_tf import color
from colorization_tf.color.global_hint import global_hint_size
from colorization_tf.data import features
from colorization_tf.inference import full_resolution, hinted
from colorization_tf.inference.frozen import FrozenNetwork

HINT_KEYS = ("hint_ab", "hint_mask", "hint_global")


class Predictor:
    """Wraps a built colorizer: ``predict`` maps scaled L ``[B,S,S,1]`` to scaled ab
    ``[B,S,S,2]`` (float32, compiled once per shape; ``frozen``: with the weights folded in,
    for weights that no longer change); ``colorize_rgb`` colours a photo of any size at
    full resolution."""

    def __init__(self, colorizer, image_size: int, *, name: str = "", config=None,
                 decode: str | None = None, temperature: float | None = None,
                 precision: str = "float32", frozen: bool = False):
        self.colorizer = colorizer
        self.frozen = frozen  # weights folded into the compiled graphs (fixed weights)
        self.precision = precision  # the dtype policy the networks compute in
        self.image_size = int(image_size)
        self.name = name
        self.config = config
        self.decode = decode
        self.temperature = temperature
        if frozen:
            self._predict = self._predict_hints = FrozenNetwork(self.network)
        else:
            self._predict = tf.function(self.network, reduce_retracing=True)
            # calls with hints trace separately, so the plain call's graph stays as it was
            self._predict_hints = tf.function(self.network, reduce_retracing=True)

    def network(self, lightness: tf.Tensor, **hints: tf.Tensor) -> tf.Tensor:
        """Scaled L ``[B,S,S,1]`` (and, for learned-hints runs, complete ``hint_ab``,
        ``hint_mask`` (, ``hint_global``) maps) -> decoded scaled ab ``[B,S,S,2]`` as plain
        TF ops (the network, its decoder, and the inputs it derives from L, e.g. the
        multi-path GAN's Canny edges): what :meth:`predict` compiles and what export
        traces into its own graphs."""
        extra = dict(hints)
        if "edges" in self.colorizer.FEATURES:
            extra["edges"] = features.edges_of_lightness(lightness)
        return self.colorizer.predict_ab(lightness, decode=self.decode,
                                         temperature=self.temperature, **extra)

    def __call__(self, lightness: tf.Tensor) -> tf.Tensor:
        return self.predict(lightness)

    def predict(self, lightness: tf.Tensor, hint_ab=None, hint_mask=None,
                hint_global=None) -> tf.Tensor:
        """Scaled ab in [-1, 1] for a batch of scaled L (float32).

        Learned-hints runs (``accepts_hints``) also take the user's hints at L's size:
        ``hint_ab`` ``[B,S,S,2]`` (scaled ab, 0 where unhinted), ``hint_mask`` ``[B,S,S,1]``
        in {0, 1} and, for ``accepts_global_hint`` runs, ``hint_global`` ``[B,Q+2]``
        (``data.hints.global_hint``); an absent map counts as zeros (nothing hinted), so a
        call without hints colorizes automatically. Other runs refuse hints (ValueError)."""
        lightness = tf.convert_to_tensor(lightness, tf.float32)
        given = {key: value for key, value in zip(
            HINT_KEYS, (hint_ab, hint_mask, hint_global), strict=True) if value is not None}
        if not given:
            return self._predict(lightness)
        return self._predict_hints(lightness, **self._complete_hints(lightness, given))

    def _complete_hints(self, lightness: tf.Tensor, given: dict) -> dict:
        """Every hint input the run reads, shape-checked, zeros for the absent ones."""
        accepted = [key for key in HINT_KEYS if key in self.colorizer.FEATURES]
        refused = sorted(set(given) - set(accepted))
        if refused:
            raise ValueError(f"run {self.name or '?'} ({self.method or 'unknown method'}) "
                             f"reads no {', '.join(refused)}: only learned-hints runs "
                             "(unet_hints, unet_hints_global) take hints")
        batch, height, width = (int(n) for n in lightness.shape[:3])
        shapes = {"hint_ab": [batch, height, width, 2], "hint_mask": [batch, height, width, 1]}
        if "hint_global" in accepted:
            shapes["hint_global"] = [batch, global_hint_size()]
        out = {}
        for key in accepted:
            value = tf.convert_to_tensor(given[key], tf.float32) if key in given else \
                tf.zeros(shapes[key])
            if value.shape.rank == len(shapes[key]) - 1:  # one map for the whole batch
                value = tf.broadcast_to(value[None], shapes[key])
            if list(value.shape) != shapes[key]:
                raise ValueError(f"{key}: expected shape {shapes[key]} (as L "
                                 f"{list(lightness.shape)}), got {list(value.shape)}")
            out[key] = value
        return out

    @property
    def accepts_hints(self) -> bool:
        """Whether the run reads local hints (``hint_ab``, ``hint_mask``)."""
        return "hint_ab" in self.colorizer.FEATURES

    @property
    def accepts_global_hint(self) -> bool:
        """Whether the run also reads a global hint (``hint_global``)."""
        return "hint_global" in self.colorizer.FEATURES

    def suggest_colors(self, lightness: tf.Tensor, hint_ab=None, hint_mask=None,
                       hint_global=None, *, x: int, y: int, k: int = 5) -> np.ndarray:
        """Colours to offer a user who picks pixel (``x``, ``y``) of scaled L ``[S,S,1]``
        (or ``[1,S,S,1]``) given the hints placed so far (as ``predict`` takes them, with or
        without the batch axis): uint8 sRGB ``[n,3]``, most likely first, at that pixel's
        lightness, ``n <= k``. The hint runs here regress ab (one colour per pixel, no
        distribution), so ``n`` is 1: the colour the model currently predicts there (Zhang
        et al. 2017 offer the top modes of a predicted distribution, which a
        classification-style head would give). ``x``, ``y`` are in L's pixels: scale a
        full-resolution click by ``S / width`` and ``S / height``."""
        lightness = tf.convert_to_tensor(lightness, tf.float32)
        if lightness.shape.rank == 3:
            lightness = lightness[None]
        height, width = int(lightness.shape[1]), int(lightness.shape[2])
        if not (0 <= x < width and 0 <= y < height):
            raise ValueError(f"suggest_colors: pixel ({x}, {y}) is outside the "
                             f"{width}x{height} map")
        if k < 1:
            raise ValueError(f"suggest_colors: k={k}: expected at least 1")
        ab = self.predict(lightness[:1], hint_ab, hint_mask, hint_global)[0, y, x]
        rgb = color.model_to_rgb(lightness[0, y, x][None], ab[None])
        return np.asarray(tf.cast(tf.round(rgb * 255.0), tf.uint8))

    def saliency_rgb(self, rgb: np.ndarray, render_size: int | None = None) -> np.ndarray:
        """The multi-path GAN's predicted saliency map of a photo (float ``[H,W,3]`` in
        [0, 1]) as uint8 gray ``[H,W]`` at the photo's size; other methods have none."""
        if "saliency" not in self.colorizer.FEATURES:
            raise ValueError(f"--saliency: run {self.name} ({self.method}) predicts no "
                             "saliency map (only multipath runs do)")
        rgb = tf.convert_to_tensor(rgb)
        size = full_resolution.render_size(render_size, self.image_size)
        lightness = full_resolution.model_input(rgb[None], size)
        edges = features.edges_of_lightness(lightness)
        saliency = self.colorizer.predict_outputs(lightness, edges)["saliency"]
        full = tf.image.resize(saliency, tf.shape(rgb)[:2], method="bilinear")[0, ..., 0]
        return tf.cast(tf.round(tf.clip_by_value(full, 0.0, 1.0) * 255.0), tf.uint8).numpy()

    def with_decoder(self, decode: str | None, temperature: float | None) -> Predictor:
        """The same network with another decoder (classification runs; others ignore it)."""
        return Predictor(self.colorizer, self.image_size, name=self.name, config=self.config,
                         decode=decode, temperature=temperature, precision=self.precision,
                         frozen=self.frozen)

    @property
    def method(self) -> str:
        return self.config.method.name if self.config is not None else ""

    def colorize_rgb(self, rgb: np.ndarray, render_size: int | None = None, *,
                     hints=None, hint_global=None) -> np.ndarray:
        """One sRGB image (``[H,W,3]``: uint8, uint16, or float in [0, 1]; any size; only
        its lightness is used) -> uint8 RGB of the same size that keeps the input's own L
        (:mod:`full_resolution`: the path batched photos, video and export take).
        Learned-hints runs take ``hints`` (an ``inference.hints.Hints``: ``parse_hints``
        or ``load_hints``, in the photo's pixels) and ``hint_global`` ``[Q+2]``
        (``reference_hint.reference_global_hint``), through ``hinted.colorize_codes``, the
        entry the command line and the web editor call too."""
        codes = np.asarray(rgb)
        if codes.dtype not in (np.uint8, np.uint16):
            codes = full_resolution.to_uint16(tf.constant(codes)).numpy()
        return hinted.colorize_codes(self, codes, hints, render_size=render_size,
                                     hint_global=hint_global)
