"""Comparing several runs on one split (what ``colorization-evaluate`` reports): Table 1
MAE on every split, every metric, the decoders of classification runs, Li and Wang's
accuracy table and the distribution scores."""

from __future__ import annotations

import dataclasses
import re

import keras
import numpy as np
import tensorflow as tf

from colorization_tf import color
from colorization_tf.color import quantize
from colorization_tf.data import DataConfig, count_examples, make_dataset, spread_examples
from colorization_tf.evaluation import metrics, reference
from colorization_tf.evaluation.scoring import BatchFn, no_colour, score
from colorization_tf.inference import Predictor, load_run
from colorization_tf.training.run_dir import RunDir

MAE_SPLITS = ("train", "val", "test")
# Tran and Ly's decoders plus Li and Wang's annealed mean; names are matched to DECODERS loosely.
DECODER_SETTINGS = (("mode", "mode", None), ("mean", "mean", None),
                    ("annealed T=0.38", "annealed", 0.38), ("annealed T=0.89", "annealed", 0.89),
                    ("top-k", "topk", None))


# ------------------------------------------------------------------ several runs


@dataclasses.dataclass
class Evaluation:
    """What ``evaluate_runs`` found: JSON-ready numbers and the images for the figures."""

    results: dict
    images: dict
    run_dirs: list[str]


def run_names(predictors: list[Predictor]) -> list[str]:
    """Short, unique display names: each run directory's base name (numbered if
    repeated)."""
    names = []
    for predictor in predictors:
        base = predictor.name
        name, k = base, 2
        while name in names:
            name, k = f"{base}-{k}", k + 1
        names.append(name)
    return names


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
                  inception_weights: str | None = None, verbose: int = 1,
                  decoders: list[tuple[str | None, float | None]] | None = None,
                  names: list[str] | None = None) -> Evaluation:
    """Scores every run on ``split`` of ``dataset`` (default: each run's own): MAE on
    train/val/test (Table 1), every metric of ``METRICS`` on ``split``, the decoders of
    classification runs, and, with a reference classifier, Li and Wang's accuracy table and
    the distribution scores. ``decoders`` (one (decode, temperature) per run) and
    ``names`` let one run directory be scored twice, e.g. with the mode and the annealed
    mean. Raises ``RunDirError`` naming a run that cannot load."""
    decoders = decoders or [(decode, temperature)] * len(run_dirs)
    loaded = [load_run(run_dir, *decoding)
              for run_dir, decoding in zip(run_dirs, decoders, strict=True)]
    names = names or run_names(loaded)
    networks = _distribution_networks(reference_dir, inception_weights)
    first_data = eval_data(loaded[0], dataset, max_examples)
    pick = spread_examples(first_data, split, num_images)
    display_size = int(pick["L"].shape[1])
    images = {"gray": _rgb(pick["L"], color.gray_ab(pick["ab"])),
              "original": _rgb(pick["L"], pick["ab"]), "runs": {}, "decoders": {}}
    results = {"dataset": first_data.dataset, "split": split, "runs": [],
               "max_examples": max_examples, "decode": decode, "temperature": temperature}

    for name, run_dir, predict in zip(names, run_dirs, loaded, strict=True):
        data = eval_data(predict, dataset, max_examples)
        collectors = {key: _new_collector() for key in networks}
        if verbose:
            print(f"{name}: scoring {split} split of {data.dataset}")
        full = score(predict, make_dataset(data, split, batch_size),
                     progress=_progress(data, split, batch_size, verbose),
                     on_batch=_feed(networks, collectors, predict=True))
        if hasattr(predict.colorizer, "predict_rgb"):  # Tran and Ly report RGB output's PSNR
            full["psnr_rgb"] = raw_rgb_psnr(predict, make_dataset(data, split, batch_size))
        mae = {s: (full["mae"] if s == split else
                   score(predict, make_dataset(data, s, batch_size), names=("mae",))["mae"])
               for s in MAE_SPLITS}
        entry = {"name": name, "run_dir": run_dir, "preset": predict.config.preset,
                 "method": predict.method, "mae": mae, "metrics": full,
                 "conditions": run_conditions(predict, run_dir, data)}
        if predict.method == "classification":  # the decoder this entry was scored with
            entry["decode"] = predict.decode or predict.config.method.decode
            entry["temperature"] = predict.temperature or predict.config.method.temperature
        sample = spread_examples(data, split, num_images)
        images["runs"][name] = _resized(_rgb(sample["L"], predict(sample["L"])), display_size)
        if collectors:
            entry["distribution"] = collectors
        if predict.method == "classification" and run_dir not in run_dirs[:len(
                results["runs"])]:  # a run scored twice compares its decoders once
            entry["decoders"], images["decoders"][name] = _compare_decoders(
                predict, data, split, batch_size, sample, display_size, verbose)
        results["runs"].append(entry)

    results["no_colour"] = score(no_colour, make_dataset(first_data, split, batch_size))
    if networks:
        results["distribution"] = _distribution_results(networks, first_data, split,
                                                        batch_size, results["runs"])
    return Evaluation(results, images, list(run_dirs))


def run_conditions(predictor: Predictor, run_dir: str, data: DataConfig) -> dict:
    """What a paper comparison checks: the training dataset, resolution, epochs asked for
    and trained, and the image limit."""
    config = predictor.config
    return {"train_dataset": config.data.dataset, "eval_dataset": data.dataset,
            "image_size": config.data.image_size, "epochs": config.runtime.epochs,
            "epochs_trained": RunDir(run_dir).resume_epoch(),
            "batch_size": config.runtime.batch_size, "max_examples": config.data.max_examples}


def raw_rgb_psnr(predictor: Predictor, batches: tf.data.Dataset) -> float:
    """Mean PSNR (dB, uint8) of an RGB-predicting run's own sRGB output against the truth,
    its predicted lightness included (what Tran and Ly report for reconstruction)."""
    values = []
    for batch in batches:
        truth = metrics.to_uint8_rgb(batch["L"], batch["ab"])
        rgb = predictor.colorizer.predict_rgb(batch["L"])
        values.append(metrics.psnr(truth, tf.cast(tf.round(tf.clip_by_value(rgb, 0.0, 1.0)
                                                            * 255.0), tf.uint8)).numpy())
    joined = np.concatenate(values)
    return float(joined[np.isfinite(joined)].mean())


def eval_data(predictor: Predictor, dataset: str | None,
              max_examples: int | None) -> DataConfig:
    """The run's data settings, on ``dataset`` when given (else its own)."""
    data = predictor.config.data
    return dataclasses.replace(data, dataset=dataset or data.dataset,
                               max_examples=max_examples or data.max_examples)


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


def _compare_decoders(predictor: Predictor, data, split, batch_size, sample, display_size,
                      verbose):
    """Colorfulness, MAE and PSNR of every decoder setting, and their images."""
    table, grid = [], {}
    for label, decode, temperature in decoder_settings(quantize.DECODERS):
        predict = predictor.with_decoder(decode, temperature)
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
    networks = {}
    if reference_dir:
        networks["reference"] = reference.ReferenceNetwork(reference_dir)
    if inception_weights:
        networks["inception"] = reference.InceptionNetwork(inception_weights)
    return networks


def _new_collector():
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
    """Li and Wang's table and the distribution scores: accuracy, Inception-style score and
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
