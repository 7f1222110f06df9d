"""The backbone's unigram tokenizer for scoring, in about 70 MB instead of about 280 MB.

`tokenizers` keeps a unigram vocabulary in a byte trie with a hash map per node: for XLM-R's 250,002 pieces
that is about 280 MB, a quarter of a scoring worker's memory. Here the pieces sit in one dict and each word
is segmented by the same Viterbi search as `tokenizers` (its `encode_optimized`: float64 path scores, the
earliest start kept on a tie, unknown characters fused), so the ids are the same, which the tests and a
check on every corpus text confirm. Special tokens are split off, and the text normalised and cut into words,
by the backbone's own `tokenizers` components. Words recur, so their segmentations are cached. Scoring needs
ids only: there are no offsets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"
UNKNOWN_PENALTY = 10.0  # `tokenizers`' K_UNK_PENALTY: an unknown character scores this below the rarest piece
CACHED_WORDS = 65_536


class UnsupportedTokenizerError(ValueError):
    """The tokenizer is not one this module reproduces exactly; the caller keeps the full one."""


class UnigramPieces:
    """A unigram vocabulary and the Viterbi segmentation of one word into its pieces' ids."""

    def __init__(self, pieces: Sequence[tuple[str, float]], unk_id: int) -> None:
        self.ids = {piece: index for index, (piece, _) in enumerate(pieces)}
        self.scores = [float(score) for _, score in pieces]
        self.unk_id = unk_id
        self.unknown_score = min(self.scores) - UNKNOWN_PENALTY
        self.longest = max(len(piece) for piece, _ in pieces)
        self.segment = lru_cache(maxsize=CACHED_WORDS)(self._segment)

    def _segment(self, word: str) -> tuple[int, ...]:
        size = len(word)
        # Per end position: best score of a path ending there, where its last piece starts, and that piece's id.
        best: list[float | None] = [0.0] + [None] * size
        start_of = [0] * (size + 1)
        id_of = [0] * (size + 1)
        for start in range(size):
            here = best[start]
            for end in range(start + 1, min(size, start + self.longest) + 1):
                piece = self.ids.get(word[start:end])
                if piece is not None:
                    candidate = self.scores[piece] + here
                    if best[end] is None or candidate > best[end]:
                        best[end], start_of[end], id_of[end] = candidate, start, piece
            if word[start] not in self.ids:  # no piece of one character: the character is unknown
                candidate = self.unknown_score + here
                if best[start + 1] is None or candidate > best[start + 1]:
                    best[start + 1], start_of[start + 1], id_of[start + 1] = candidate, start, self.unk_id
        return tuple(reversed(self._backtrack(word, start_of, id_of)))

    def _backtrack(self, word: str, start_of: list[int], id_of: list[int]) -> list[int]:
        """The best path's ids, last first; neighbouring unknown pieces make one (unknown unless it is a piece)."""
        ids: list[int] = []
        end, unknown_end = len(word), None
        while end > 0:
            start = start_of[end]
            if id_of[end] == self.unk_id:
                unknown_end = end if unknown_end is None else unknown_end
            else:
                if unknown_end is not None:
                    ids.append(self.ids.get(word[end:unknown_end], self.unk_id))
                    unknown_end = None
                ids.append(id_of[end])
            end = start
        if unknown_end is not None:
            ids.append(self.ids.get(word[:unknown_end], self.unk_id))
        return ids


class CompactTokenizer:
    """Token ids of texts, as the backbone's fast tokenizer gives them (`__call__` takes its arguments)."""

    def __init__(
        self, pieces: UnigramPieces, normalizer, pre_tokenizer, specials: dict[str, int], frame: tuple[int, int, int]
    ) -> None:
        self.pieces = pieces
        self.normalizer = normalizer
        self.pre_tokenizer = pre_tokenizer
        self.specials = specials
        self.split_specials = re.compile("(" + "|".join(map(re.escape, sorted(specials, key=len, reverse=True))) + ")")
        self.cls_token_id, self.sep_token_id, self.pad_token_id = frame

    def __len__(self) -> int:
        return len(self.pieces.scores)

    def __call__(self, texts: str | Sequence[str], add_special_tokens: bool = True, **_: object) -> dict:
        """`{"input_ids": ...}` for one text or a list, framed by <s> ... </s> with `add_special_tokens`."""
        single = isinstance(texts, str)
        ids = [self.ids(text) for text in ([texts] if single else texts)]
        if add_special_tokens:
            ids = [[self.cls_token_id, *each, self.sep_token_id] for each in ids]
        return {"input_ids": ids[0] if single else ids}

    def ids(self, text: str) -> list[int]:
        ids: list[int] = []
        for part in self.split_specials.split(text) if self.specials else [text]:
            if part in self.specials:
                ids.append(self.specials[part])
            elif part:
                for word in self.words(part):
                    ids += self.pieces.segment(word)
        return ids

    def words(self, part: str) -> list[str]:
        """The words the model segments, as `tokenizers` cuts them: normalised, then pre-tokenized."""
        normalized = self.normalizer.normalize_str(part) if self.normalizer else part
        if self.pre_tokenizer is None:
            return [normalized] if normalized else []
        return [word for word, _ in self.pre_tokenizer.pre_tokenize_str(normalized) if word]


def compact_tokenizer(folder: Path) -> CompactTokenizer:
    """The compact tokenizer of a backbone folder; `UnsupportedTokenizerError` when it would not be exact."""
    from tokenizers import Tokenizer

    folder = Path(folder)
    if not (folder / TOKENIZER_FILE).is_file() or not (folder / TOKENIZER_CONFIG_FILE).is_file():
        raise UnsupportedTokenizerError(f"{folder} has no {TOKENIZER_FILE} and {TOKENIZER_CONFIG_FILE}")
    config = json.loads((folder / TOKENIZER_FILE).read_text(encoding="utf-8"))
    named = json.loads((folder / TOKENIZER_CONFIG_FILE).read_text(encoding="utf-8"))
    model = config["model"]
    if model.get("type") != "Unigram" or model.get("byte_fallback") or model.get("unk_id") is None:
        raise UnsupportedTokenizerError(f"a {model.get('type')} model, byte fallback {model.get('byte_fallback')}")
    added = config.get("added_tokens") or []
    if any(token["normalized"] or token["lstrip"] or token["rstrip"] or token["single_word"] for token in added):
        raise UnsupportedTokenizerError("added tokens matched other than verbatim")
    # The same normaliser and pre-tokenizer, on a one-piece model: they cost nothing.
    shell = Tokenizer.from_str(json.dumps({**config, "model": {**model, "vocab": model["vocab"][:1], "unk_id": 0}}))
    specials = {token["content"]: token["id"] for token in added}
    frame = tuple(specials.get(token_content(named.get(name))) for name in ("cls_token", "sep_token", "pad_token"))
    if None in frame:
        raise UnsupportedTokenizerError("the <s>, </s> or <pad> token is not among the added tokens")
    pieces = UnigramPieces([(piece, score) for piece, score in model["vocab"]], model["unk_id"])
    return CompactTokenizer(pieces, shell.normalizer, shell.pre_tokenizer, specials, frame)


def token_content(token: str | dict | None) -> str | None:
    """A special token's text as `tokenizer_config.json` names it: a string, or a serialised `AddedToken`."""
    return token.get("content") if isinstance(token, dict) else token
