"""Split assignment: stratified per axis, deterministic, and stable when the corpus grows."""

from __future__ import annotations

import random

import numpy as np
import pytest

from model.axes import AXES
from training.corpus import SPLITS, labels_to_multi_hot
from training.splits import assign_splits


def random_items(n: int, seed: int, prefix: str = "x") -> list[dict]:
    """Items with 0-3 labels, axes of unequal frequency (as in a real corpus)."""
    rng = random.Random(seed)
    weights = [8, 5, 3, 3, 2, 2, 1, 1]
    items = []
    for i in range(n):
        k = rng.choice([0, 1, 1, 1, 2, 2, 3])
        labels = sorted(set(rng.choices(AXES, weights=weights, k=k)))
        items.append({"id": f"{prefix}-{i:04d}", "labels": labels})
    return items


def split_shares(items: list[dict]) -> np.ndarray:
    """Share of the items in each split."""
    return np.array([sum(item["split"] == split for item in items) for split in SPLITS]) / len(items)


def worst_axis_deviation(items: list[dict], ratios=(0.70, 0.15, 0.15)) -> float:
    """Largest gap, in items, between an axis's positives in a split and its ideal share."""
    splits = np.array([SPLITS.index(item["split"]) for item in items])
    y = labels_to_multi_hot(item["labels"] for item in items)
    counts = np.stack([y[splits == s].sum(axis=0) for s in range(len(SPLITS))], axis=1)
    return float(np.abs(counts - np.outer(y.sum(axis=0), ratios)).max())


def test_fresh_corpus_is_stratified_per_axis():
    items = assign_splits(random_items(1000, seed=1))
    assert split_shares(items) == pytest.approx([0.70, 0.15, 0.15], abs=0.01)
    assert worst_axis_deviation(items) < 2


def test_existing_splits_never_move_and_balance_holds():
    first = assign_splits(random_items(600, seed=2))
    grown = assign_splits(first + random_items(400, seed=3, prefix="y"))
    assert [item["split"] for item in grown[:600]] == [item["split"] for item in first]
    assert split_shares(grown) == pytest.approx([0.70, 0.15, 0.15], abs=0.01)
    assert worst_axis_deviation(grown) < 2


def test_small_batches_do_not_starve_validation_and_test():
    items = assign_splits(random_items(100, seed=4))
    for batch in range(60):
        items = assign_splits(items + random_items(5, seed=100 + batch, prefix=f"b{batch}"))
    assert split_shares(items) == pytest.approx([0.70, 0.15, 0.15], abs=0.01)
    assert worst_axis_deviation(items) < 2


def test_new_items_compensate_an_unbalanced_corpus():
    existing = [{**item, "split": "train"} for item in random_items(70, seed=5)]
    items = assign_splits(existing + random_items(30, seed=6, prefix="y"))
    assert [item["split"] for item in items[70:]].count("train") <= 6


def test_deterministic_and_input_untouched():
    items = random_items(200, seed=7)
    snapshot = [dict(item) for item in items]
    assert assign_splits(items, seed=3) == assign_splits(items, seed=3)
    assert items == snapshot


def test_custom_ratios():
    items = assign_splits(random_items(1000, seed=8), ratios=(0.8, 0.1, 0.1))
    assert split_shares(items) == pytest.approx([0.8, 0.1, 0.1], abs=0.01)
    assert worst_axis_deviation(items, ratios=(0.8, 0.1, 0.1)) < 2


@pytest.mark.parametrize(
    ("items", "ratios"),
    [
        ([{"labels": []}], (0.5, 0.5)),
        ([{"labels": []}], (0.7, 0.2, 0.2)),
        ([{"labels": [], "split": "dev"}], (0.7, 0.15, 0.15)),
        ([{"labels": ["robots"]}], (0.7, 0.15, 0.15)),
    ],
)
def test_invalid_input_raises(items, ratios):
    with pytest.raises(ValueError):
        assign_splits(items, ratios=ratios)


def test_empty_and_fully_assigned_inputs():
    assert assign_splits([]) == []
    done = [{"id": "a", "labels": [], "split": "test"}]
    assert assign_splits(done) == done
