"""Percentile bootstrap intervals for the report's figures, and the paired bootstrap test between models.

Drawing items with replacement amounts to giving each item a weight: how many times it was drawn. Every
count-based figure is then a weighted sum, so all resamples are computed at once as matrix products
instead of a thousand calls to scikit-learn; with unit weights these formulas give exactly the values of
`eval.metrics` (the tests hold them to it). Draws depend only on the seed, a stream name and the number of
items, so two models scored on the same items are resampled identically: that pairing is what lets the
comparison test see differences smaller than either model's own interval.
"""

from __future__ import annotations

import warnings
import zlib
from dataclasses import dataclass

import numpy as np

from model.calibration import expected_calibration_error

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Resamples:
    """`indices[b]` lists the items drawn in resample b; `counts[b, i]` how often item i was drawn."""

    indices: np.ndarray
    counts: np.ndarray

    def __len__(self) -> int:
        return len(self.indices)


def draw_resamples(items: int, resamples: int, seed: int, stream: str = "") -> Resamples:
    """Seeded draws; `stream` separates independent uses (e.g. one per slice) without coupling their seeds."""
    rng = np.random.default_rng([seed, zlib.crc32(stream.encode("utf-8"))])
    indices = rng.integers(0, items, size=(resamples, items))
    offsets = (np.arange(resamples) * items)[:, None]
    counts = np.bincount((indices + offsets).ravel(), minlength=resamples * items).reshape(resamples, items)
    return Resamples(indices, counts.astype(float))


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is 0 (the figure is undefined there)."""
    numerator, denominator = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, numerator / safe, np.nan)


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    """Mean over axes of the defined values; NaN for a resample where none is defined."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=1)


def _axis_counts(targets: np.ndarray, predicted: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, ...]:
    """True positives, false positives and false negatives per resample and axis, shape (B, axes) each."""
    hits = targets * predicted
    return counts @ hits, counts @ (predicted - hits), counts @ (targets - hits)


def summary_samples(targets: np.ndarray, predicted: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
    """`eval.metrics.summary_metrics` for every resample at once: name -> array of shape (B,)."""
    targets, predicted = np.asarray(targets, dtype=float), np.asarray(predicted, dtype=float)
    items = counts.sum(axis=1)
    tp, fp, fn = _axis_counts(targets, predicted, counts)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    support = tp + fn
    true_size, predicted_size = targets.sum(axis=1), predicted.sum(axis=1)
    overlap = (targets * predicted).sum(axis=1)
    item_f1 = np.where(true_size + predicted_size > 0, 2 * overlap / np.maximum(true_size + predicted_size, 1), 1.0)
    unlabelled = (true_size == 0).astype(float)
    return {
        "macro_f1": _nanmean_rows(f1),
        "micro_f1": _ratio(2 * tp.sum(axis=1), (2 * tp + fp + fn).sum(axis=1)),
        "weighted_f1": _ratio((support * np.nan_to_num(f1)).sum(axis=1), support.sum(axis=1)),
        "samples_f1": counts @ item_f1 / items,
        "subset_accuracy": counts @ (targets == predicted).all(axis=1) / items,
        "hamming_loss": counts @ (targets != predicted).mean(axis=1) / items,
        "label_cardinality_true": counts @ true_size / items,
        "label_cardinality_predicted": counts @ predicted_size / items,
        "no_label_false_positive_rate": _ratio(counts @ (unlabelled * (predicted_size > 0)), counts @ unlabelled),
    }


def per_axis_samples(
    targets: np.ndarray, scores: np.ndarray, predicted: np.ndarray, counts: np.ndarray
) -> dict[str, np.ndarray]:
    """Per-axis precision, recall, F1, ROC-AUC and average precision: name -> array of shape (B, axes)."""
    targets, predicted = np.asarray(targets, dtype=float), np.asarray(predicted, dtype=float)
    tp, fp, fn = _axis_counts(targets, predicted, counts)
    columns = range(targets.shape[1])
    return {
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "roc_auc": np.stack([weighted_roc_auc(targets[:, c], scores[:, c], counts) for c in columns], axis=1),
        "average_precision": np.stack(
            [weighted_average_precision(targets[:, c], scores[:, c], counts) for c in columns], axis=1
        ),
    }


def _tied_group_weights(
    targets: np.ndarray, scores: np.ndarray, counts: np.ndarray, descending: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Drawn weight of positives and of negatives at each distinct score, in score order: (B, groups) each."""
    order = np.argsort(-scores if descending else scores, kind="stable")
    ordered = scores[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    weights = counts[:, order]
    positives = np.add.reduceat(weights * targets[order], starts, axis=1)
    negatives = np.add.reduceat(weights * (1 - targets[order]), starts, axis=1)
    return positives, negatives


def weighted_roc_auc(targets: np.ndarray, scores: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """ROC-AUC as the probability that a drawn positive outscores a drawn negative (ties count half)."""
    if len(scores) == 0:
        return np.full(len(counts), np.nan)
    positives, negatives = _tied_group_weights(targets, scores, counts, descending=False)
    below = np.cumsum(negatives, axis=1) - negatives
    wins = (positives * (below + 0.5 * negatives)).sum(axis=1)
    return _ratio(wins, positives.sum(axis=1) * negatives.sum(axis=1))


def weighted_average_precision(targets: np.ndarray, scores: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Average precision: precision at each distinct score, weighted by the recall gained there."""
    if len(scores) == 0:
        return np.full(len(counts), np.nan)
    positives, negatives = _tied_group_weights(targets, scores, counts, descending=True)
    true_hits, false_hits = np.cumsum(positives, axis=1), np.cumsum(negatives, axis=1)
    precision = np.nan_to_num(_ratio(true_hits, true_hits + false_hits))
    return _ratio((positives * precision).sum(axis=1), positives.sum(axis=1))


def ece_samples(targets: np.ndarray, scores: np.ndarray, resamples: Resamples, bins: int) -> np.ndarray:
    """ECE of each resample, computed by the model's own calibration code on the drawn items."""
    return np.array([expected_calibration_error(scores[drawn], targets[drawn], bins) for drawn in resamples.indices])


def percentile_interval(samples: np.ndarray, confidence: float = CONFIDENCE) -> list[float] | None:
    """The central `confidence` share of the resampled values; resamples where the figure is undefined are
    left out, and None is returned when it is undefined in all of them."""
    values = np.asarray(samples, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return [float(low), float(high)]


def paired_difference(
    samples: np.ndarray, reference_samples: np.ndarray, observed: float | None, confidence: float = CONFIDENCE
) -> dict:
    """Difference (model - reference) with its paired interval and a two-sided bootstrap p-value.

    The p-value is the share of resampled differences, centred on the observed one, at least as far from
    zero as the observed difference: how often chance alone would produce a gap this large.
    """
    differences = np.asarray(samples, dtype=float) - np.asarray(reference_samples, dtype=float)
    differences = differences[np.isfinite(differences)]
    if observed is None or differences.size == 0:
        return {"difference": observed, "interval": None, "p_value": None}
    extreme = np.abs(differences - observed) >= abs(observed) - 1e-12
    return {
        "difference": float(observed),
        "interval": percentile_interval(differences, confidence),
        "p_value": float((extreme.sum() + 1) / (differences.size + 1)),
    }
