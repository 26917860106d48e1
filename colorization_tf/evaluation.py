"""Scores colorizers on a split: the metrics of ``metrics.py`` averaged over images, for
each model and for the "predict no colour" baseline (a* = b* = 0); ``evaluate_runs`` does
this for several run directories at once (what ``colorization-evaluate`` reports)."""

from __future__ import annotations

import dataclasses
import importlib
import os
import re
import sys
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from colorization_tf import color, metrics, runs
from colorization_tf.data import count_examples, make_dataset, spread_examples

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
MAE_SPLITS = ("train", "val", "test")
# Seed 004's decoders plus seed 002's annealed mean; names are matched to DECODERS loosely.
DECODER_SETTINGS = (("mode", "mode", None), ("mean", "mean", None),
                    ("annealed T=0.38", "annealed", 0.38), ("annealed T=0.89", "annealed", 0.89),
                    ("top-k", "topk", None))


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


_batch_scores = tf.function(per_example_scores, reduce_retracing=True)


def no_colour(lightness: tf.Tensor) -> tf.Tensor:
    """The baseline predictor: every pixel gray."""
    return color.gray_ab(lightness)


def score(predict: PredictFn, batches: tf.data.Dataset, *,
          progress: keras.utils.Progbar | None = None, on_batch: BatchFn | None = None,
          names: tuple[str, ...] | None = None) -> dict[str, float]:
    """Mean of each metric over every image in ``batches`` (dicts with "L" and "ab"), or
    of only ``names``. PSNR of a perfect image is infinite; those images are left out of
    the PSNR mean and counted in ``psnr_perfect``. ``on_batch(batch, ab_pred)`` sees each
    batch; ``progress`` is advanced once per batch."""
    values: dict[str, list[np.ndarray]] = {}
    for step, batch in enumerate(batches):
        ab_pred = predict(batch["L"])
        if names == ("mae",):
            scores = {"mae": metrics.mae(batch["ab"], ab_pred)}
        else:
            scores = _batch_scores(batch["L"], batch["ab"], ab_pred)
        for name, value in scores.items():
            if names is None or name in names:
                values.setdefault(name, []).append(value.numpy())
        if on_batch is not None:
            on_batch(batch, ab_pred)
        if progress is not None:
            progress.update(step + 1)
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


# ------------------------------------------------------------------ several runs


@dataclasses.dataclass
class Evaluation:
    """What ``evaluate_runs`` found: JSON-ready numbers and the images for the figures."""

    results: dict
    images: dict
    run_dirs: list[str]


def run_names(run_dirs: list[str]) -> list[str]:
    """Short, unique display names: each directory's base name (numbered if repeated)."""
    names = []
    for run_dir in run_dirs:
        base = os.path.basename(os.path.normpath(run_dir)) or run_dir
        name, k = base, 2
        while name in names:
            name, k = f"{base}-{k}", k + 1
        names.append(name)
    return names


def make_predict(colorizer, decode: str | None = None,
                 temperature: float | None = None) -> PredictFn:
    """The colorizer's ``predict_ab`` as a compiled function of scaled L."""
    return tf.function(lambda lightness: colorizer.predict_ab(
        lightness, decode=decode, temperature=temperature), reduce_retracing=True)


def _count_batches(data, split: str, batch_size: int) -> int:
    return -(-count_examples(data, split) // batch_size)


def _progress(data, split: str, batch_size: int, verbose: int) -> keras.utils.Progbar | None:
    if not verbose:
        return None
    return keras.utils.Progbar(_count_batches(data, split, batch_size), verbose=verbose,
                               unit_name="batch")


def evaluate_runs(run_dirs: list[str], dataset: str | None = None, split: str = "test", *,
                  batch_size: int = 64, max_examples: int | None = None,
                  decode: str | None = None, temperature: float | None = None,
                  num_images: int = 8, reference_dir: str | None = None,
                  inception_weights: str | None = None, verbose: int = 1) -> Evaluation:
    """Scores every run on ``split`` of ``dataset`` (default: each run's own): MAE on
    train/val/test (Table 1), every metric of ``METRICS`` on ``split``, the decoders of
    classification runs, and, with a reference classifier, seed 002's accuracy table and
    the distribution scores. Raises ``runs.RunDirError`` naming a run that cannot load."""
    loaded = [runs.load_colorizer(run_dir) for run_dir in run_dirs]
    names = run_names(run_dirs)
    networks = _distribution_networks(reference_dir, inception_weights)
    first_data = runs.data_config(loaded[0][1], dataset=dataset, max_examples=max_examples)
    pick = spread_examples(first_data, split, num_images)
    display_size = int(pick["L"].shape[1])
    images = {"gray": _rgb(pick["L"], color.gray_ab(pick["ab"])),
              "original": _rgb(pick["L"], pick["ab"]), "runs": {}, "decoders": {}}
    results = {"dataset": first_data.dataset, "split": split, "runs": [],
               "max_examples": max_examples, "decode": decode, "temperature": temperature}

    for name, run_dir, (colorizer, config) in zip(names, run_dirs, loaded, strict=True):
        data = runs.data_config(config, dataset=dataset, max_examples=max_examples)
        predict = make_predict(colorizer, decode, temperature)
        collectors = {key: _new_collector() for key in networks}
        if verbose:
            print(f"{name}: scoring {split} split of {data.dataset}")
        full = score(predict, make_dataset(data, split, batch_size),
                     progress=_progress(data, split, batch_size, verbose),
                     on_batch=_feed(networks, collectors, predict=True))
        mae = {s: (full["mae"] if s == split else
                   score(predict, make_dataset(data, s, batch_size), names=("mae",))["mae"])
               for s in MAE_SPLITS}
        entry = {"name": name, "run_dir": run_dir, "preset": config.get("preset"),
                 "method": config.get("method"), "mae": mae, "metrics": full}
        sample = spread_examples(data, split, num_images)
        images["runs"][name] = _resized(_rgb(sample["L"], predict(sample["L"])), display_size)
        if collectors:
            entry["distribution"] = collectors
        if config.get("method") == "classification":
            entry["decoders"], images["decoders"][name] = _compare_decoders(
                colorizer, data, split, batch_size, sample, display_size, verbose)
        results["runs"].append(entry)

    results["no_colour"] = score(no_colour, make_dataset(first_data, split, batch_size))
    if networks:
        results["distribution"] = _distribution_results(networks, first_data, split,
                                                        batch_size, results["runs"])
    return Evaluation(results, images, list(run_dirs))


def _rgb(lightness, ab) -> np.ndarray:
    return color.model_to_rgb(lightness, ab).numpy()


def _resized(rgb: np.ndarray, size: int) -> np.ndarray:
    if rgb.shape[1] == size and rgb.shape[2] == size:
        return rgb
    return tf.clip_by_value(tf.image.resize(rgb, [size, size]), 0.0, 1.0).numpy()


# ------------------------------------------------------------------ decoders


def decoder_settings(available) -> list[tuple[str, str, float | None]]:
    """(label, DECODERS name, temperature) for the decoders a classification module offers:
    ``DECODER_SETTINGS`` first where a name matches, then any other decoder it has."""
    def normal(name: str) -> str:
        return re.sub(r"[^a-z0-9]", "", name.lower())

    names = list(available)
    used, settings = set(), []
    for label, wanted, temperature in DECODER_SETTINGS:
        match = [n for n in names if normal(n) == normal(wanted)] or \
                [n for n in names if normal(n).startswith(normal(wanted))]
        if match:
            settings.append((label, match[0], temperature))
            used.add(match[0])
    settings += [(n, n, None) for n in names if n not in used]
    return settings


def _decoders_of(colorizer) -> list[str]:
    module = sys.modules.get(type(colorizer).__module__)
    decoders = getattr(module, "DECODERS", None)
    if decoders is None:
        decoders = importlib.import_module("colorization_tf.colorizers.classification").DECODERS
    return list(decoders)


def _compare_decoders(colorizer, data, split, batch_size, sample, display_size, verbose):
    """Colorfulness, MAE and PSNR of every decoder setting, and their images."""
    table, grid = [], {}
    for label, decode, temperature in decoder_settings(_decoders_of(colorizer)):
        predict = make_predict(colorizer, decode, temperature)
        scores = score(predict, make_dataset(data, split, batch_size))
        table.append({"decoder": label, "decode": decode, "temperature": temperature,
                      **{k: scores[k] for k in ("colorfulness", "colorfulness_true", "mae",
                                                "psnr", "psnr_perfect")}})
        grid[label] = _resized(_rgb(sample["L"], predict(sample["L"])), display_size)
        if verbose:
            print(f"  decoder {label}: MAE {scores['mae']:.4f}, PSNR {scores['psnr']:.2f} dB, "
                  f"colorfulness {scores['colorfulness']:.2f}")
    return table, grid


# ------------------------------------------------------------------ distribution scores


def _distribution_networks(reference_dir: str | None, inception_weights: str | None) -> dict:
    from colorization_tf import reference

    networks = {}
    if reference_dir:
        networks["reference"] = reference.ReferenceNetwork(reference_dir)
    if inception_weights:
        networks["inception"] = reference.InceptionNetwork(inception_weights)
    return networks


def _new_collector():
    from colorization_tf import reference

    return reference.Collector()


def _feed(networks: dict, collectors: dict, predict: bool = False,
          gray: bool = False) -> BatchFn | None:
    """An ``on_batch`` that feeds the predicted (or gray, or true) RGB to each network."""
    if not networks:
        return None

    def on_batch(batch, ab_pred):
        ab = color.gray_ab(batch["ab"]) if gray else ab_pred if predict else batch["ab"]
        rgb = color.model_to_rgb(batch["L"], ab)
        for key, network in networks.items():
            collectors[key].add(network, rgb, batch["label"])

    return on_batch


def _distribution_results(networks, data, split, batch_size, run_entries) -> dict:
    """Seed 002's table and the distribution scores: accuracy, Inception-style score and
    Frechet distance to the ground truth for gray, each run and the ground truth."""
    truth = {key: _new_collector() for key in networks}
    gray = {key: _new_collector() for key in networks}
    batches = make_dataset(data, split, batch_size)
    score(no_colour, batches, on_batch=_feed(networks, truth), names=("mae",))
    score(no_colour, batches, on_batch=_feed(networks, gray, gray=True), names=("mae",))
    out = {}
    for key, network in networks.items():
        rows = {"Grayscale": gray[key].summary(truth[key])}
        for entry in run_entries:
            rows[entry["name"]] = entry["distribution"][key].summary(truth[key])
        rows["Ground truth"] = truth[key].summary(truth[key])
        out[key] = {"network": network.description, "rows": rows}
    for entry in run_entries:
        entry["distribution"] = {key: out[key]["rows"][entry["name"]] for key in networks}
    return out
