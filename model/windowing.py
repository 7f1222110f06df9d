"""Overlapping token windows, so long proposals are read whole instead of being truncated."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import torch

Aggregation = Literal["max", "mean", "attention_max"]


@dataclass(frozen=True)
class WindowSettings:
    """How texts become model inputs; stored in the model folder and reused at inference."""

    max_tokens: int = 256
    overlap: int = 64
    aggregation: Aggregation = "max"
    prefix: str = "passage: "

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class EncodedWindows:
    """Token windows of a batch of texts; `owner[i]` is the text that window i came from."""

    input_ids: list[list[int]]
    owner: list[int]

    def __len__(self) -> int:
        return len(self.input_ids)


def first_window_positions(owner: list[int]) -> list[int]:
    """Index of each text's first window (what plain truncation would read), in text order."""
    first: dict[int, int] = {}
    for position, text in enumerate(owner):
        first.setdefault(text, position)
    return [first[text] for text in sorted(first)]


def split_ids(content: list[int], size: int, overlap: int) -> list[list[int]]:
    """Cut `content` into chunks of at most `size` ids, consecutive chunks sharing `overlap` ids."""
    if len(content) <= size:
        return [content]
    step = max(1, size - overlap)
    chunks = []
    for start in range(0, len(content), step):
        chunks.append(content[start : start + size])
        if start + size >= len(content):
            break
    return chunks


def encode_windows(tokenizer, texts: list[str], settings: WindowSettings) -> EncodedWindows:
    """Tokenise each text (with the e5 prefix) into one or more windows framed by <s> ... </s>."""
    prefix_ids = tokenizer(settings.prefix.strip(), add_special_tokens=False)["input_ids"]
    bodies = tokenizer(list(texts), add_special_tokens=False, verbose=False)["input_ids"]
    room = settings.max_tokens - 2 - len(prefix_ids)
    windows: list[list[int]] = []
    owner: list[int] = []
    for index, body in enumerate(bodies):
        for chunk in split_ids(body, room, settings.overlap):
            windows.append([tokenizer.cls_token_id, *prefix_ids, *chunk, tokenizer.sep_token_id])
            owner.append(index)
    return EncodedWindows(windows, owner)


def length_batches(lengths: list[int], max_batch: int, max_tokens_per_batch: int) -> list[list[int]]:
    """Group indices of similar length so padding stays small; each batch holds a bounded token count."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        longest = max(lengths[index], *(lengths[i] for i in current)) if current else lengths[index]
        if current and (len(current) >= max_batch or longest * (len(current) + 1) > max_tokens_per_batch):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


def pad_batch(sequences: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(seq) for seq in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return ids, mask


def aggregate(window_logits: np.ndarray, owner: list[int], n_texts: int, how: Aggregation) -> np.ndarray:
    """One row of logits per text from its windows' logits.

    `max` says an axis is present if any part of the text supports it; `mean` averages the windows;
    `attention_max` is a soft maximum (log-mean-exp) that lets several supporting windows add up.
    """
    owner_array = np.asarray(owner)
    result = np.zeros((n_texts, window_logits.shape[1]), dtype=np.float32)
    for text in range(n_texts):
        rows = window_logits[owner_array == text]
        if how == "max":
            result[text] = rows.max(axis=0)
        elif how == "mean":
            result[text] = rows.mean(axis=0)
        else:
            peak = rows.max(axis=0)
            result[text] = peak + np.log(np.exp(rows - peak).mean(axis=0))
    return result
