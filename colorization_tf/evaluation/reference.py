"""Semantic interpretability and distribution scores (Li and Wang; Tran and Ly).

A reference classifier is trained on the colour training images of a labelled dataset and
stored as its own run directory; evaluation then feeds it gray, colorized and ground-truth
images. Its softmax gives an Inception-style score and its penultimate features a Frechet
distance, so both work offline. With a local InceptionV3 weights file, the same scores are
also computed with InceptionV3 (``InceptionNetwork``).
"""

from __future__ import annotations

import dataclasses
import os
import warnings

import keras
import numpy as np
import scipy.linalg
import tensorflow as tf

from colorization_tf import color, files
from colorization_tf.data import DataConfig, load_split, make_dataset, steps_per_epoch
from colorization_tf.evaluation import intervals
from colorization_tf.models.reference import ReferenceClassifier
from colorization_tf.training.run_dir import RunDir, RunDirError

KIND = "reference_classifier"


def _rgb_and_label(example: dict) -> tuple[tf.Tensor, tf.Tensor]:
    return color.model_to_rgb(example["L"], example["ab"]), example["label"]


def train_reference(data: DataConfig, run_dir: str, *, epochs: int = 10, batch_size: int = 64,
                    learning_rate: float = 1e-3, filters=(32, 64, 128), feature_dim: int = 128,
                    seed: int = 0, verbose: int | str = "auto") -> dict:
    """Trains the reference classifier on the colour training images of ``data`` into
    ``run_dir`` (config.json, classifier.weights.h5, history.csv, metrics.json with the
    validation accuracy) and returns the metrics."""
    _, report = load_split(data, "train")
    num_classes = int(report.get("num_classes", 0))
    if num_classes < 2:
        raise ValueError(f"--dataset={data.dataset} has no class labels; the reference "
                         "classifier needs a labelled dataset (e.g. cifar10, samples, or "
                         "folder:PATH with one sub-folder per class)")
    steps = steps_per_epoch(data, "train", batch_size)
    if steps < 1:
        raise ValueError(f"batch size {batch_size} is larger than the training split of "
                         f"--dataset={data.dataset}")
    run = RunDir(run_dir)
    run.create()
    network = {"num_classes": num_classes, "filters": list(filters), "feature_dim": feature_dim}
    config = {"kind": KIND, "method": KIND, "network": network, "epochs": int(epochs),
              "batch_size": int(batch_size), "learning_rate": learning_rate, "seed": int(seed),
              "data": dataclasses.asdict(data)}
    keras.utils.set_random_seed(seed)
    model = ReferenceClassifier(**network)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    train_ds = make_dataset(data, "train", batch_size, training=True).map(_rgb_and_label)
    val_ds = make_dataset(data, "val", batch_size).map(_rgb_and_label)
    history = keras.callbacks.CSVLogger(run.history)
    model.fit(train_ds, epochs=epochs, steps_per_epoch=steps, validation_data=val_ds,
              callbacks=[history], verbose=verbose, shuffle=False)
    with files.atomic_path(run.classifier_weights) as tmp:
        model.save_weights(tmp)
    files.write_json(run.config, config)
    results = dict(zip(["val_loss", "val_accuracy"], model.evaluate(val_ds, verbose=0),
                       strict=True))
    run.write_metrics(results)
    return results


def load_reference(run_dir: str) -> tuple[ReferenceClassifier, dict]:
    """The trained reference classifier stored in ``run_dir`` and its config."""
    run = RunDir(run_dir)
    run.require()
    config = files.read_json(run.config)
    if config.get("kind") != KIND:
        raise RunDirError(f"{run_dir!r} is not a reference-classifier run (train one "
                               "with colorization-evaluate --train_reference=DIR)")
    weights = run.classifier_weights
    if not os.path.isfile(weights):
        raise RunDirError(f"reference run {run_dir!r} has no {os.path.basename(weights)}")
    model = ReferenceClassifier(**config["network"])
    size = config["data"]["image_size"]
    model(tf.zeros([1, size, size, 3]))
    model.load_weights(weights)
    return model, config


class ReferenceNetwork:
    """Features and class probabilities of RGB images from a trained reference classifier
    (images are resized to the size it was trained at)."""

    def __init__(self, run_dir: str):
        self.model, self.config = load_reference(run_dir)
        self.image_size = int(self.config["data"]["image_size"])
        self.description = (f"reference classifier trained in this project on "
                            f"{self.config['data']['dataset']} ({run_dir})")
        self._outputs = tf.function(self._compute, reduce_retracing=True)

    def _compute(self, rgb):
        rgb = tf.image.resize(rgb, [self.image_size, self.image_size])
        features, logits = self.model.features_and_logits(rgb, training=False)
        return features, tf.nn.softmax(logits)

    def outputs(self, rgb: tf.Tensor) -> tuple[np.ndarray, np.ndarray]:
        features, probs = self._outputs(tf.convert_to_tensor(rgb, tf.float32))
        return features.numpy(), probs.numpy()


class InceptionNetwork:
    """InceptionV3 from a local weights file (ImageNet weights cannot be downloaded here):
    2048-d average-pool features and the 1000-way softmax, on images resized to 299."""

    def __init__(self, weights_path: str):
        if not os.path.isfile(weights_path):
            raise FileNotFoundError(f"--inception_weights={weights_path}: no such file")
        base = keras.applications.InceptionV3(weights=weights_path, include_top=True)
        self.model = keras.Model(base.inputs, [base.get_layer("avg_pool").output, base.output])
        self.description = f"InceptionV3 with weights {weights_path}"
        self._outputs = tf.function(self._compute, reduce_retracing=True)

    def _compute(self, rgb):
        rgb = tf.image.resize(rgb, [299, 299])
        return self.model(keras.applications.inception_v3.preprocess_input(rgb * 255.0),
                          training=False)

    def outputs(self, rgb: tf.Tensor) -> tuple[np.ndarray, np.ndarray]:
        features, probs = self._outputs(tf.convert_to_tensor(rgb, tf.float32))
        return np.asarray(features), np.asarray(probs)


class Collector:
    """Accumulates a network's features and probabilities (and the true labels) over the
    batches of one set of images: gray, one run's colorizations, or the ground truth."""

    def __init__(self):
        self.features, self.probs, self.labels = [], [], []

    def add(self, network, rgb: tf.Tensor, labels: tf.Tensor) -> None:
        features, probs = network.outputs(rgb)
        self.features.append(features)
        self.probs.append(probs)
        self.labels.append(np.asarray(labels))

    def correct(self) -> np.ndarray | None:
        """1.0 / 0.0 per labelled image: whether the network's top class is the label
        (None when no image is labelled)."""
        probs, labels = np.concatenate(self.probs), np.concatenate(self.labels)
        labelled = (labels >= 0) & (labels < probs.shape[1])
        if not labelled.any():
            return None
        return (probs[labelled].argmax(1) == labels[labelled]).astype(np.float64)

    def summary(self, reference: Collector | None = None,
                bootstrap: intervals.BootstrapConfig | None = None) -> dict:
        """accuracy (over labelled images) with its bootstrap interval over the images
        (``accuracy_ci``), inception_score and, against ``reference``,
        frechet_distance."""
        correct = self.correct()
        accuracy = intervals.mean_interval(correct, bootstrap) if correct is not None else None
        out = {"accuracy": accuracy.value if accuracy else None,
               "accuracy_ci": accuracy.bounds if accuracy else None,
               "inception_score": inception_score(np.concatenate(self.probs))}
        if reference is not None:
            out["frechet_distance"] = frechet_distance(np.concatenate(self.features),
                                                       np.concatenate(reference.features))
        return out


def inception_score(probs: np.ndarray, eps: float = 1e-12) -> float:
    """exp(E_x KL(p(y|x) || p(y))) over all images at once (Salimans et al. 2016): 1 when
    every prediction is the same, the number of classes at best."""
    probs = np.asarray(probs, np.float64)
    marginal = probs.mean(axis=0, keepdims=True)
    kl = np.sum(probs * (np.log(probs + eps) - np.log(marginal + eps)), axis=1)
    return float(np.exp(kl.mean()))


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (Heusel et al. 2017):
    |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)). Meaningful only with many more
    images than feature dimensions."""
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    with warnings.catch_warnings():  # few images per feature give singular covariances
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        root = scipy.linalg.sqrtm(cov_a @ cov_b)
    if not np.isfinite(root).all():
        offset = np.eye(len(cov_a)) * 1e-6
        root = scipy.linalg.sqrtm((cov_a + offset) @ (cov_b + offset))
    distance = np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2.0 * np.real(root))
    return float(max(distance, 0.0))
