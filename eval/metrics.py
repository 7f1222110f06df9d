"""Point estimates of every figure in the report, computed with scikit-learn from scores and decisions.

Undefined figures are reported as None (null in JSON), never as a misleading 0: an axis with no positives
has no recall and no average precision, an axis lacking positives or negatives has no ROC-AUC, an axis
never predicted has no precision. Macro F1 averages the axes whose F1 is defined (scikit-learn's
`zero_division=nan`), so an axis absent from the data and never predicted neither helps nor hurts, while
one absent but predicted counts as 0. Samples F1 counts an item with no true and no predicted axis as a
perfect answer (1.0): "none of the axes" is a decision the model gets right on off-topic proposals.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    f1_score,
    hamming_loss,
    precision_recall_fscore_support,
    roc_auc_score,
)

from model.calibration import expected_calibration_error, reliability_table

CALIBRATION_BINS = 15


def finite_or_none(value: float) -> float | None:
    """JSON has no NaN: undefined figures become null."""
    value = float(value)
    return value if np.isfinite(value) else None


def figure_value(block: dict, name: str) -> float | int | None:
    """A figure of a report block by its dotted name, e.g. `per_axis.cloud.f1` or `calibration.ece`."""
    value = block
    for part in name.split("."):
        value = value[part]
    return value


def decide(scores: np.ndarray, thresholds: Sequence[float] | float) -> np.ndarray:
    """The multi-hot decisions a model makes with these thresholds (score >= threshold, as the predictor)."""
    return (np.asarray(scores) >= np.asarray(thresholds, dtype=float)).astype(int)


def summary_metrics(targets: np.ndarray, predicted: np.ndarray) -> dict[str, float | None]:
    """The whole-set figures: F1 averages, exact match, Hamming loss, cardinalities, empty-item false alarms."""
    targets, predicted = np.asarray(targets, dtype=int), np.asarray(predicted, dtype=int)
    unlabelled = targets.sum(axis=1) == 0
    return {
        "macro_f1": finite_or_none(f1_score(targets, predicted, average="macro", zero_division=np.nan)),
        "micro_f1": finite_or_none(f1_score(targets, predicted, average="micro", zero_division=np.nan)),
        "weighted_f1": finite_or_none(f1_score(targets, predicted, average="weighted", zero_division=np.nan)),
        "samples_f1": finite_or_none(f1_score(targets, predicted, average="samples", zero_division=1.0)),
        "subset_accuracy": float(accuracy_score(targets, predicted)),
        "hamming_loss": float(hamming_loss(targets, predicted)),
        "label_cardinality_true": float(targets.sum(axis=1).mean()),
        "label_cardinality_predicted": float(predicted.sum(axis=1).mean()),
        "no_label_false_positive_rate": (float(predicted[unlabelled].any(axis=1).mean()) if unlabelled.any() else None),
    }


def axis_roc_auc(column_targets: np.ndarray, column_scores: np.ndarray) -> float | None:
    """ROC-AUC ranks positives against negatives: without both, it does not exist."""
    if column_targets.min(initial=1) == column_targets.max(initial=0):
        return None
    return float(roc_auc_score(column_targets, column_scores))


def axis_average_precision(column_targets: np.ndarray, column_scores: np.ndarray) -> float | None:
    """Average precision is the area under the precision-recall curve, which needs at least one positive."""
    if not column_targets.any():
        return None
    return float(average_precision_score(column_targets, column_scores))


def per_axis_metrics(
    targets: np.ndarray, scores: np.ndarray, predicted: np.ndarray, thresholds: Sequence[float], axes: Sequence[str]
) -> dict[str, dict[str, float | int | None]]:
    """Precision, recall, F1, support, ROC-AUC, average precision and the threshold used, for each axis."""
    targets, predicted = np.asarray(targets, dtype=int), np.asarray(predicted, dtype=int)
    precision, recall, f1, support = precision_recall_fscore_support(
        targets, predicted, average=None, labels=list(range(len(axes))), zero_division=np.nan
    )
    result = {}
    for column, axis in enumerate(axes):
        result[axis] = {
            "precision": finite_or_none(precision[column]),
            "recall": finite_or_none(recall[column]),
            "f1": finite_or_none(f1[column]),
            "support": int(support[column]),
            "predicted": int(predicted[:, column].sum()),
            "roc_auc": axis_roc_auc(targets[:, column], scores[:, column]),
            "average_precision": axis_average_precision(targets[:, column], scores[:, column]),
            "threshold": float(thresholds[column]),
        }
    return result


def calibration_metrics(targets: np.ndarray, scores: np.ndarray) -> dict:
    """ECE over every (item, axis) pair and the reliability table it is computed from."""
    return {
        "bins": CALIBRATION_BINS,
        "ece": expected_calibration_error(scores, targets, bins=CALIBRATION_BINS),
        "reliability": reliability_table(scores, targets, bins=CALIBRATION_BINS),
    }


def thresholds_comparison(
    targets: np.ndarray,
    scores: np.ndarray,
    per_axis: Sequence[float],
    global_threshold: float,
    selected_mode: str,
    axes: Sequence[str],
) -> dict:
    """The tuned per-axis thresholds and the single global one, each applied to the same scores."""
    schemes = {}
    for scheme, thresholds in (("per_axis", list(per_axis)), ("global", [global_threshold] * len(axes))):
        predicted = decide(scores, thresholds)
        f1 = f1_score(targets, predicted, average=None, labels=list(range(len(axes))), zero_division=np.nan)
        schemes[scheme] = {
            "thresholds": {axis: float(t) for axis, t in zip(axes, thresholds, strict=True)},
            "macro_f1": finite_or_none(f1_score(targets, predicted, average="macro", zero_division=np.nan)),
            "micro_f1": finite_or_none(f1_score(targets, predicted, average="micro", zero_division=np.nan)),
            "per_axis_f1": {axis: finite_or_none(v) for axis, v in zip(axes, f1, strict=True)},
        }
    return {"selected": selected_mode, "global_threshold": float(global_threshold), **schemes}
