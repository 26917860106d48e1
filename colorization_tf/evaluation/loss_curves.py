"""Galvão et al.'s Figure 3: training-loss curves from a run's history.csv —
(a) the adversarial losses (D real/fake, G adversarial, C for VAC+GAN, the critic for
WGAN-GP) and (b) the L1/L2 term; a supervised run gets its loss and MAE instead."""

from __future__ import annotations

import csv
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from colorization_tf import files  # noqa: E402

# Panel (a): adversarial terms, in this order when present.
ADVERSARIAL = ("d_real", "d_fake", "d_wasserstein", "gradient_penalty", "g_adv",
               "c_real", "c_fake", "g_ce")
# Panel (b): the reconstruction term (GAN runs) or the supervised loss and MAE.
RECONSTRUCTION = ("g_l1", "g_l2", "loss", "mae")


def read_history(history_csv: str) -> dict[str, list[float]]:
    """Columns of a Keras CSVLogger file as float lists (unparsable cells become NaN)."""
    try:
        with open(history_csv, newline="") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        raise FileNotFoundError(f"{history_csv}: no such history file (train the run for at "
                                "least one epoch)") from None
    if not rows:
        raise ValueError(f"{history_csv}: no epochs recorded yet")
    return {name: [_number(row.get(name)) for row in rows] for name in rows[0] if name}


def _number(text) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def plot_loss_curves(history_csv: str, path: str, title: str | None = None) -> list[str]:
    """Writes the loss-curve PNG for any run's history.csv to ``path`` (atomically) and
    returns the columns drawn. Validation columns (``val_*``) are drawn dashed."""
    history = read_history(history_csv)
    epochs = history.get("epoch") or list(range(len(next(iter(history.values())))))
    epochs = [e + 1 for e in epochs]  # CSVLogger counts from 0
    panels = [("(a) adversarial losses", [c for c in ADVERSARIAL if c in history]),
              ("(b) reconstruction term" if any(c.startswith("g_l") for c in history)
               else "(b) loss and MAE", [c for c in RECONSTRUCTION if c in history])]
    panels = [(name, columns) for name, columns in panels if columns]
    if not panels:
        raise ValueError(f"{history_csv}: none of the loss columns "
                         f"{', '.join(ADVERSARIAL + RECONSTRUCTION)} found")
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 3.8), squeeze=False)
    drawn = []
    for ax, (name, columns) in zip(axes[0], panels, strict=True):
        for column in columns:
            line, = ax.plot(epochs, history[column], marker="." if len(epochs) < 30 else None,
                            label=column)
            drawn.append(column)
            if f"val_{column}" in history:
                ax.plot(epochs, history[f"val_{column}"], linestyle="--",
                        color=line.get_color(), label=f"val_{column}")
                drawn.append(f"val_{column}")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    with files.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return drawn
