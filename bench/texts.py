"""The proposals every benchmark reads: real corpus texts of one token length, or passages of one word count."""

from __future__ import annotations

import random
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT / "data" / "proposals.jsonl"


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
