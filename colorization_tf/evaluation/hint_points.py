"""Scoring against the number of user hints, as Zhang et al. 2017 do (their PSNR against
the number of revealed points): ``N`` points are revealed from the ground truth, each method
colours the image from L plus those hints, and PSNR and ab MAE are averaged per ``N``.

The points are the same for every method and come from the one sampler that also
simulates the users of training (``data.hints.draw_points``, protocol in its module
docstring), with ``"distinct"`` locations: for image ``i`` of the split, a permutation of
the image's pixels keyed by ``(seed, i)`` (uniform locations, all distinct), and ``N``
points are the first ``N`` of it, so 10 points contain the 5. Each point reveals the
ground-truth ab at its pixel (``patch_size`` 1, the default; an odd ``patch_size`` reveals
the patch's mean ab, as the simulated users of Zhang et al. 2017 do in training, clipped
at the border). An automatic method ignores the hints and draws a flat line.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from colorization_tf import files  # noqa: E402
from colorization_tf.data import hints as simulated  # noqa: E402
from colorization_tf.evaluation import intervals, metrics  # noqa: E402
from colorization_tf.evaluation.tables import markdown_table  # noqa: E402
from colorization_tf.inference import optimization  # noqa: E402

# (L [B,H,W,1], hint_ab [B,H,W,2], hint_mask [B,H,W,1]) -> ab [B,H,W,2], all scaled.
HintColorizeFn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
DEFAULT_COUNTS = (0, 1, 2, 5, 10, 20, 50)


def parse_counts(text: str) -> list[int]:
    """``"0,1,2,5"`` -> ``[0, 1, 2, 5]`` (``--hints``); one-line ``ValueError`` otherwise."""
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as err:
        raise ValueError(f"--hints={text}: expected comma-separated point counts such as "
                         "0,1,2,5,10,20,50") from err
    if not counts or min(counts) < 0:
        raise ValueError(f"--hints={text}: expected non-negative point counts such as "
                         "0,1,2,5,10,20,50")
    return sorted(set(counts))


def sample_hints(ab_true: np.ndarray, count: int, seed: int, image_index: int,
                 patch_size: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``(hint_ab [H,W,2], hint_mask [H,W,1])`` revealing ``count`` points of one image's
    true scaled ab ``[H,W,2]``: the simulated user of training (``data.hints.draw_points``
    and ``rasterise``, the one sampler) with the evaluation's protocol, ``"distinct"``
    locations and ``patch_size`` sides, keyed by ``(seed, image_index)``."""
    if patch_size < 1 or patch_size % 2 == 0:
        raise ValueError(f"patch_size must be a positive odd number, got {patch_size}")
    height, width = np.shape(ab_true)[:2]
    key = tf.constant([seed * 16 + simulated.SCORE_SALT, image_index], tf.int64)
    points = simulated.draw_points(key, height, width, locations="distinct", count=count,
                                   patch_sizes=(patch_size, patch_size))
    hint_ab, hint_mask = simulated.rasterise(ab_true, points["corners"], points["sizes"],
                                             points["active"])
    return hint_ab.numpy(), hint_mask.numpy()


def optimization_colorize(lightness: np.ndarray, hint_ab: np.ndarray,
                          hint_mask: np.ndarray) -> np.ndarray:
    """Levin et al. 2004 on each image of a batch, solved at the image's own size."""
    return np.stack([optimization.solve_ab(l_one[..., 0], ab_one, mask_one)
                     for l_one, ab_one, mask_one in zip(np.asarray(lightness), hint_ab,
                                                        hint_mask, strict=True)])


def automatic(predict: Callable[[tf.Tensor], tf.Tensor]) -> HintColorizeFn:
    """A method that reads no hints (a plain run's ``Predictor``): the same ab for every N."""
    return lambda lightness, hint_ab, hint_mask: np.asarray(predict(tf.constant(lightness)))


def run_colorize(predictor) -> HintColorizeFn:
    """A run's colorize function: a Predictor that reads hints (``accepts_hints``, the
    learned-hints presets of Zhang et al. 2017) gets the maps; any other is automatic."""
    if not getattr(predictor, "accepts_hints", False):
        return automatic(predictor.predict)

    def colorize(lightness, hint_ab, hint_mask):
        return np.asarray(predictor.predict(tf.constant(lightness), tf.constant(hint_ab),
                                            tf.constant(hint_mask)))

    return colorize


def score_against_hints(colorize: HintColorizeFn, batches, counts: Sequence[int], *,
                        seed: int = 0, patch_size: int = 1) -> dict[str, list[float]]:
    """Mean PSNR (dB, uint8 sRGB; identical images left out as in ``scoring.score``, inf
    when every image is) and
    ab MAE (scaled) over every image of ``batches`` for each number of points in
    ``counts``: ``{"points": [...], "psnr": [...], "mae": [...]}``."""
    psnr = {n: [] for n in counts}
    mae = {n: [] for n in counts}
    index = 0
    for batch in batches:
        lightness, ab_true = np.asarray(batch["L"]), np.asarray(batch["ab"])
        for n in counts:
            maps = [sample_hints(ab, n, seed, index + i, patch_size)
                    for i, ab in enumerate(ab_true)]
            hint_ab = np.stack([m[0] for m in maps])
            hint_mask = np.stack([m[1] for m in maps])
            ab_pred = np.asarray(colorize(lightness, hint_ab, hint_mask), np.float32)
            truth = metrics.to_uint8_rgb(lightness, ab_true)
            psnr[n].append(metrics.psnr(truth, metrics.to_uint8_rgb(lightness, ab_pred)).numpy())
            mae[n].append(metrics.mae(ab_true, ab_pred).numpy())
        index += len(ab_true)

    return {"points": list(counts), "psnr": [intervals.finite_mean(psnr[n]) for n in counts],
            "psnr_ci": [intervals.mean_interval(psnr[n]).bounds for n in counts],
            "mae": [float(np.concatenate(mae[n]).mean()) for n in counts]}


def hints_table(results: dict[str, dict]) -> str:
    """Markdown: one row per method, PSNR (dB) then ab MAE at each number of points."""
    counts = next(iter(results.values()))["points"]
    header = (["Method"] + [f"PSNR @{n}" for n in counts] + [f"MAE @{n}" for n in counts])
    rows = [[name, *[f"{v:.2f}" for v in found["psnr"]], *[f"{v:.4f}" for v in found["mae"]]]
            for name, found in results.items()]
    return markdown_table(header, rows) + "\n"


def hints_figure(results: dict[str, dict], path: str) -> None:
    """PSNR and ab MAE against the number of points, one line per method (the layout of
    Zhang et al. 2017's PSNR-against-points figure; log-spaced x with 0 shown)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for name, found in results.items():
        x = [max(n, 0.5) for n in found["points"]]  # 0 points plotted at 0.5 on a log axis
        left.plot(x, found["psnr"], marker="o", label=name)
        right.plot(x, found["mae"], marker="o", label=name)
    for axis, label in ((left, "PSNR (dB)"), (right, "ab MAE (scaled)")):
        axis.set_xscale("log")
        ticks = [max(n, 0.5) for n in next(iter(results.values()))["points"]]
        axis.set_xticks(ticks, [str(n) for n in next(iter(results.values()))["points"]])
        axis.minorticks_off()
        axis.set_xlabel("number of revealed points")
        axis.set_ylabel(label)
        axis.grid(alpha=0.3)
    left.legend()
    fig.tight_layout()
    with files.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)


# ---------------------------------------------------------------- colorization-evaluate --hints

HINTS_JSON, HINTS_FIGURE = "hints.json", "hints_psnr.png"


def evaluate_with_hints(run_dirs: Sequence[str], counts: Sequence[int], out_dir: str, *,
                        dataset: str | None = None, split: str = "test",
                        batch_size: int = 64, max_examples: int | None = None,
                        image_size: int = 32, seed: int = 0) -> tuple[dict, str]:
    """Scores ``optimization`` and every run (:func:`run_colorize`: automatic runs read no
    hints and draw flat lines)
    against ``counts`` points on ``split``; writes ``hints.json`` and ``hints_psnr.png``
    into ``out_dir`` and returns ``(results, markdown section for report.md)``. The data
    are the first run's (on ``dataset`` when given), or ``dataset`` (default ``samples``)
    at ``image_size`` without runs."""
    from colorization_tf.data import DataConfig, make_dataset
    from colorization_tf.evaluation.compare import eval_data, run_names
    from colorization_tf.inference import load_run

    loaded = [load_run(run_dir) for run_dir in run_dirs]
    data = (eval_data(loaded[0], dataset, max_examples) if loaded else
            DataConfig(dataset=dataset or "samples", image_size=image_size,
                       max_examples=max_examples))
    results = {"optimization": score_against_hints(
        optimization_colorize, make_dataset(data, split, batch_size), counts, seed=seed)}
    for name, predictor in zip(run_names(loaded), loaded, strict=True):
        own = eval_data(predictor, dataset, max_examples)
        results[name] = score_against_hints(run_colorize(predictor),
                                            make_dataset(own, split, batch_size), counts,
                                            seed=seed)
    files.write_json(os.path.join(out_dir, HINTS_JSON), {
        "dataset": data.dataset, "split": split, "seed": seed, "patch_size": 1,
        "methods": results})
    hints_figure(results, os.path.join(out_dir, HINTS_FIGURE))
    section = ("\n## PSNR against the number of revealed points (Zhang et al. 2017)\n\n"
               f"Points revealed from the ground truth of the {split} split of {data.dataset} "
               f"(one pixel each, seed {seed}, the same for every method); runs that read no "
               "hints are flat lines. Figure: "
               f"{HINTS_FIGURE}.\n\n" + hints_table(results))
    return results, section
