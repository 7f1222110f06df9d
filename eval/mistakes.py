"""The mistakes a reader should look at first: per axis, the most confident false positives and negatives.

A false positive is worse the higher its score, a false negative the lower. Each listed mistake carries
the opening of its text and the sentences that score highest for the axis on their own (the predictor's
evidence), so a reader can tell a model error from a labelling error without opening the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from model.predictor import Predictor

ERRORS_PER_AXIS = 8
OPENING_CHARACTERS = 220


@dataclass
class Mistake:
    id: str
    axis: str
    score: float
    threshold: float
    opening: str
    true_labels: list[str]
    predicted_labels: list[str]
    evidence: list[dict] = field(default_factory=list)


@dataclass
class AxisMistakes:
    """The most confident mistakes on one axis, and how many there are in all."""

    false_positive_count: int
    false_negative_count: int
    false_positives: list[Mistake]
    false_negatives: list[Mistake]

    def listed(self) -> list[Mistake]:
        return self.false_positives + self.false_negatives


def opening(text: str, limit: int = OPENING_CHARACTERS) -> str:
    """The first `limit` characters, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + " …"


def _labels(row: np.ndarray, axes: Sequence[str]) -> list[str]:
    return [axis for axis, chosen in zip(axes, row, strict=True) if chosen]


def find_mistakes(
    ids: Sequence[str],
    texts: Sequence[str],
    targets: np.ndarray,
    scores: np.ndarray,
    predicted: np.ndarray,
    thresholds: Sequence[float],
    axes: Sequence[str],
    limit: int = ERRORS_PER_AXIS,
) -> dict[str, AxisMistakes]:
    """Per axis, up to `limit` false positives and `limit` false negatives, most confident first."""
    result = {}
    for column, axis in enumerate(axes):
        false_positive = np.flatnonzero((predicted[:, column] == 1) & (targets[:, column] == 0))
        false_negative = np.flatnonzero((predicted[:, column] == 0) & (targets[:, column] == 1))
        ranked = {
            "false_positives": false_positive[np.argsort(-scores[false_positive, column], kind="stable")][:limit],
            "false_negatives": false_negative[np.argsort(scores[false_negative, column], kind="stable")][:limit],
        }
        listed = {
            kind: [
                Mistake(
                    id=ids[i],
                    axis=axis,
                    score=float(scores[i, column]),
                    threshold=float(thresholds[column]),
                    opening=opening(texts[i]),
                    true_labels=_labels(targets[i], axes),
                    predicted_labels=_labels(predicted[i], axes),
                )
                for i in rows
            ]
            for kind, rows in ranked.items()
        }
        result[axis] = AxisMistakes(len(false_positive), len(false_negative), **listed)
    return result


def attach_evidence(mistakes: dict[str, AxisMistakes], predictor: Predictor, texts_by_id: dict[str, str]) -> None:
    """Fill in the evidence sentences of the listed mistakes only: one evidence pass per text, all its axes."""
    wanted: dict[str, set[str]] = {}
    for mistake in (m for by_axis in mistakes.values() for m in by_axis.listed()):
        wanted.setdefault(mistake.id, set()).add(mistake.axis)
    found = {item_id: predictor.evidence(texts_by_id[item_id], sorted(axes)) for item_id, axes in wanted.items()}
    for mistake in (m for by_axis in mistakes.values() for m in by_axis.listed()):
        mistake.evidence = [{"sentence": e.sentence, "score": e.score} for e in found[mistake.id][mistake.axis]]


def mistakes_to_dict(mistakes: dict[str, AxisMistakes]) -> dict:
    return {axis: asdict(by_axis) for axis, by_axis in mistakes.items()}
