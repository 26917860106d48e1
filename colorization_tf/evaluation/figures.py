"""Figures written with matplotlib (Agg backend, atomic PNG writes)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from colorization_tf import files  # noqa: E402


def photo_table(rows: list[tuple[str, list[np.ndarray]]], column_labels: list[str], path: str,
                cell_inches: float = 4.0) -> None:
    """Saves one row per photograph (``(name, [image per column])``, uint8 or [0, 1]),
    columns labelled on top (e.g. gray / colorized / original), each at its own aspect."""
    n_rows, n_cols = len(rows), len(column_labels)
    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False,
                             figsize=(cell_inches * n_cols, cell_inches * 0.8 * n_rows))
    for r, (name, images) in enumerate(rows):
        for c, image in enumerate(images):
            ax = axes[r][c]
            ax.imshow(image)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(column_labels[c])
            if c == 0:
                ax.set_ylabel(name)
    fig.tight_layout()
    with files.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
