"""Scores a colorizer on a split: the metrics of ``metrics.py`` averaged over images, for
the model and for the "predict no colour" baseline (a* = b* = 0)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf

from colorization_tf import color, metrics

PredictFn = Callable[[tf.Tensor], tf.Tensor]


def per_example_scores(lightness, ab_true, ab_pred) -> dict[str, tf.Tensor]:
    """Every per-example metric for one batch."""
    rgb_true = metrics.to_uint8_rgb(lightness, ab_true)
    rgb_pred = metrics.to_uint8_rgb(lightness, ab_pred)
    return {"mae": metrics.mae(ab_true, ab_pred), "mse": metrics.mse(ab_true, ab_pred),
            "psnr": metrics.psnr(rgb_true, rgb_pred), "ssim": metrics.ssim(rgb_true, rgb_pred)}


def no_colour(lightness: tf.Tensor) -> tf.Tensor:
    """The baseline predictor: every pixel gray."""
    return color.gray_ab(lightness)


def score(predict: PredictFn, batches: tf.data.Dataset) -> dict[str, float]:
    """Mean of each metric over every image in ``batches`` (dicts with "L" and "ab").
    PSNR of a perfect image is infinite; those images are left out of the PSNR mean and
    counted in ``psnr_perfect``."""
    values: dict[str, list[np.ndarray]] = {}
    for batch in batches:
        scores = per_example_scores(batch["L"], batch["ab"], predict(batch["L"]))
        for name, value in scores.items():
            values.setdefault(name, []).append(value.numpy())
    out = {"count": int(sum(len(v) for v in values.get("mae", [])))}
    for name, parts in values.items():
        joined = np.concatenate(parts).astype(np.float64)
        finite = joined[np.isfinite(joined)]
        out[name] = float(finite.mean()) if finite.size else float("inf")
        if name == "psnr":
            out["psnr_perfect"] = int((~np.isfinite(joined)).sum())
    return out


def score_with_baseline(predict: PredictFn, batches: tf.data.Dataset) -> dict:
    """``{"model": score(predict), "no_colour": score(baseline)}`` on the same images."""
    return {"model": score(predict, batches), "no_colour": score(no_colour, batches)}
