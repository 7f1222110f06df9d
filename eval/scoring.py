"""Scoring the evaluation items through the predictor, exactly as the service and relabelling do."""

from __future__ import annotations

import json
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
    return scored_model(predictor, predictions, key, path)


def scored_model(predictor: Predictor, predictions: list[Prediction], key: str, path: Path) -> ScoredModel:
    axes = predictor.axes
    scores = np.array([[p.scores[a] for a in axes] for p in predictions], dtype=float).reshape(-1, len(axes))
    predicted = np.array([[int(a in p.labels) for a in axes] for p in predictions], dtype=int).reshape(-1, len(axes))
    return ScoredModel(key, Path(path), predictor, predictions, scores, predicted)


def scored_from_file(
    predictor: Predictor, ids: Sequence[str], texts: Sequence[str], key: str, path: Path, scores: Path
) -> ScoredModel:
    """Scores computed elsewhere (`axistag train --real-predictions`: out-of-fold), one JSON line per item id.

    Every evaluated item must have a line; the predictor only turns each line into a prediction.
    """
    by_id = {}
    for number, line in enumerate(Path(scores).read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            record = json.loads(line)
            if len(record.get("scores", [])) != len(predictor.axes):
                raise ValueError(f"{scores}:{number}: expected {len(predictor.axes)} scores")
            by_id[str(record["id"])] = record
    missing = [item_id for item_id in ids if item_id not in by_id]
    if missing:
        raise ValueError(f"{scores} has no scores for {len(missing)} item(s), e.g. {missing[:3]}")
    predictions = [
        predictor.prediction_from_scores(text, by_id[item_id]["scores"], by_id[item_id]["thresholds"])
        for item_id, text in zip(ids, texts, strict=True)
    ]
    return scored_model(predictor, predictions, key, path)
