"""One reviewer's correction of a model's labels, as every part of the feedback loop passes it around."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from model.axes import AXES

# Longest reviewer's comment accepted: a few sentences, not a document.
MAX_COMMENT_CHARS = 2000


def text_sha256(text: str) -> str:
    """The key that groups corrections of the same text, whichever route they came by."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Correction:
    """The model's judgement of a text next to the reviewer's; `source` says which route brought it in."""

    text: str
    model_name: str
    model_version: str
    model_scores: dict[str, float]
    model_labels: list[str]
    corrected_labels: list[str]
    reviewer: str | None = None
    comment: str | None = None
    source: str = "service"
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def text_hash(self) -> str:
        return text_sha256(self.text)

    @property
    def added(self) -> list[str]:
        """Axes the reviewer selected and the model did not, in schema order."""
        return [axis for axis in AXES if axis in self.corrected_labels and axis not in self.model_labels]

    @property
    def removed(self) -> list[str]:
        """Axes the model selected and the reviewer took away, in schema order."""
        return [axis for axis in AXES if axis in self.model_labels and axis not in self.corrected_labels]
