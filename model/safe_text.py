"""Text made safe where it enters: every entry point (HTTP bodies, uploaded and relabelled files, the command
line) passes its texts through `safe_text` before anything else sees them.

A Python string can hold what UTF-8 cannot encode: a lone surrogate (`"\\ud800"` is valid JSON) or an
undecodable command-line byte kept by `surrogateescape`. The tokenizer raises on such a text, and so does
every writer of the output. Replacing each of them by U+FFFD keeps the row, and the replacement character is
the flag later stages read (`needs_review` when scored, an `error` in a relabelled file).
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")


def safe_text(raw: str | bytes) -> str:
    """`raw` as a string UTF-8 can encode: bytes decoded, lone surrogates and bad bytes replaced by U+FFFD."""
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace")
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub(REPLACEMENT, raw)
    return raw


def was_repaired(text: str) -> bool:
    """Whether part of the text was not valid Unicode and now stands as U+FFFD."""
    return REPLACEMENT in text
