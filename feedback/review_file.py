"""A reviewed `--review-out` file of `axistag relabel`, read back as corrections.

The relabelling columns say what the model said (`pred_labels`, `score_<axis>`, `model_version` as
`name@version`); the reviewer adds a column of corrected labels (`corrected_labels` by default: `a;b`, or
`none` for a text on no axis). Rows whose corrected cell is left blank were not reviewed and are skipped,
as are rows the model could not score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from feedback.correction import Correction
from model.axes import AXES, parse_labels
from relabel.tabular_io import TabularError, detect_format, open_source

NO_AXIS = "none"


@dataclass
class ReviewImport:
    corrections: list[Correction] = field(default_factory=list)
    not_reviewed: int = 0
    problems: list[str] = field(default_factory=list)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def _optional_text(value: Any) -> str | None:
    return None if _blank(value) else str(value).strip()


def _model_identity(label: str) -> tuple[str, str]:
    """`name@version` as relabelling writes it; a bare version has no name."""
    name, _, version = label.rpartition("@")
    return name or "unknown", version


def read_review_file(
    path: Path, labels_column: str, text_column: str = "text", reviewer: str | None = None
) -> ReviewImport:
    """The corrections a reviewer made in `path`; rows that cannot be read are listed, not imported."""
    source = open_source(path, detect_format(path))
    required = (labels_column, text_column, "pred_labels", "model_version")
    missing = [name for name in required if name not in source.columns]
    if missing:
        raise TabularError(f"{path.name}: column(s) {missing} not found; available: {', '.join(source.columns)}")
    result = ReviewImport()
    for number, row in enumerate(source.rows(), 1):
        values = row.values
        if row.problem or not _blank(values.get("error")):
            result.problems.append(f"row {number}: {row.problem or values.get('error')}")
            continue
        cell = values.get(labels_column)
        if _blank(cell):
            result.not_reviewed += 1
            continue
        text = values.get(text_column)
        if _blank(text):
            result.problems.append(f"row {number}: empty text in {text_column!r}")
            continue
        try:
            corrected = [] if str(cell).strip().lower() == NO_AXIS else parse_labels(cell)
            model_labels = parse_labels(values.get("pred_labels"))
        except ValueError as error:
            result.problems.append(f"row {number}: {error}")
            continue
        name, version = _model_identity(str(values.get("model_version") or ""))
        scores = {axis: float(values[f"score_{axis}"]) for axis in AXES if not _blank(values.get(f"score_{axis}"))}
        result.corrections.append(
            Correction(
                text=str(text),
                model_name=name,
                model_version=version,
                model_scores=scores,
                model_labels=model_labels,
                corrected_labels=corrected,
                reviewer=_optional_text(values.get("reviewer")) or reviewer,
                comment=_optional_text(values.get("comment")),
                source="review-file",
            )
        )
    return result
