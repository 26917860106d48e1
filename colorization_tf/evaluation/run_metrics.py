"""A finished run's own scores, from its run directory through the inference layer:
metrics.json (val/test scores and the no-colour baseline) and samples.png (whole
held-out photographs: gray / colorized / original). With ``--eval_examples=N`` the scores
are taken on N images spread evenly over each split (the same ones every time)."""

from __future__ import annotations

import numpy as np

from colorization_tf import color
from colorization_tf.data import make_dataset, pipeline
from colorization_tf.data.display import held_out_images
from colorization_tf.evaluation import figures
from colorization_tf.evaluation.scoring import score_with_baseline
from colorization_tf.inference import Predictor, load_run
from colorization_tf.training.run_dir import RunDir

EVAL_BATCH = 64


def write_run_metrics(run_dir: str) -> dict:
    """Scores the run's val and test splits, writes metrics.json and samples.png into the
    run directory and returns the metrics."""
    run = RunDir(run_dir)
    predictor = load_run(run)
    data = predictor.config.data
    examples = getattr(predictor.config.runtime, "eval_examples", None)
    results = {}
    for split in ("val", "test"):
        results[split] = score_with_baseline(
            predictor.predict, make_dataset(data, split, EVAL_BATCH, examples=examples))
        report = pipeline.load_split(data, split)[1]
        if examples:  # scored on a fixed subset spread over the split (--eval_examples)
            report = {**report, "scored": min(pipeline.count_examples(data, split), examples)}
        results[split]["data"] = report
    run.write_metrics(results)
    write_samples(predictor, run.samples)
    return results


def write_samples(predictor: Predictor, path: str) -> None:
    """samples.png: each held-out photograph gray, colorized at full resolution, and as
    it really is."""
    rows = []
    for name, image in held_out_images(predictor.config.data):
        rgb = image.astype(np.float32) / 255.0
        lightness, _ = color.rgb_to_model(rgb)
        gray = color.model_to_rgb(lightness, color.gray_ab(lightness)).numpy()
        rows.append((name, [gray, predictor.colorize_rgb(rgb), image]))
    figures.photo_table(rows, ["gray (input)", "colorized", "original"], path)
