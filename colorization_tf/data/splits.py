"""Train/validation splits of Galvão et al. §3.1: seeded random, and hue-balanced
(sort by mean hue, send every k-th image to validation so both share a hue histogram)."""

from __future__ import annotations

import numpy as np

SPLIT_METHODS = ("hue", "random")


def random_split(n: int, val_ratio: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, val), each sorted; ``round(n * val_ratio)`` go to validation."""
    order = np.random.default_rng(seed).permutation(n)
    n_val = int(round(n * val_ratio))
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def hue_balanced_split(hue: np.ndarray, val_ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, val): images sorted by mean hue, validation takes evenly spaced
    ranks (the middle of each block of 1/val_ratio), so its hue histogram tracks train's."""
    n = len(hue)
    n_val = int(round(n * val_ratio))
    order = np.argsort(hue, kind="stable")
    ranks = np.floor((np.arange(n_val) + 0.5) * n / max(n_val, 1)).astype(int)
    is_val = np.zeros(n, bool)
    is_val[order[ranks]] = True
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def split_indices(method: str, hue: np.ndarray, val_ratio: float, seed: int):
    """Dispatches to the split named by ``--split_method``."""
    if method == "hue":
        return hue_balanced_split(hue, val_ratio)
    if method == "random":
        return random_split(len(hue), val_ratio, seed)
    raise ValueError(f"--split_method={method!r}: expected one of {SPLIT_METHODS}")
