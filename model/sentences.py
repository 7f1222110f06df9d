"""Sentence segmentation with character offsets, so evidence can be highlighted in the original text."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at . ! ? ; or a line break, when followed by white space (or the end of the text).
_BOUNDARY = re.compile(r"(?<=[.!?;:])\s+|\n+|(?<=\S)\s+(?=[-•*·]\s)")
MIN_SENTENCE_CHARS = 12


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of `text` with their [start, end) offsets; fragments too short to judge are merged."""
    sentences: list[Sentence] = []
    position = 0
    for boundary in [*_BOUNDARY.finditer(text), None]:
        end = boundary.start() if boundary else len(text)
        raw = text[position:end]
        stripped = raw.strip()
        if stripped:
            start = position + raw.index(stripped)
            piece = Sentence(stripped, start, start + len(stripped))
            if sentences and len(sentences[-1].text) < MIN_SENTENCE_CHARS:
                previous = sentences.pop()
                piece = Sentence(text[previous.start : piece.end], previous.start, piece.end)
            sentences.append(piece)
        position = boundary.end() if boundary else len(text)
    return sentences
