"""Scoring the evaluation items through the predictor, exactly as the service and relabelling do."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from model.predictor import Prediction, Predictor

BATCH_SIZE = 32


@dataclass
class ScoredModel:
    """One model's calibrated scores (n, axes) and decisions (multi-hot, n x axes) on the evaluation items."""

    key: str
    path: Path
    predictor: Predictor
    predictions: list[Prediction]
    scores: np.ndarray
    predicted: np.ndarray

    def describe(self) -> dict:
        manifest = self.predictor.manifest
        return {
            "key": self.key,
            "name": self.predictor.name,
            "version": self.predictor.version,
            "kind": manifest.get("kind"),
            "path": str(self.path),
            "created": manifest.get("created"),
            "code_version": manifest.get("code_version"),
            "backbone": manifest.get("backbone", {}).get("name"),
            "training_data_sha256": manifest.get("training", {}).get("data_sha256"),
            "threshold_mode": manifest["thresholds"]["mode"],
        }


def unique_keys(names: Sequence[str]) -> list[str]:
    """Model names as given, numbered only where two models share a name, so report columns stay distinct."""
    totals, seen = Counter(names), Counter()
    keys = []
    for name in names:
        seen[name] += 1
        keys.append(name if totals[name] == 1 else f"{name} #{seen[name]}")
    return keys


def score_model(
    predictor: Predictor,
    texts: Sequence[str],
    key: str,
    path: Path,
    batch_size: int = BATCH_SIZE,
    progress: bool = True,
) -> ScoredModel:
    """Predict in batches behind a progress bar; scores and decisions come from the same predictions."""
    predictions: list[Prediction] = []
    with tqdm(total=len(texts), desc=f"scoring with {key}", unit="text", disable=not progress) as bar:
        for start in range(0, len(texts), batch_size):
            batch = texts[start : start + batch_size]
            predictions.extend(predictor.predict(batch))
            bar.update(len(batch))
    axes = predictor.axes
    scores = np.array([[p.scores[a] for a in axes] for p in predictions], dtype=float).reshape(-1, len(axes))
    predicted = np.array([[int(a in p.labels) for a in axes] for p in predictions], dtype=int).reshape(-1, len(axes))
    return ScoredModel(key, Path(path), predictor, predictions, scores, predicted)
