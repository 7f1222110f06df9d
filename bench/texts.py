"""The proposals every benchmark reads: real corpus texts, optionally of one token length."""

from __future__ import annotations

import json
import random
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT / "data" / "proposals.jsonl"


def corpus_texts(data: Path | None = None) -> list[str]:
    """Every non-empty text of a JSONL corpus (default: data/proposals.jsonl)."""
    path = data or CORPUS
    if not path.is_file():
        raise SystemExit(f"no corpus at {path}; pass --data FILE.jsonl")
    texts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            text = json.loads(line).get("text")
        except (json.JSONDecodeError, AttributeError):
            continue
        if isinstance(text, str) and text.strip():
            texts.append(text)
    if not texts:
        raise SystemExit(f"{path} holds no text")
    return texts


def texts_of_tokens(tokenizer, texts: list[str], tokens: int, count: int, seed: int = 0) -> list[str]:
    """`count` texts drawn with replacement among those within 10% of `tokens` tokens.

    The speed targets are stated for proposals of one length; real texts of that length keep the vocabulary
    and sentence structure realistic, where cutting texts to size would not.
    """
    lengths = [len(ids) for ids in tokenizer(texts, add_special_tokens=True, verbose=False)["input_ids"]]
    near = [text for text, length in zip(texts, lengths, strict=True) if abs(length - tokens) <= tokens // 10]
    if not near:
        raise SystemExit(f"no corpus text has about {tokens} tokens")
    return random.Random(seed).choices(near, k=count)


def texts_of_words(texts: list[str], words: int, count: int, seed: int = 1) -> list[str]:
    """`count` passages of exactly `words` words, cut from the corpus's running text."""
    pool = " ".join(texts).split()
    while len(pool) <= words:
        pool += pool
    generator = random.Random(seed)
    starts = [generator.randrange(len(pool) - words) for _ in range(count)]
    return [" ".join(pool[start : start + words]) for start in starts]
