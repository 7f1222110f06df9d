"""Temperature scaling of the axis logits, and the calibration error that judges it."""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


def apply_calibration(logits: np.ndarray, temperature: float, bias: float = 0.0) -> np.ndarray:
    """Calibrated scores from raw logits: sigmoid(logits / temperature + bias), as a model folder stores it."""
    return sigmoid(np.asarray(logits) / temperature + bias)


def binary_log_loss(probabilities: np.ndarray, targets: np.ndarray) -> float:
    p = np.clip(probabilities, 1e-7, 1 - 1e-7)
    return float(-(targets * np.log(p) + (1 - targets) * np.log(1 - p)).mean())


def fit_temperature(logits: np.ndarray, targets: np.ndarray) -> float:
    """The single temperature T minimising log loss of sigmoid(logits / T) (golden-section on log T)."""
    low, high = np.log(0.05), np.log(20.0)
    ratio = (np.sqrt(5) - 1) / 2

    def loss(log_t: float) -> float:
        return binary_log_loss(sigmoid(logits / np.exp(log_t)), targets)

    a, b = high - ratio * (high - low), low + ratio * (high - low)
    for _ in range(80):
        if loss(a) < loss(b):
            high = b
        else:
            low = a
        a, b = high - ratio * (high - low), low + ratio * (high - low)
    return float(np.exp((low + high) / 2))


def reliability_table(probabilities: np.ndarray, targets: np.ndarray, bins: int = 15) -> list[dict]:
    """Per confidence bin over every (item, axis) pair: count, mean predicted score, observed frequency."""
    p = np.asarray(probabilities, dtype=float).ravel()
    y = np.asarray(targets, dtype=float).ravel()
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=True), 0, bins - 1)
    table = []
    for b in range(bins):
        in_bin = which == b
        count = int(in_bin.sum())
        table.append(
            {
                "low": float(edges[b]),
                "high": float(edges[b + 1]),
                "count": count,
                "mean_score": float(p[in_bin].mean()) if count else None,
                "observed": float(y[in_bin].mean()) if count else None,
            }
        )
    return table


def expected_calibration_error(probabilities: np.ndarray, targets: np.ndarray, bins: int = 15) -> float:
    """Weighted mean gap between predicted score and observed frequency over equal-width bins."""
    total = np.asarray(probabilities).size
    if total == 0:
        return 0.0
    gaps = [
        row["count"] * abs(row["mean_score"] - row["observed"])
        for row in reliability_table(probabilities, targets, bins)
        if row["count"]
    ]
    return float(sum(gaps) / total)


def fit_scale_and_bias(logits: np.ndarray, targets: np.ndarray) -> tuple[float, float]:
    """Platt scaling shared by every axis: sigmoid(logits * scale + bias) minimising log loss.

    Two numbers for all axes, so a sample of a few dozen texts (some axes with a handful of positives)
    can move the model's scale to a new domain without over-fitting any one axis.
    """
    from sklearn.linear_model import LogisticRegression

    column = np.asarray(logits, dtype=float).reshape(-1, 1)
    fitted = LogisticRegression(C=100.0, max_iter=1000).fit(column, np.asarray(targets).ravel())
    return float(fitted.coef_[0, 0]), float(fitted.intercept_[0])
