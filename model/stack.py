"""Three readings of a text, stacked: the fine-tuned encoder, the TF-IDF model and the frozen-encoder probe.

The members fail differently: the fine-tuned encoder knows the corpus best, the n-gram model holds on to the
words that mark an axis, and the probe reads the text as the pretrained encoder does. A combiner of a few
numbers (one weight per member and a bias, shared by every axis) turns their logits into one calibrated
logit; it is fitted on texts no member was trained on, so it learns how far to trust each one.
The probe's states come from the fine-tuned encoder's own forward pass (a layer below its adapters).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.baseline import TfidfScorer, load_tfidf_scorer
from model.deadline import Deadline
from model.probe import LinearProbe, load_probe
from model.transformer_scorer import TransformerScorer, load_transformer_scorer

MEMBERS = ("transformer", "tfidf", "probe")


@dataclass(frozen=True)
class Combiner:
    """logit = sum of weight * member logit + bias, the same for every axis; stored in the manifest."""

    weights: dict[str, float]
    bias: float

    def combine(self, member_logits: dict[str, np.ndarray]) -> np.ndarray:
        total = sum(self.weights[name] * np.asarray(member_logits[name], dtype=np.float64) for name in MEMBERS)
        return (total + self.bias).astype(np.float32)

    def to_dict(self) -> dict:
        return {"weights": dict(self.weights), "bias": self.bias}


def fit_combiner(member_logits: dict[str, np.ndarray], targets: np.ndarray, sample_weight: np.ndarray) -> Combiner:
    """Logistic regression of every (text, axis) pair's label on the members' logits for that pair."""
    from sklearn.linear_model import LogisticRegression

    columns = np.stack([np.asarray(member_logits[name], dtype=float).ravel() for name in MEMBERS], axis=1)
    weights = np.repeat(np.asarray(sample_weight, dtype=float), targets.shape[1])
    fitted = LogisticRegression(C=1.0, max_iter=1000).fit(columns, np.asarray(targets).ravel(), sample_weight=weights)
    coefficients = {name: float(value) for name, value in zip(MEMBERS, fitted.coef_[0], strict=True)}
    return Combiner(coefficients, float(fitted.intercept_[0]))


class StackScorer:
    """Scores texts with the three members (one encoder pass serves two of them) and combines their logits."""

    def __init__(self, transformer: TransformerScorer, tfidf: TfidfScorer, probe: LinearProbe, combiner: Combiner):
        self.transformer = transformer
        self.tfidf = tfidf
        self.probe = probe
        self.combiner = combiner

    def member_logits(self, texts: list[str], deadline: Deadline | None = None) -> dict[str, np.ndarray]:
        return self.logits_and_states(texts, deadline)[0]

    def logits_and_states(
        self, texts: list[str], deadline: Deadline | None = None
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        logits, states = self.transformer.logits_and_states(texts, self.probe.layer, deadline)
        tfidf = self.tfidf.logits(texts, deadline)
        return {"transformer": logits, "tfidf": tfidf, "probe": self.probe.logits(states)}, states

    def logits(self, texts: list[str], deadline: Deadline | None = None) -> np.ndarray:
        return self.combiner.combine(self.member_logits(texts, deadline))

    def logits_and_unusualness(
        self, texts: list[str], deadline: Deadline | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The combined logits and how unlike the training texts each text reads (`LinearProbe.unusualness`)."""
        members, states = self.logits_and_states(texts, deadline)
        return self.combiner.combine(members), self.probe.unusualness(states)


def check_probe_layer(manifest: dict, layer: int, source: str) -> None:
    """The probe must read below the adapters, where the fine-tuned encoder is still the pretrained one."""
    lora = manifest.get("lora")
    first_adapted = (min(lora["layers"]) if lora.get("layers") else 0) if lora else None
    if first_adapted is not None and layer > first_adapted:
        raise ValueError(f"{source}: the probe reads layer {layer}, above the adapters (from layer {first_adapted})")


def load_stack_scorer(folder: Path, manifest: dict, precision: str = "fp32") -> StackScorer:
    stack = manifest["stack"]
    layer = int(stack["probe_layer"])
    check_probe_layer(manifest, layer, str(folder))
    return StackScorer(
        load_transformer_scorer(folder, manifest, precision, state_layer=layer),
        load_tfidf_scorer(folder),
        load_probe(folder, layer),
        Combiner(dict(stack["combiner"]["weights"]), float(stack["combiner"]["bias"])),
    )
