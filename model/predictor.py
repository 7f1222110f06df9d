"""The one scoring path used by the HTTP service, batch relabelling and evaluation.

A `Predictor` turns texts into calibrated per-axis scores, applies the stored thresholds, detects the
language, raises a review flag where a human should look, and on request extracts evidence sentences.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from model.axes import AXES
from model.calibration import apply_calibration
from model.deadline import Deadline, DeadlinePassedError
from model.folder import read_manifest
from model.language import detect_language, detect_languages
from model.review import expected_mistakes
from model.safe_text import was_repaired
from model.sentences import split_sentences

if TYPE_CHECKING:
    from model.transformer_scorer import TransformerScorer

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = REPO_ROOT / "models" / "default"
REVIEW_MARGIN = 0.08
MIN_WORDS = 8
EVIDENCE_PER_AXIS = 2


class Scorer(Protocol):
    def logits(self, texts: list[str], deadline: Deadline | None = None) -> np.ndarray: ...


@dataclass(frozen=True)
class Evidence:
    sentence: str
    start: int
    end: int
    score: float


@dataclass
class Prediction:
    scores: dict[str, float]
    thresholds: dict[str, float]
    labels: list[str]
    needs_review: bool
    review_reasons: list[str]
    language: str | None
    evidence: dict[str, list[Evidence]] | None = field(default=None)


@dataclass(frozen=True)
class ScoringFailure:
    """Why one text could not be scored; it takes that text's place among the predictions."""

    reason: str


def default_model_path() -> Path:
    return Path(os.environ.get("AXISTAG_MODEL", DEFAULT_MODEL))


class Predictor:
    """Load a model folder once, then score any number of texts with it."""

    def __init__(self, scorer: Scorer, manifest: dict) -> None:
        self.scorer = scorer
        self.manifest = manifest
        self.axes: tuple[str, ...] = tuple(manifest["axes"])
        self.temperature = float(manifest["calibration"]["temperature"])
        self.bias = float(manifest["calibration"].get("bias", 0.0))
        self.thresholds = np.asarray(manifest["thresholds"]["selected"], dtype=float)
        self.languages = set(manifest.get("languages", []))
        self.review_cut: float | None = manifest.get("review", {}).get("expected_mistakes_cut")
        self.unusual_above: float | None = manifest.get("review", {}).get("unusual_above")

    @classmethod
    def load(cls, path: Path | str | None = None, precision: str | None = None) -> Predictor:
        """`precision` (auto, fp32, bf16 or int8; default $AXISTAG_PRECISION or auto) applies to encoder models."""
        folder = Path(path) if path else default_model_path()
        manifest = read_manifest(folder)
        if tuple(manifest["axes"]) != AXES:
            raise ValueError(f"{folder}: axes {manifest['axes']} differ from this version's {list(AXES)}")
        kind = manifest["kind"]
        if kind == "tfidf":
            from model.baseline import load_tfidf_scorer

            return cls(load_tfidf_scorer(folder), manifest)
        precision = precision or os.environ.get("AXISTAG_PRECISION", "auto")
        if kind == "ensemble":
            from model.ensemble import load_ensemble_scorer

            return cls(load_ensemble_scorer(folder, manifest, precision), manifest)
        if kind == "stack":
            from model.stack import load_stack_scorer

            return cls(load_stack_scorer(folder, manifest, precision), manifest)
        if kind != "transformer":
            raise ValueError(f"{folder}: unknown model kind {kind!r}")
        from model.transformer_scorer import load_transformer_scorer

        return cls(load_transformer_scorer(folder, manifest, precision), manifest)

    @property
    def encoder(self) -> TransformerScorer | None:
        """The fine-tuned encoder behind this predictor (alone, in an ensemble or a stack); None for TF-IDF."""
        from model.transformer_scorer import TransformerScorer

        if isinstance(self.scorer, TransformerScorer):
            return self.scorer
        member = getattr(self.scorer, "transformer", None)
        return member if isinstance(member, TransformerScorer) else None

    @property
    def name(self) -> str:
        return self.manifest["name"]

    @property
    def version(self) -> str:
        return self.manifest["version"]

    def probabilities(self, texts: Sequence[str], deadline: Deadline | None = None) -> np.ndarray:
        """Calibrated scores, shape (len(texts), 8)."""
        return self.calibrated(self.scorer.logits(list(texts), deadline))

    def calibrated(self, logits: np.ndarray) -> np.ndarray:
        """The stored calibration applied to raw logits: sigmoid(logits / temperature + bias)."""
        return apply_calibration(logits, self.temperature, self.bias)

    def predict(
        self, texts: Sequence[str], explain: bool = False, deadline: Deadline | None = None
    ) -> list[Prediction]:
        """Predictions in the order of `texts`; raises `DeadlinePassedError` once `deadline` has passed."""
        texts = list(texts)
        probabilities, unusualness = self._scored(texts, deadline)
        languages = detect_languages(texts)
        return [
            self._prediction(text, row, language, explain, deadline, unusual=self._unusual(unusualness, index))
            for index, (text, row, language) in enumerate(zip(texts, probabilities, languages, strict=True))
        ]

    def _scored(self, texts: list[str], deadline: Deadline | None) -> tuple[np.ndarray, np.ndarray | None]:
        """Calibrated scores, and how unlike the training texts each text reads where the scorer can tell (stacks)."""
        if self.unusual_above is not None and hasattr(self.scorer, "logits_and_unusualness"):
            logits, unusualness = self.scorer.logits_and_unusualness(texts, deadline)
            return self.calibrated(logits), unusualness
        return self.probabilities(texts, deadline), None

    def _unusual(self, unusualness: np.ndarray | None, index: int) -> bool:
        return unusualness is not None and bool(unusualness[index] > self.unusual_above)

    def predict_each(
        self, texts: Sequence[str], explain: bool = False, deadline: Deadline | None = None
    ) -> list[Prediction | ScoringFailure]:
        """As `predict`, but a text that makes the model fail costs its own place, never its batch-mates'.

        The texts are scored together; if that fails, each is scored alone and the failing ones get a
        `ScoringFailure`. A passed deadline is nobody's text's fault: it still raises.
        """
        texts = list(texts)
        try:
            return list(self.predict(texts, explain, deadline))
        except DeadlinePassedError:
            raise
        except Exception:  # one text is faulty: score each alone below, which finds it
            return [self._alone(text, explain, deadline) for text in texts]

    def _alone(self, text: str, explain: bool, deadline: Deadline | None) -> Prediction | ScoringFailure:
        """The text's prediction when it scores alone, else why it cannot be scored."""
        try:
            return self.predict([text], explain, deadline)[0]
        except DeadlinePassedError:
            raise
        except Exception as error:
            return ScoringFailure(f"scoring failed: {type(error).__name__}: {error}")

    def prediction_from_scores(self, text: str, row: np.ndarray, thresholds: np.ndarray) -> Prediction:
        """The prediction for calibrated scores computed elsewhere (out-of-fold, say) under their own thresholds."""
        row, thresholds = np.asarray(row, dtype=float), np.asarray(thresholds, dtype=float)
        return self._prediction(text, row, detect_language(text), False, None, thresholds)

    def _prediction(
        self,
        text: str,
        row: np.ndarray,
        language: str | None,
        explain: bool,
        deadline: Deadline | None,
        thresholds: np.ndarray | None = None,
        unusual: bool = False,
    ) -> Prediction:
        thresholds = self.thresholds if thresholds is None else thresholds
        selected = row >= thresholds
        labels = [axis for axis, chosen in zip(self.axes, selected, strict=True) if chosen]
        reasons = self._review_reasons(text, row, thresholds, selected, language)
        if unusual:
            reasons.append("unlike the proposals the model learned from")
        return Prediction(
            scores={axis: float(score) for axis, score in zip(self.axes, row, strict=True)},
            thresholds={axis: float(t) for axis, t in zip(self.axes, thresholds, strict=True)},
            labels=labels,
            needs_review=bool(reasons),
            review_reasons=reasons,
            language=language,
            evidence=self.evidence(text, labels, deadline) if explain else None,
        )

    def _review_reasons(
        self, text: str, row: np.ndarray, thresholds: np.ndarray, selected: np.ndarray, language: str | None
    ) -> list[str]:
        reasons = []
        if self.review_cut is not None:
            doubt = float(expected_mistakes(row, selected))
            if doubt >= self.review_cut:
                reasons.append(f"uncertain: about {doubt:.1f} of the axis decisions may be wrong")
        else:
            near = [a for a, s, t in zip(self.axes, row, thresholds, strict=True) if abs(s - t) < REVIEW_MARGIN]
            if near:
                reasons.append("close to the threshold: " + ", ".join(near))
        if len(text.split()) < MIN_WORDS:
            reasons.append(f"too short to judge (fewer than {MIN_WORDS} words)")
        if was_repaired(text):
            reasons.append("part of the text was not valid Unicode (shown as U+FFFD)")
        if language is None:
            reasons.append("language not recognised")
        elif self.languages and language not in self.languages:
            reasons.append(f"language '{language}' not covered by the training data")
        return reasons

    def evidence(self, text: str, labels: list[str], deadline: Deadline | None = None) -> dict[str, list[Evidence]]:
        """For each selected axis, the sentences that score highest for it on their own."""
        if not labels:
            return {}
        sentences = split_sentences(text)
        if not sentences:
            return {axis: [] for axis in labels}
        scores = self.probabilities([s.text for s in sentences], deadline)
        result = {}
        for axis in labels:
            column = self.axes.index(axis)
            ranked = np.argsort(-scores[:, column])[:EVIDENCE_PER_AXIS]
            result[axis] = [
                Evidence(sentences[i].text, sentences[i].start, sentences[i].end, float(scores[i, column]))
                for i in ranked
            ]
        return result
