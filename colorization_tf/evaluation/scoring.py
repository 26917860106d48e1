"""Scoring a predictor on a split: the metrics of ``metrics.py`` averaged over images, for
a model and for the "predict no colour" baseline (a* = b* = 0)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from colorization_tf import color
from colorization_tf.evaluation import intervals, metrics

PredictFn = Callable[[tf.Tensor], tf.Tensor]
BatchFn = Callable[[dict, tf.Tensor], None]


@dataclasses.dataclass(frozen=True)
class Metric:
    key: str
    label: str
    better: str  # "higher", "lower", or "closer" (to the ground truth's value)


METRICS = (
    Metric("mae", "MAE", "lower"),
    Metric("mse", "MSE", "lower"),
    Metric("psnr", "PSNR (dB)", "higher"),
    Metric("ssim", "SSIM", "higher"),
    Metric("ciede2000", "CIEDE2000", "lower"),
    Metric("colorfulness", "Colorfulness", "closer"),
    Metric("acc_2", "Acc. eps=2%", "higher"),
    Metric("acc_5", "Acc. eps=5%", "higher"),
)


def per_example_scores(lightness, ab_true, ab_pred) -> dict[str, tf.Tensor]:
    """Every per-example metric for one batch (``colorfulness_true`` is the ground truth's)."""
    rgb_true = metrics.to_uint8_rgb(lightness, ab_true)
    rgb_pred = metrics.to_uint8_rgb(lightness, ab_pred)
    lab_true = color.denormalize_lab(lightness, ab_true)
    lab_pred = color.denormalize_lab(lightness, ab_pred)
    return {"mae": metrics.mae(ab_true, ab_pred), "mse": metrics.mse(ab_true, ab_pred),
            "psnr": metrics.psnr(rgb_true, rgb_pred), "ssim": metrics.ssim(rgb_true, rgb_pred),
            "ciede2000": metrics.mean_ciede2000(rgb_true, rgb_pred),
            "colorfulness": metrics.colorfulness(rgb_pred),
            "colorfulness_true": metrics.colorfulness(rgb_true),
            "acc_2": metrics.pixel_accuracy(lab_true, lab_pred, 0.02),
            "acc_5": metrics.pixel_accuracy(lab_true, lab_pred, 0.05)}


# One trace per image size: SSIM needs the static size for its window.
_batch_scores = tf.function(per_example_scores)


def no_colour(lightness: tf.Tensor) -> tf.Tensor:
    """The baseline predictor: every pixel gray."""
    return color.gray_ab(lightness)


def score_images(predict: PredictFn, batches: tf.data.Dataset, *,
                 progress: keras.utils.Progbar | None = None, on_batch: BatchFn | None = None,
                 names: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """Every metric (or only ``names``) of every image in ``batches`` (dicts with "L" and
    "ab"), one float64 vector per metric in image order, plus ``lightness`` (each image's
    mean L: which images were scored, so paired comparisons can check they are the same).
    ``on_batch(batch, ab_pred)`` sees each batch; ``progress`` is advanced once per
    batch."""
    values: dict[str, list[np.ndarray]] = {"lightness": []}
    for step, batch in enumerate(batches):
        ab_pred = predict(batch["L"])
        if names == ("mae",):
            scores = {"mae": metrics.mae(batch["ab"], ab_pred)}
        else:
            scores = _batch_scores(batch["L"], batch["ab"], ab_pred)
        for name, value in scores.items():
            if names is None or name in names:
                values.setdefault(name, []).append(value.numpy())
        values["lightness"].append(tf.reduce_mean(batch["L"], axis=[1, 2, 3]).numpy())
        if on_batch is not None:
            on_batch(batch, ab_pred)
        if progress is not None:
            progress.update(step + 1)
    return {name: np.concatenate(parts).astype(np.float64) if parts else np.zeros([0])
            for name, parts in values.items()}


def summarize(per_image: dict[str, np.ndarray],
              bootstrap: intervals.BootstrapConfig | None = None) -> dict:
    """What ``score`` reports from ``score_images``' values: the image ``count``, each
    metric's finite mean (``intervals.finite_mean``), ``psnr_perfect`` (images with
    infinite PSNR, left out of its mean) and ``ci``: each metric's bootstrap interval
    ``[low, high]`` over the images."""
    out: dict = {"count": int(len(per_image.get("lightness", [])))}
    ci = {}
    for name, joined in per_image.items():
        if name == "lightness":
            continue
        found = intervals.mean_interval(joined, bootstrap)
        out[name] = found.value
        ci[name] = found.bounds
        if name == "psnr":
            out["psnr_perfect"] = int((~np.isfinite(joined)).sum())
    out["ci"] = ci
    return out


def score(predict: PredictFn, batches: tf.data.Dataset, *,
          progress: keras.utils.Progbar | None = None, on_batch: BatchFn | None = None,
          names: tuple[str, ...] | None = None,
          bootstrap: intervals.BootstrapConfig | None = None) -> dict:
    """Mean of each metric over every image in ``batches`` (dicts with "L" and "ab"), or
    of only ``names``, with its 95% bootstrap interval in ``ci``. PSNR of a perfect image
    is infinite; those images are left out of the PSNR mean and counted in
    ``psnr_perfect``. ``on_batch(batch, ab_pred)`` sees each batch; ``progress`` is
    advanced once per batch."""
    return summarize(score_images(predict, batches, progress=progress, on_batch=on_batch,
                                  names=names), bootstrap)


def score_with_baseline(predict: PredictFn, batches: tf.data.Dataset) -> dict:
    """``{"model": score(predict), "no_colour": score(baseline)}`` on the same images."""
    return {"model": score(predict, batches), "no_colour": score(no_colour, batches)}
