"""Classification colorizer (Zhang et al.; Li and Wang, Kumar et al., Tran and Ly): per-pixel logits over quantized
ab bins, trained on soft-encoded targets with the class-rebalanced multinomial
cross-entropy of Kumar et al. §3.4, and decoded back to ab by ``quantize.decode``.

Decoders for ``predict_ab(L, decode=..., temperature=...)`` (``DECODERS``):

* ``annealed`` (default): annealed mean, ``temperature`` T (default: the preset's, 0.38;
  Li and Wang used 0.89). T=1 is the mean, T->0 the mode.
* ``mode``: centre of the most probable bin (Tran and Ly 2024 'centroid').
* ``mean``: expectation of the bin centres.
* ``topk``: softmax-weighted centres of the preset's ``top_k`` most probable bins (Tran and Ly 2024).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from colorization_tf import color, losses, models
from colorization_tf.color import quantize
from colorization_tf.colorizers.base import Colorizer
from colorization_tf.colorizers.config import MethodConfig

DECODERS = quantize.DECODERS
DEFAULT_DECODER = quantize.DEFAULT_DECODER
LOSS_RESOLUTIONS = ("logits", "input")


class ClassificationColorizer(Colorizer):
    """Zhang-style colorizer: ``generator`` maps scaled L to bin logits at a lower
    resolution. ``loss_resolution`` 'logits' area-downsamples the target ab to the logits
    (Zhang et al.); 'input' upsamples the logits to the image instead."""

    def __init__(self, generator: keras.Model, centres, *, neighbours: int = quantize.NEIGHBOURS,
                 sigma: float = quantize.SOFT_SIGMA, prior_sigma: float = quantize.PRIOR_SIGMA,
                 rebalance_lambda: float = quantize.REBALANCE_LAMBDA,
                 decode: str = DEFAULT_DECODER,
                 temperature: float = quantize.ANNEAL_TEMPERATURE, top_k: int = quantize.TOP_K,
                 loss_resolution: str = "logits", **kwargs):
        super().__init__(generator, **kwargs)
        if decode not in DECODERS:
            raise ValueError(f"decode {decode!r}: expected one of {', '.join(DECODERS)}")
        if loss_resolution not in LOSS_RESOLUTIONS:
            raise ValueError(f"loss_resolution {loss_resolution!r}: expected one of "
                             f"{LOSS_RESOLUTIONS}")
        centres = np.asarray(centres, np.float32)
        bins = len(centres)
        self.neighbours, self.sigma, self.prior_sigma = int(neighbours), float(sigma), \
            float(prior_sigma)
        self.rebalance_lambda = float(rebalance_lambda)
        self.decode_method, self.temperature, self.top_k = decode, float(temperature), \
            int(top_k)
        self.loss_resolution = loss_resolution
        # Per-run state, restored from ARTIFACTS; variables so traced steps see new values.
        self.centres = self._state("bin_centres", centres)
        self.prior = self._state("bin_prior", np.full([bins], 1.0 / bins, np.float32))
        self.bin_weights = self._state("bin_weights", np.ones([bins], np.float32))
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_tracker = keras.metrics.Mean(name="mae")

    def _state(self, name: str, value: np.ndarray):
        return self.add_weight(name=name, shape=value.shape, dtype="float32", trainable=False,
                               initializer=keras.initializers.Constant(value), autocast=False)

    @property
    def num_bins(self) -> int:
        return int(self.centres.shape[0])

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_tracker]

    def per_example_loss(self, ab: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
        """Kumar et al.'s rebalanced cross-entropy per image: ``-1/HW sum_hw v(Z_hw) sum_q
        Z_hwq log Zhat_hwq``, Z the 5-NN soft-encoding, v the weight of the nearest bin."""
        logits = tf.cast(logits, tf.float32)
        if self.loss_resolution == "logits":
            ab = area_downsample(ab, logits)
        else:
            logits = tf.image.resize(logits, tf.shape(ab)[1:3], method="bilinear")
        indices, targets = quantize.soft_encode(color.ab_to_lab_units(ab), self.centres,
                                                self.neighbours, self.sigma)
        log_probabilities = tf.gather(tf.nn.log_softmax(logits, axis=-1), indices, batch_dims=3)
        cross_entropy = -tf.reduce_sum(targets * log_probabilities, axis=-1)
        rebalance = tf.gather(self.bin_weights, indices[..., 0])
        return tf.reduce_mean(rebalance * cross_entropy, axis=[1, 2])

    def train_step(self, data):
        lightness, ab = data["L"], data["ab"]
        with tf.GradientTape() as tape:
            logits = self.generator(lightness, training=True)
            per_example = self.per_example_loss(ab, logits)
            scaled = self.optimizer.scale_loss(losses.global_mean(per_example))
        variables = self.generator.trainable_variables
        gradients = tape.gradient(scaled, variables)
        self.optimizer.apply_gradients(zip(gradients, variables, strict=True))
        return self._track(per_example, ab, logits)

    def test_step(self, data):
        logits = self.generator(data["L"], training=False)
        return self._track(self.per_example_loss(data["ab"], logits), data["ab"], logits)

    def _track(self, per_example, ab, logits):
        """Loss, and the MAE of the default decoding (decoded at the logits' resolution and
        resized, which is cheaper than ``predict_ab`` and close enough to follow training)."""
        units = quantize.decode(tf.cast(logits, tf.float32), self.centres, self.decode_method,
                                self.temperature, self.top_k)
        prediction = tf.image.resize(color.lab_units_to_ab(units), tf.shape(ab)[1:3])
        self.loss_tracker.update_state(per_example)
        self.mae_tracker.update_state(losses.per_example_l1(ab, prediction))
        return {m.name: m.result() for m in self.metrics}

    def predict_ab(self, lightness: tf.Tensor, decode: str | None = None,
                   temperature: float | None = None) -> tf.Tensor:
        """Scaled ab for scaled L: logits upsampled (bilinear) to the input size, then
        decoded per pixel with ``decode`` (one of ``DECODERS``; None: the preset's) at
        ``temperature`` (annealed mean only; None: the preset's)."""
        logits = tf.cast(self.generator(lightness, training=False), tf.float32)
        logits = tf.image.resize(logits, tf.shape(lightness)[1:3], method="bilinear")
        units = quantize.decode(logits, self.centres, decode or self.decode_method,
                                self.temperature if temperature is None else temperature,
                                self.top_k)
        return color.lab_units_to_ab(units)

    def prepare(self, train_batches: tf.data.Dataset) -> None:
        """The rebalancing weights from the ab histogram of the training examples
        (batches of ``{"ab": ...}``), smoothed into the prior (Kumar et al. §3.4)."""
        counts = pixel_bin_counts(train_batches, self.centres)
        if float(tf.reduce_sum(counts)) == 0:
            raise ValueError("classification: the training split has no images to compute "
                             "the colour prior from")
        self.prior.assign(quantize.smooth_prior(counts, self.centres, self.prior_sigma))
        self.bin_weights.assign(quantize.rebalancing_weights(self.prior, self.rebalance_lambda))

    def artifacts(self) -> dict[str, np.ndarray]:
        """Bin centres, smoothed prior and rebalancing weights."""
        return {"centres": self.centres.numpy(), "prior": self.prior.numpy(),
                "weights": self.bin_weights.numpy()}

    def load_artifacts(self, arrays: dict[str, np.ndarray]) -> None:
        """Restores ``artifacts()``, so decoding uses the centres the run was trained with."""
        missing = {"centres", "prior", "weights"} - set(arrays)
        if missing:
            raise ValueError(f"the run's artifacts lack {sorted(missing)}; was it trained by "
                             "the classification method?")
        if arrays["centres"].shape != (self.num_bins, 2):
            raise ValueError(f"the run's artifacts hold {len(arrays['centres'])} bins but the "
                             f"network predicts {self.num_bins}")
        self.centres.assign(arrays["centres"])
        self.prior.assign(arrays["prior"])
        self.bin_weights.assign(arrays["weights"])


def area_downsample(ab: tf.Tensor, like: tf.Tensor) -> tf.Tensor:
    """``ab`` area-averaged to the spatial size of ``like``: average pooling when the
    factor is a whole number (which XLA compiles; its area resize it does not)."""
    size, target = ab.shape[1], like.shape[1]
    if size and target and size % target == 0 and ab.shape[2] == like.shape[2] * (size // target):
        factor = size // target
        return tf.nn.avg_pool2d(ab, factor, factor, "VALID")
    return tf.image.resize(ab, tf.shape(like)[1:3], method="area")


def pixel_bin_counts(batches: tf.data.Dataset, centres) -> tf.Tensor:
    """How many pixels of ``batches`` (dicts with scaled ``"ab"``) fall nearest to each
    bin."""
    centres = tf.convert_to_tensor(centres)

    def add(total, batch):
        return total + quantize.bin_counts(color.ab_to_lab_units(batch["ab"]), centres)

    return batches.reduce(tf.zeros([centres.shape[0]], tf.float32), add)


def build(method: MethodConfig, num_classes: int = 0,
          seed: int | None = None) -> ClassificationColorizer:
    """The classification colorizer described by ``method`` (not compiled)."""
    del num_classes, seed  # unused by this method
    centres = quantize.make_bins(method.bins)
    generator = models.build({**method.generator, "num_bins": int(centres.shape[0])})
    return ClassificationColorizer(
        generator, centres.numpy(), neighbours=method.neighbours, sigma=method.soft_sigma,
        prior_sigma=method.prior_sigma, rebalance_lambda=method.rebalance_lambda,
        decode=method.decode, temperature=method.temperature, top_k=method.top_k,
        loss_resolution=method.loss_resolution)
