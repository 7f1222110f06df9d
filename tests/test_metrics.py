"""Point estimates on cases small enough to compute by hand."""

from __future__ import annotations

import numpy as np
import pytest

from eval.metrics import (
    calibration_metrics,
    decide,
    figure_value,
    per_axis_metrics,
    summary_metrics,
    thresholds_comparison,
)
from model.calibration import expected_calibration_error

AXES = ("a", "b", "c")
# Axis c has no positives and is never predicted; item 2 has no label and gets none.
TARGETS = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 0], [0, 1, 0]])
PREDICTED = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 0], [1, 1, 0]])
SCORES = np.array([[0.9, 0.2, 0.1], [0.4, 0.8, 0.2], [0.1, 0.3, 0.3], [0.6, 0.7, 0.1]])


def test_summary_on_a_hand_computed_case():
    figures = summary_metrics(TARGETS, PREDICTED)
    # a: TP 1, FP 1, FN 1 -> F1 0.5; b: TP 2 -> F1 1; c: undefined, left out of the macro average.
    assert figures["macro_f1"] == pytest.approx(0.75)
    assert figures["micro_f1"] == pytest.approx(6 / 8)
    assert figures["weighted_f1"] == pytest.approx(0.75)
    # per item: 1, 2/3, 1 (nothing to find, nothing given), 2/3
    assert figures["samples_f1"] == pytest.approx((1 + 2 / 3 + 1 + 2 / 3) / 4)
    assert figures["subset_accuracy"] == pytest.approx(0.5)
    assert figures["hamming_loss"] == pytest.approx(2 / 12)
    assert figures["label_cardinality_true"] == pytest.approx(1.0)
    assert figures["label_cardinality_predicted"] == pytest.approx(1.0)
    assert figures["no_label_false_positive_rate"] == pytest.approx(0.0)


def test_axis_with_no_positives_is_null_not_zero():
    per_axis = per_axis_metrics(TARGETS, SCORES, PREDICTED, [0.5, 0.5, 0.5], AXES)
    assert per_axis["c"] == {
        "precision": None,
        "recall": None,
        "f1": None,
        "support": 0,
        "predicted": 0,
        "roc_auc": None,
        "average_precision": None,
        "threshold": 0.5,
    }
    assert per_axis["a"]["precision"] == pytest.approx(0.5)
    assert per_axis["a"]["recall"] == pytest.approx(0.5)
    assert per_axis["b"]["f1"] == pytest.approx(1.0)


def test_an_axis_predicted_without_positives_counts_as_zero_in_macro_f1():
    predicted = PREDICTED.copy()
    predicted[2, 2] = 1
    figures = summary_metrics(TARGETS, predicted)
    assert figures["macro_f1"] == pytest.approx((0.5 + 1.0 + 0.0) / 3)
    assert figures["no_label_false_positive_rate"] == pytest.approx(1.0)
    per_axis = per_axis_metrics(TARGETS, SCORES, predicted, [0.5] * 3, AXES)
    assert per_axis["c"]["precision"] == 0.0
    assert per_axis["c"]["recall"] is None


def test_empty_prediction():
    nothing = np.zeros_like(TARGETS)
    figures = summary_metrics(TARGETS, nothing)
    assert figures["macro_f1"] == 0.0
    assert figures["micro_f1"] == 0.0
    assert figures["samples_f1"] == pytest.approx(1 / 4)  # only the unlabelled item is right
    assert figures["subset_accuracy"] == pytest.approx(1 / 4)
    assert figures["label_cardinality_predicted"] == 0.0
    assert figures["no_label_false_positive_rate"] == 0.0
    per_axis = per_axis_metrics(TARGETS, SCORES, nothing, [0.5] * 3, AXES)
    assert all(per_axis[axis]["precision"] is None for axis in AXES)
    assert per_axis["a"]["recall"] == 0.0


def test_no_unlabelled_items_means_no_false_alarm_rate():
    assert summary_metrics(TARGETS[:2], PREDICTED[:2])["no_label_false_positive_rate"] is None


def test_ranking_figures_by_hand():
    # Axis a: positives score 0.9 and 0.4, negatives 0.1 and 0.6: 3 of 4 pairs ranked right.
    per_axis = per_axis_metrics(TARGETS, SCORES, PREDICTED, [0.5] * 3, AXES)
    assert per_axis["a"]["roc_auc"] == pytest.approx(0.75)
    # Ranked 0.9 (+), 0.6 (-), 0.4 (+): precision 1 at recall 0.5, 2/3 at recall 1.
    assert per_axis["a"]["average_precision"] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)


def test_axis_with_only_positives_has_average_precision_but_no_roc_auc():
    targets = np.array([[1], [1]])
    per_axis = per_axis_metrics(targets, np.array([[0.2], [0.7]]), np.array([[0], [1]]), [0.5], ["a"])
    assert per_axis["a"]["roc_auc"] is None
    assert per_axis["a"]["average_precision"] == pytest.approx(1.0)


def test_decide_keeps_a_score_equal_to_the_threshold():
    assert decide(np.array([[0.5, 0.49]]), [0.5, 0.5]).tolist() == [[1, 0]]


def test_calibration_uses_the_model_calibration_code():
    calibration = calibration_metrics(TARGETS, SCORES)
    assert calibration["ece"] == expected_calibration_error(SCORES, TARGETS, bins=15)
    assert len(calibration["reliability"]) == 15
    assert sum(row["count"] for row in calibration["reliability"]) == TARGETS.size


def test_thresholds_comparison_applies_both_schemes_to_the_same_scores():
    comparison = thresholds_comparison(TARGETS, SCORES, [0.5, 0.75, 0.5], 0.5, "per_axis", AXES)
    assert comparison["selected"] == "per_axis"
    assert comparison["global"]["thresholds"] == {"a": 0.5, "b": 0.5, "c": 0.5}
    # b at 0.75: only item 1 (0.8) is kept, item 3 (0.7) is lost -> F1 2/3; at 0.5 both are kept -> 1.
    assert comparison["per_axis"]["per_axis_f1"]["b"] == pytest.approx(2 / 3)
    assert comparison["global"]["per_axis_f1"]["b"] == pytest.approx(1.0)
    assert comparison["global"]["macro_f1"] == pytest.approx(0.75)


def test_figure_value_follows_dotted_names():
    block = {"macro_f1": 0.5, "per_axis": {"cloud": {"f1": None}}, "calibration": {"ece": 0.1}}
    assert figure_value(block, "macro_f1") == 0.5
    assert figure_value(block, "per_axis.cloud.f1") is None
    assert figure_value(block, "calibration.ece") == 0.1
    with pytest.raises(KeyError):
        figure_value(block, "per_axis.data.f1")
