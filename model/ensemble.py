"""The fine-tuned encoder and the TF-IDF baseline, averaged: two readings of a text that fail differently.

The encoder generalises across languages and paraphrase; the n-gram model holds on to the exact words
that mark an axis. Each member is first calibrated on validation (their raw logits live on different
scales), then their probabilities are mixed with a fixed weight, and the mixture is turned back into
logits so the predictor calibrates and thresholds it like any other model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from model.baseline import TfidfScorer, load_tfidf_scorer
from model.calibration import sigmoid
from model.deadline import Deadline
from model.transformer_scorer import TransformerScorer, load_transformer_scorer

PROBABILITY_FLOOR = 1e-6


@dataclass(frozen=True)
class Blend:
    """How the members' scores are mixed; stored in the model folder's manifest."""

    transformer_weight: float
    transformer_temperature: float
    tfidf_temperature: float

    def to_dict(self) -> dict:
        return asdict(self)


def blend_logits(transformer_logits: np.ndarray, tfidf_logits: np.ndarray, blend: Blend) -> np.ndarray:
    """Log-odds of the weighted mean of the two members' calibrated probabilities."""
    weight = blend.transformer_weight
    mixed = weight * sigmoid(transformer_logits / blend.transformer_temperature) + (1 - weight) * sigmoid(
        tfidf_logits / blend.tfidf_temperature
    )
    mixed = np.clip(mixed, PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)
    return np.log(mixed / (1 - mixed)).astype(np.float32)


class EnsembleScorer:
    """Scores texts with both members and blends their logits."""

    def __init__(self, transformer: TransformerScorer, tfidf: TfidfScorer, blend: Blend) -> None:
        self.transformer = transformer
        self.tfidf = tfidf
        self.blend = blend

    def logits(self, texts: list[str], deadline: Deadline | None = None) -> np.ndarray:
        return blend_logits(self.transformer.logits(texts, deadline), self.tfidf.logits(texts), self.blend)


def load_ensemble_scorer(folder: Path, manifest: dict, precision: str = "fp32") -> EnsembleScorer:
    return EnsembleScorer(
        load_transformer_scorer(folder, manifest, precision),
        load_tfidf_scorer(folder),
        Blend(**manifest["ensemble"]),
    )
