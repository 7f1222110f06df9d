"""Stable train/validation/test assignment by multi-label iterative stratification.

Items that already have a split never move (a test item that became a training item would inflate every
later score). New items fill the gaps: this is the greedy algorithm of Sechidis, Tsoumakas and Vlahavas
(2011), as in `iterstrat`, except that the wanted counts per split and per axis start from the existing
items' counts instead of from zero. `iterstrat.IterativeStratification` cannot be told about items that are
already placed, and stratifying each new batch alone sends small batches entirely to `train` (with 3 items
and 70/15/15, every split's quota rounds to train), so validation and test would starve over many merges.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from training.corpus import SPLITS, labels_to_multi_hot

DEFAULT_RATIOS: tuple[float, float, float] = (0.70, 0.15, 0.15)
_TIE = 1e-9


def _check_ratios(ratios: Sequence[float]) -> np.ndarray:
    """One non-negative ratio per split, summing to 1."""
    values = np.asarray(ratios, dtype=float)
    if values.shape != (len(SPLITS),) or (values < 0).any() or not np.isclose(values.sum(), 1.0):
        raise ValueError(f"ratios must be {len(SPLITS)} non-negative numbers summing to 1, got {ratios}")
    return values


def _existing_splits(items: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Index into SPLITS of each item's split, -1 where it has none yet."""
    index = {name: i for i, name in enumerate(SPLITS)}
    out = np.full(len(items), -1, dtype=int)
    for i, item in enumerate(items):
        split = item.get("split")
        if split in (None, ""):
            continue
        if split not in index:
            raise ValueError(f"item {i} (id {item.get('id')!r}): unknown split {split!r}")
        out[i] = index[split]
    return out


def _pick(candidates: np.ndarray, rng: np.random.Generator) -> int:
    """Random choice among tied candidates, so no split is favoured by its position."""
    return int(candidates[0] if len(candidates) == 1 else rng.choice(candidates))


def _best_split(want_label: np.ndarray, want_items: np.ndarray, rng: np.random.Generator) -> int:
    """Split that most wants this axis; ties go to the split that most wants items, then at random."""
    best = np.flatnonzero(want_label >= want_label.max() - _TIE)
    if len(best) > 1:
        best = best[want_items[best] >= want_items[best].max() - _TIE]
    return _pick(best, rng)


def _stratify(y: np.ndarray, fixed: np.ndarray, ratios: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Fill `fixed == -1` entries with split indices, rarest axis first, against the remaining quotas."""
    assigned = fixed.copy()
    placed = fixed >= 0
    want_items = ratios * len(y) - np.bincount(fixed[placed], minlength=len(ratios))
    want_labels = np.outer(ratios, y.sum(axis=0)).astype(float)
    for split in range(len(ratios)):
        want_labels[split] -= y[fixed == split].sum(axis=0)
    order = rng.permutation(np.flatnonzero(~placed))
    todo = np.zeros(len(y), dtype=bool)
    todo[order] = True

    def place(item: int, split: int) -> None:
        assigned[item] = split
        todo[item] = False
        want_items[split] -= 1
        want_labels[split] -= y[item]

    while todo.any():
        remaining = y[todo].sum(axis=0)
        if remaining.sum() == 0:
            for item in order[todo[order]]:
                place(item, _pick(np.flatnonzero(want_items >= want_items.max() - _TIE), rng))
            break
        rarest = np.flatnonzero(remaining == remaining[remaining > 0].min())
        axis = _pick(rarest, rng)
        for item in order[todo[order] & (y[order, axis] == 1)]:
            place(item, _best_split(want_labels[:, axis], want_items, rng))
    return assigned


def assign_splits(
    items: Sequence[Mapping[str, Any]],
    ratios: Sequence[float] = DEFAULT_RATIOS,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Return copies of `items` where every item has a split; existing splits are kept unchanged.

    Deterministic for a given input (items in order, ratios, seed). Items need `labels`; `split` is
    optional (missing, None or "" means not yet assigned).
    """
    fractions = _check_ratios(ratios)
    fixed = _existing_splits(items)
    result = [dict(item) for item in items]
    if (fixed >= 0).all():
        return result
    y = labels_to_multi_hot(item["labels"] for item in items)
    assigned = _stratify(y, fixed, fractions, np.random.default_rng(seed))
    for item, split in zip(result, assigned, strict=True):
        item["split"] = SPLITS[split]
    return result
