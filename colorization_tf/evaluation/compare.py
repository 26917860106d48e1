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
from colorization_tf.evaluation import intervals, metrics, paired, reference
from colorization_tf.evaluation.scoring import METRICS, BatchFn, no_colour, score_images, summarize
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
    """What ``evaluate_runs`` found: JSON-ready numbers, the images for the figures and
    each row's per-image values (``per_image[name][split][metric]``, not stored in
    metrics.json; the baseline row is ``BASELINE_ROW``)."""

    results: dict
    images: dict
    run_dirs: list[str]
    per_image: dict = dataclasses.field(default_factory=dict)


BASELINE_ROW = "no_colour"


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
                  names: list[str] | None = None,
                  bootstrap: intervals.BootstrapConfig | None = None) -> Evaluation:
    """Scores every run on ``split`` of ``dataset`` (default: each run's own): MAE on
    train/val/test (Table 1), every metric of ``METRICS`` on ``split``, the decoders of
    classification runs, and, with a reference classifier, Li and Wang's accuracy table and
    the distribution scores; each per-image figure with its bootstrap interval
    (``bootstrap``), and every pair of rows scored on the same images compared
    (``results["paired"]``, ``evaluation.paired``). ``decoders`` (one (decode,
    temperature) per run) and ``names`` let one run directory be scored twice, e.g. with
    the mode and the annealed mean. Raises ``RunDirError`` naming a run that cannot
    load."""
    bootstrap = bootstrap or intervals.BootstrapConfig()
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
               "max_examples": max_examples, "decode": decode, "temperature": temperature,
               "bootstrap": bootstrap.describe()}
    per_image: dict[str, dict[str, dict]] = {}

    for name, run_dir, predict in zip(names, run_dirs, loaded, strict=True):
        data = eval_data(predict, dataset, max_examples)
        collectors = {key: _new_collector() for key in networks}
        if verbose:
            print(f"{name}: scoring {split} split of {data.dataset}")
        values = score_images(predict, make_dataset(data, split, batch_size),
                              progress=_progress(data, split, batch_size, verbose),
                              on_batch=_feed(networks, collectors, predict=True))
        per_image[name] = {split: values}
        for other in MAE_SPLITS:
            if other != split:
                per_image[name][other] = score_images(
                    predict, make_dataset(data, other, batch_size), names=("mae",))
        full = summarize(values, bootstrap)
        if hasattr(predict.colorizer, "predict_rgb"):  # Tran and Ly report RGB output's PSNR
            rgb_psnr = raw_rgb_psnr(predict, make_dataset(data, split, batch_size), bootstrap)
            full["psnr_rgb"], full["ci"]["psnr_rgb"] = rgb_psnr.value, rgb_psnr.bounds
        by_split = {s: summarize({"lightness": per_image[name][s]["lightness"],
                                  "mae": per_image[name][s]["mae"]}, bootstrap)
                    for s in MAE_SPLITS if s != split}
        by_split[split] = full
        entry = {"name": name, "run_dir": run_dir, "preset": predict.config.preset,
                 "method": predict.method,
                 "mae": {s: by_split[s]["mae"] for s in MAE_SPLITS},
                 "mae_ci": {s: by_split[s]["ci"]["mae"] for s in MAE_SPLITS},
                 "metrics": full, "conditions": run_conditions(predict, run_dir, data)}
        if predict.method == "classification":  # the decoder this entry was scored with
            entry["decode"] = predict.decode or predict.config.method.decode
            entry["temperature"] = predict.temperature or predict.config.method.temperature
        sample = spread_examples(data, split, num_images)
        images["runs"][name] = _resized(_rgb(sample["L"], predict(sample["L"])), display_size)
        if collectors:
            entry["distribution"] = collectors
        if predict.method == "classification" and run_dir not in run_dirs[:len(
                results["runs"])]:  # a run scored twice compares its decoders once
            entry["decoders"], images["decoders"][name], entry["decoder_pairs"] = \
                _compare_decoders(predict, data, split, batch_size, sample, display_size,
                                  verbose, bootstrap)
        results["runs"].append(entry)

    baseline = score_images(no_colour, make_dataset(first_data, split, batch_size))
    per_image[BASELINE_ROW] = {split: baseline}
    results["no_colour"] = summarize(baseline, bootstrap)
    results["paired"] = paired_results(per_image, split, bootstrap)
    if networks:
        results["distribution"] = _distribution_results(networks, first_data, split,
                                                        batch_size, results["runs"], bootstrap)
    return Evaluation(results, images, list(run_dirs), per_image)


def same_images(first: dict, second: dict) -> bool:
    """Whether two rows' per-image values (``score_images``) cover the same images in the
    same order: equal counts and equal mean lightness image by image."""
    a, b = first.get("lightness"), second.get("lightness")
    return (a is not None and b is not None and a.shape == b.shape
            and bool(np.allclose(a, b, rtol=0.0, atol=1e-6)))


def paired_results(per_image: dict, split: str,
                   bootstrap: intervals.BootstrapConfig | None = None) -> dict:
    """``{split: {metric: [pair, ...]}}``: on ``split``, every metric of ``METRICS`` for
    every pair of rows (runs, then the no-colour baseline) scored on the same images; on
    the other splits of Table 1, MAE for every pair of runs."""
    out: dict[str, dict[str, list]] = {}
    for s in (split, *[other for other in MAE_SPLITS if other != split]):
        rows = {name: found[s] for name, found in per_image.items() if s in found}
        if len(rows) < 2:
            continue
        out[s] = {}
        for metric in METRICS if s == split else [m for m in METRICS if m.key == "mae"]:
            present = {name: v for name, v in rows.items() if metric.key in v}
            truth = None
            if metric.better == "closer":
                present = {name: v for name, v in present.items() if "colorfulness_true" in v}
                if not present:
                    continue
                truth = {name: v["colorfulness_true"] for name, v in present.items()}
            out[s][metric.key] = paired.compare_rows(
                {name: v[metric.key] for name, v in present.items()}, metric.better,
                bootstrap, truth, same=lambda a, b, p=present: same_images(p[a], p[b]))
    return out


def run_conditions(predictor: Predictor, run_dir: str, data: DataConfig) -> dict:
    """What a paper comparison checks: the training dataset, resolution, epochs asked for
    and trained, and the image limit."""
    config = predictor.config
    return {"train_dataset": config.data.dataset, "eval_dataset": data.dataset,
            "image_size": config.data.image_size, "epochs": config.runtime.epochs,
            "epochs_trained": RunDir(run_dir).resume_epoch(),
            "batch_size": config.runtime.batch_size, "max_examples": config.data.max_examples}


def raw_rgb_psnr(predictor: Predictor, batches: tf.data.Dataset,
                 bootstrap: intervals.BootstrapConfig | None = None) -> intervals.Estimate:
    """Mean PSNR (dB, uint8) of an RGB-predicting run's own sRGB output against the truth,
    its predicted lightness included (what Tran and Ly report for reconstruction), with its
    bootstrap interval over the images."""
    values = []
    for batch in batches:
        truth = metrics.to_uint8_rgb(batch["L"], batch["ab"])
        rgb = predictor.colorizer.predict_rgb(batch["L"])
        values.append(metrics.psnr(truth, tf.cast(tf.round(tf.clip_by_value(rgb, 0.0, 1.0)
                                                            * 255.0), tf.uint8)).numpy())
    return intervals.mean_interval(values, bootstrap)


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


DECODER_COLUMNS = (("colorfulness", "closer"), ("mae", "lower"), ("psnr", "higher"))


def _compare_decoders(predictor: Predictor, data, split, batch_size, sample, display_size,
                      verbose, bootstrap=None):
    """Colorfulness, MAE and PSNR of every decoder setting with their intervals, their
    images, and the paired comparisons of the decoders (``{metric: [pair, ...]}``)."""
    table, grid, rows = [], {}, {}
    for label, decode, temperature in decoder_settings(quantize.DECODERS):
        predict = predictor.with_decoder(decode, temperature)
        rows[label] = score_images(predict, make_dataset(data, split, batch_size))
        scores = summarize(rows[label], bootstrap)
        table.append({"decoder": label, "decode": decode, "temperature": temperature,
                      **{k: scores[k] for k in ("colorfulness", "colorfulness_true", "mae",
                                                "psnr", "psnr_perfect")},
                      "ci": {k: scores["ci"][k] for k, _ in DECODER_COLUMNS}})
        grid[label] = _resized(_rgb(sample["L"], predict(sample["L"])), display_size)
        if verbose:
            print(f"  decoder {label}: MAE {scores['mae']:.4f}, PSNR {scores['psnr']:.2f} dB, "
                  f"colorfulness {scores['colorfulness']:.2f}")
    truth = next(iter(rows.values()))["colorfulness_true"] if rows else None
    pairs = {key: paired.compare_rows({label: v[key] for label, v in rows.items()}, better,
                                      bootstrap, truth if better == "closer" else None)
             for key, better in DECODER_COLUMNS}
    return table, grid, pairs


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


def _distribution_results(networks, data, split, batch_size, run_entries,
                          bootstrap=None) -> dict:
    """Li and Wang's table and the distribution scores: accuracy, Inception-style score and
    Frechet distance to the ground truth for gray, each run and the ground truth."""
    truth = {key: _new_collector() for key in networks}
    gray = {key: _new_collector() for key in networks}
    batches = make_dataset(data, split, batch_size)
    score_images(no_colour, batches, on_batch=_feed(networks, truth), names=("mae",))
    score_images(no_colour, batches, on_batch=_feed(networks, gray, gray=True), names=("mae",))
    out = {}
    for key, network in networks.items():
        collected = {"Grayscale": gray[key],
                     **{entry["name"]: entry["distribution"][key] for entry in run_entries},
                     "Ground truth": truth[key]}
        rows = {name: found.summary(truth[key], bootstrap) for name, found in collected.items()}
        correct = {name: found.correct() for name, found in collected.items()}
        pairs = (paired.compare_rows({n: c for n, c in correct.items() if c is not None},
                                     "higher", bootstrap)
                 if all(c is not None for c in correct.values()) else [])
        out[key] = {"network": network.description, "rows": rows,
                    "paired": {"accuracy": pairs}}
    for entry in run_entries:
        entry["distribution"] = {key: out[key]["rows"][entry["name"]] for key in networks}
    return out
