"""Decision thresholds: one global cut-off, or per-axis ones shrunk toward it, chosen by cross-validation.

Per-axis thresholds tuned on a small validation split overfit; each is pulled toward the global one in
proportion to how few positives backed it, and the per-axis scheme is only kept when it wins on held-out
folds of the validation data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import f1_score

GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)
SHRINK_STRENGTH = 40.0


@dataclass
class ThresholdChoice:
    mode: str
    global_threshold: float
    per_axis: list[float]
    cv_macro_f1: dict[str, float]

    @property
    def selected(self) -> list[float]:
        return self.per_axis if self.mode == "per_axis" else [self.global_threshold] * len(self.per_axis)

    def to_dict(self) -> dict:
        return asdict(self)

    def to_manifest(self) -> dict:
        """What a model folder records: both schemes, the one in use and the thresholds it selects."""
        return {**self.to_dict(), "selected": [float(t) for t in self.selected]}


def macro_f1(probabilities: np.ndarray, targets: np.ndarray, thresholds: np.ndarray | float) -> float:
    predicted = (probabilities >= np.asarray(thresholds)).astype(int)
    return float(f1_score(targets, predicted, average="macro", zero_division=0))


def best_global_threshold(probabilities: np.ndarray, targets: np.ndarray) -> float:
    scores = [macro_f1(probabilities, targets, t) for t in GRID]
    return float(GRID[int(np.argmax(scores))])


def best_axis_thresholds(probabilities: np.ndarray, targets: np.ndarray, fallback: float) -> np.ndarray:
    """Per axis, the F1-maximising cut-off, shrunk toward `fallback` by the axis's positive count."""
    result = np.full(targets.shape[1], fallback, dtype=float)
    for axis in range(targets.shape[1]):
        positives = int(targets[:, axis].sum())
        if positives == 0:
            continue
        scores = [f1_score(targets[:, axis], probabilities[:, axis] >= t, zero_division=0) for t in GRID]
        tuned = float(GRID[int(np.argmax(scores))])
        weight = positives / (positives + SHRINK_STRENGTH)
        result[axis] = weight * tuned + (1 - weight) * fallback
    return np.round(result, 3)


def choose_thresholds(probabilities: np.ndarray, targets: np.ndarray, folds: int = 5, seed: int = 0) -> ThresholdChoice:
    """Fit both schemes on the whole validation set; keep per-axis only if it wins out-of-fold."""
    rng = np.random.default_rng(seed)
    fold_of = rng.permutation(len(targets)) % folds
    scores = {"global": [], "per_axis": []}
    for fold in range(folds):
        fit, held = fold_of != fold, fold_of == fold
        global_t = best_global_threshold(probabilities[fit], targets[fit])
        axis_t = best_axis_thresholds(probabilities[fit], targets[fit], global_t)
        scores["global"].append(macro_f1(probabilities[held], targets[held], global_t))
        scores["per_axis"].append(macro_f1(probabilities[held], targets[held], axis_t))
    cv = {mode: float(np.mean(values)) for mode, values in scores.items()}
    global_t = best_global_threshold(probabilities, targets)
    axis_t = best_axis_thresholds(probabilities, targets, global_t)
    mode = "per_axis" if cv["per_axis"] > cv["global"] else "global"
    return ThresholdChoice(mode, global_t, [float(t) for t in axis_t], cv)
