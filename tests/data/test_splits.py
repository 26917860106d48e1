"""Train/validation splits (data/splits.py): both are partitions of the images of the
stated sizes; the random split is the seeded permutation's head; the hue-balanced split
takes the middle rank of each block of 1/val_ratio images sorted by hue (ties in input
order), so validation's hue histogram tracks train's."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from colorization_tf.data import splits

RATIOS = st.floats(0.0, 1.0, allow_nan=False)


def _is_partition(train: np.ndarray, val: np.ndarray, n: int, n_val: int) -> None:
    assert len(val) == n_val and len(train) == n - n_val
    assert np.array_equal(np.sort(np.concatenate([train, val])), np.arange(n))
    assert np.all(np.diff(train) > 0) and np.all(np.diff(val) > 0)  # sorted, no repeats


@given(n=st.integers(0, 300), ratio=RATIOS, seed=st.integers(0, 2**32 - 1))
def test_random_split_is_the_seeded_permutations_head(n, ratio, seed):
    train, val = splits.random_split(n, ratio, seed)
    n_val = int(round(n * ratio))
    _is_partition(train, val, n, n_val)
    order = np.random.default_rng(seed).permutation(n)
    assert np.array_equal(val, np.sort(order[:n_val]))


def test_random_split_depends_on_the_seed_only():
    first, again = splits.random_split(100, 0.2, 7), splits.random_split(100, 0.2, 7)
    other = splits.random_split(100, 0.2, 8)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[1], other[1])


@given(hue=st.lists(st.floats(0.0, 1.0, allow_nan=False), max_size=200), ratio=RATIOS)
def test_hue_split_takes_the_middle_of_each_block_of_hue_ranks(hue, ratio):
    hue = np.asarray(hue, float)
    n = len(hue)
    n_val = int(round(n * ratio))
    train, val = splits.hue_balanced_split(hue, ratio)
    _is_partition(train, val, n, n_val)
    if n_val:
        # independent reference: rank r (0-based, ties in input order) goes to validation
        # when it is the middle rank floor((i + 1/2) n / n_val) of block i
        ranked = sorted(range(n), key=lambda index: (hue[index], index))
        want = sorted(ranked[int(np.floor((i + 0.5) * n / n_val))] for i in range(n_val))
        assert val.tolist() == want


def test_hue_split_of_a_quarter_takes_ranks_2_6_10():
    hue = np.array([0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.8, 0.0, 0.4, 0.6, 1.0, 0.05])
    train, val = splits.hue_balanced_split(hue, 0.25)
    ranks = np.argsort(hue)
    assert sorted(val.tolist()) == sorted(ranks[[2, 6, 10]].tolist())
    assert len(train) == 9


def test_hue_split_keeps_input_order_among_equal_hues():
    train, val = splits.hue_balanced_split(np.zeros(200), 0.1)
    assert val.tolist() == [int(np.floor((i + 0.5) * 10)) for i in range(20)]


def test_split_indices_dispatches_and_names_the_flag():
    hue = np.linspace(0, 1, 20)
    assert all(np.array_equal(a, b) for a, b in zip(
        splits.split_indices("hue", hue, 0.25, 0), splits.hue_balanced_split(hue, 0.25),
        strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(
        splits.split_indices("random", hue, 0.25, 3), splits.random_split(20, 0.25, 3),
        strict=True))
    with pytest.raises(ValueError) as error:
        splits.split_indices("color", hue, 0.25, 0)
    assert str(error.value) == "--split_method='color': expected one of ('hue', 'random')"
