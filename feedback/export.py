"""Corrections as a labelled file that `axistag train` and `axistag evaluate` read (training.corpus).

One row per text, its latest correction: `id`, `text`, `labels` (the reviewer's), then where the judgement
came from (`model_name`, `model_version` the correction was made against, `model_labels`) and who made it.
The extra columns are ignored by training and evaluation. CSV cells hold labels as `a;b`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa

from feedback.correction import Correction
from relabel.tabular_io import write_chunk

LABELLED_COLUMNS = [
    "id",
    "text",
    "labels",
    "model_name",
    "model_version",
    "model_labels",
    "reviewer",
    "comment",
    "corrected_at",
]
LIST_COLUMNS = ("labels", "model_labels")
ARROW_TYPES = {name: pa.list_(pa.string()) for name in LIST_COLUMNS} | {
    name: pa.string() for name in LABELLED_COLUMNS if name not in LIST_COLUMNS
}


def correction_id(correction: Correction) -> str:
    """Stable across exports: the same text keeps its id however often it is corrected."""
    return f"fb-{correction.text_hash[:16]}"


def labelled_row(correction: Correction) -> dict[str, Any]:
    return {
        "id": correction_id(correction),
        "text": correction.text,
        "labels": list(correction.corrected_labels),
        "model_name": correction.model_name,
        "model_version": correction.model_version,
        "model_labels": list(correction.model_labels),
        "reviewer": correction.reviewer,
        "comment": correction.comment,
        "corrected_at": correction.created_at.isoformat(),
    }


def write_labelled(corrections: Iterable[Correction], path: Path, fmt: str) -> int:
    """Write the file whole, then move it into place, so a reader never sees half of it; returns the rows."""
    rows = [labelled_row(correction) for correction in corrections]
    if fmt == "csv":
        rows = [row | {name: ";".join(row[name]) for name in LIST_COLUMNS} for row in rows]
    partial = path.with_name(f".{path.name}.partial")
    write_chunk(partial, fmt, rows, LABELLED_COLUMNS, ARROW_TYPES)
    os.replace(partial, path)
    return len(rows)
