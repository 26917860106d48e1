"""``Predictor``: a trained colorizer ready for inference — the one batched
``predict(L) -> ab`` that every consumer (colorize, evaluate, export, web) calls, with the
colorizer's decoder (classification runs: annealed mean etc.) inside; ``network`` is the
same as plain TF ops for export to trace."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from colorization_tf.data import features
from colorization_tf.inference import full_resolution


class Predictor:
    """Wraps a built colorizer: ``predict`` maps scaled L ``[B,S,S,1]`` to scaled ab
    ``[B,S,S,2]`` (float32, compiled once per shape); ``colorize_rgb`` colours a photo of
    any size at full resolution."""

    def __init__(self, colorizer, image_size: int, *, name: str = "", config=None,
                 decode: str | None = None, temperature: float | None = None):
        self.colorizer = colorizer
        self.image_size = int(image_size)
        self.name = name
        self.config = config
        self.decode = decode
        self.temperature = temperature
        self._predict = tf.function(self.network, reduce_retracing=True)

    def network(self, lightness: tf.Tensor) -> tf.Tensor:
        """Scaled L ``[B,S,S,1]`` -> decoded scaled ab ``[B,S,S,2]`` as plain TF ops (the
        network, its decoder, and the inputs it derives from L, e.g. the multi-path GAN's
        Canny edges): what :meth:`predict` compiles and what export traces into its own
        graphs."""
        extra = {}
        if "edges" in self.colorizer.FEATURES:
            extra["edges"] = features.edges_of_lightness(lightness)
        return self.colorizer.predict_ab(lightness, decode=self.decode,
                                         temperature=self.temperature, **extra)

    def __call__(self, lightness: tf.Tensor) -> tf.Tensor:
        return self.predict(lightness)

    def predict(self, lightness: tf.Tensor) -> tf.Tensor:
        """Scaled ab in [-1, 1] for a batch of scaled L (float32)."""
        return self._predict(tf.convert_to_tensor(lightness, tf.float32))

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
                         decode=decode, temperature=temperature)

    @property
    def method(self) -> str:
        return self.config.method.name if self.config is not None else ""

    def colorize_rgb(self, rgb: np.ndarray, render_size: int | None = None) -> np.ndarray:
        """One sRGB image (``[H,W,3]``: uint8, uint16, or float in [0, 1]; any size; only
        its lightness is used) -> uint8 RGB of the same size that keeps the input's own L
        (:mod:`full_resolution`: the path batched photos, video and export take)."""
        codes = np.asarray(rgb)
        if codes.dtype not in (np.uint8, np.uint16):
            codes = full_resolution.to_uint16(tf.constant(codes)).numpy()
        size = full_resolution.render_size(render_size, self.image_size)
        small = full_resolution.model_input(codes, size)
        ab = self.predict(small[None])[0]
        return full_resolution.fast_recombine(codes, ab)
