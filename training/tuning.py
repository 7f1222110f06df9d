"""Everything fitted on the validation split after training: temperature, thresholds, and their report."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score

from model.axes import AXES
from model.calibration import expected_calibration_error, fit_temperature, sigmoid
from model.thresholds import best_global_threshold, choose_thresholds, macro_f1


def tune_on_validation(logits: np.ndarray, targets: np.ndarray, seed: int) -> dict:
    """Calibrate, choose thresholds, and measure the result on the same validation split."""
    temperature = fit_temperature(logits, targets)
    raw = sigmoid(logits)
    calibrated = sigmoid(logits / temperature)
    choice = choose_thresholds(calibrated, targets, seed=seed)
    predicted = (calibrated >= np.asarray(choice.selected)).astype(int)
    return {
        "calibration": {
            "method": "temperature scaling on validation",
            "temperature": temperature,
            "ece_before": expected_calibration_error(raw, targets),
            "ece_after": expected_calibration_error(calibrated, targets),
        },
        "thresholds": choice.to_manifest(),
        "validation": decision_figures(targets, predicted),
    }


def decision_figures(targets: np.ndarray, predicted: np.ndarray) -> dict:
    """Macro-, micro- and per-axis F1 of multi-hot decisions: a model folder's `validation` record."""
    per_axis = f1_score(targets, predicted, average=None, zero_division=0)
    return {
        "items": len(targets),
        "macro_f1": float(f1_score(targets, predicted, average="macro", zero_division=0)),
        "micro_f1": float(f1_score(targets, predicted, average="micro", zero_division=0)),
        "per_axis_f1": {axis: float(v) for axis, v in zip(AXES, per_axis, strict=True)},
    }


def macro_f1_at_best_threshold(logits: np.ndarray, targets: np.ndarray) -> float:
    """Model-selection score: macro-F1 with the best single threshold (insensitive to calibration)."""
    probabilities = sigmoid(logits)
    return macro_f1(probabilities, targets, best_global_threshold(probabilities, targets))
