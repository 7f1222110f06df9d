"""Turning a chunk of input rows into output rows: the one row builder every engine and the file route use.

A chunk is scored with one `predict_each` call (the scorer batches its token windows by length, which is where
padding is saved) and comes back as output rows, review rows and a `ChunkRecord` of its counts. Engines differ
only in where a chunk is scored and how its encoded files reach the work directory, so their outputs agree
row for row and cell for cell.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa

from model.predictor import Prediction, ScoringFailure
from model.safe_text import was_repaired
from relabel.disagreement import Comparison
from relabel.tabular_io import Source, SourceRow, encode_chunk, json_text

if TYPE_CHECKING:
    from relabel.plan import RelabelPlan

ERROR_EXAMPLES = 5
SCORE_DECIMALS = 6
EVIDENCE_TYPE = pa.list_(
    pa.struct(
        [
            ("axis", pa.string()),
            ("sentence", pa.string()),
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("score", pa.float64()),
        ]
    )
)


class Model(Protocol):
    """What the row builder needs of a model: a `Predictor`, or the file route's stand-in for one."""

    name: str
    version: str
    axes: Sequence[str]

    def predict_each(self, texts: Sequence[str], explain: bool = False) -> list[Prediction | ScoringFailure]: ...


def added_columns(axes: Sequence[str], explain: bool, compare: bool) -> list[str]:
    """The columns a run appends to every row, in order."""
    columns = ["pred_labels", *(f"score_{axis}" for axis in axes)]
    columns += ["needs_review", "review_reasons", "language", "model_version", "error"]
    if compare:
        columns.append("label_changes")
    if explain:
        columns.append("evidence")
    return columns


def added_types(axes: Sequence[str]) -> dict[str, pa.DataType]:
    """Parquet types of the added columns, fixed so that every chunk has the same schema."""
    types: dict[str, pa.DataType] = {f"score_{axis}": pa.float64() for axis in axes}
    types |= {name: pa.list_(pa.string()) for name in ("pred_labels", "review_reasons", "label_changes")}
    types |= {"needs_review": pa.bool_(), "evidence": EVIDENCE_TYPE}
    types |= {name: pa.string() for name in ("language", "model_version", "error")}
    return types


def model_label(name: str, version: str) -> str:
    return f"{name}@{version}"


@dataclass
class ChunkRecord:
    """What one committed chunk holds; the per-chunk JSON that marks it done."""

    index: int
    first_row: int
    rows: int
    scored: int = 0
    errors: int = 0
    needs_review: int = 0
    review_rows: int = 0
    labels: dict[str, int] = field(default_factory=dict)
    error_examples: list[str] = field(default_factory=list)
    comparison: dict[str, Any] | None = None


@dataclass(frozen=True)
class EncodedChunk:
    """A scored chunk ready to be saved: its record and its files' bytes by kind (`rows`, `review`)."""

    record: ChunkRecord
    files: dict[str, bytes]


def numbered_chunks(source: Source, size: int) -> Iterator[tuple[int, int, list[SourceRow]]]:
    """(index, first row, rows) of consecutive chunks; an input with no row still makes one empty chunk,
    so that the output has its columns."""
    first_row = 0
    index = -1
    for index, chunk in enumerate(source.chunks(size)):
        yield index, first_row, chunk
        first_row += len(chunk)
    if index == -1:
        yield 0, 0, []


def text_problem(values: dict[str, Any], column: str) -> str | None:
    """Why this row's text cannot be scored, or None."""
    if column not in values:
        return f"no {column!r} field"
    value = values[column]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"missing text in {column!r}"
    if not isinstance(value, str):
        return f"non-text value ({type(value).__name__}) in {column!r}"
    if not value.strip():
        return f"empty text in {column!r}"
    if was_repaired(value):
        return f"undecodable bytes in {column!r} (not valid UTF-8 or Unicode there, shown as U+FFFD)"
    return None


def _evidence_records(prediction: Prediction) -> list[dict[str, Any]]:
    return [
        {"axis": axis, "sentence": e.sentence, "start": e.start, "end": e.end, "score": round(e.score, SCORE_DECIMALS)}
        for axis, items in (prediction.evidence or {}).items()
        for e in items
    ]


def _styled(added: dict[str, Any], fmt: str) -> dict[str, Any]:
    """In CSV, lists become `;`-joined cells and evidence a JSON string, forms a spreadsheet user can read."""
    if fmt != "csv":
        return added
    cells = dict(added)
    for name, separator in (("pred_labels", ";"), ("label_changes", ";"), ("review_reasons", "; ")):
        if cells.get(name) is not None:
            cells[name] = separator.join(cells[name])
    if cells.get("evidence") is not None:
        cells["evidence"] = json_text(cells["evidence"])
    return cells


class ChunkScorer:
    """Turns a chunk of input rows into output rows, review rows and a `ChunkRecord`."""

    def __init__(self, plan: RelabelPlan, model: Model) -> None:
        self.plan = plan
        self.model = model
        self.request = plan.request
        self.version = model_label(model.name, model.version)
        self.columns = added_columns(model.axes, self.request.explain, self.request.compare_column is not None)
        self.types = added_types(model.axes)
        if plan.source.arrow_schema is not None:
            self.types = {f.name: f.type for f in plan.source.arrow_schema} | self.types
        self.replaced = set(self.columns)

    def item_name(self, values: dict[str, Any], row_number: int) -> str:
        value = values.get(self.plan.id_column) if self.plan.id_column else None
        return f"row {row_number}" if value is None else str(value)

    def outcomes(self, chunk: list[SourceRow]) -> list[Prediction | str]:
        """Per row, its prediction or why it has none; the scorable texts are scored together."""
        column = self.request.text_column
        problems = [row.problem or text_problem(row.values, column) for row in chunk]
        texts = [row.values[column] for row, problem in zip(chunk, problems, strict=True) if problem is None]
        predictions = iter(self.model.predict_each(texts, explain=self.request.explain))
        outcomes = [problem if problem is not None else next(predictions) for problem in problems]
        return [outcome.reason if isinstance(outcome, ScoringFailure) else outcome for outcome in outcomes]

    def score(self, index: int, first_row: int, chunk: list[SourceRow]) -> tuple[list, list, ChunkRecord]:
        """Output rows, review rows, and the chunk's record."""
        record = ChunkRecord(index=index, first_row=first_row, rows=len(chunk))
        labels: Counter = Counter()
        comparison = Comparison(self.request.compare_column) if self.request.compare_column else None
        rows, review = [], []
        for offset, (row, outcome) in enumerate(zip(chunk, self.outcomes(chunk), strict=True)):
            row_number = first_row + offset + 1
            added: dict[str, Any] = dict.fromkeys(self.columns)
            added["model_version"] = self.version
            if isinstance(outcome, str):
                added["error"] = outcome
                record.errors += 1
                if len(record.error_examples) < ERROR_EXAMPLES:
                    record.error_examples.append(f"{self.item_name(row.values, row_number)}: {outcome}")
            else:
                self._fill(added, outcome)
                record.scored += 1
                record.needs_review += outcome.needs_review
                labels.update(outcome.labels)
                if comparison is not None:
                    name = self.item_name(row.values, row_number)
                    old = row.values.get(self.request.compare_column)
                    text = row.values[self.request.text_column]
                    added["label_changes"] = comparison.add(row_number, name, text, old, outcome)
            values = {k: v for k, v in row.values.items() if k not in self.replaced}
            rows.append(values | _styled(added, self.plan.output_format))
            if self.plan.review_format and (added["needs_review"] or added["error"] or added.get("label_changes")):
                review.append(values | _styled(added, self.plan.review_format))
        record.review_rows = len(review)
        record.labels = dict(labels)
        record.comparison = comparison.to_dict() if comparison else None
        return rows, review, record

    def _fill(self, added: dict[str, Any], prediction: Prediction) -> None:
        added["pred_labels"] = list(prediction.labels)
        for axis, score in prediction.scores.items():
            added[f"score_{axis}"] = round(score, SCORE_DECIMALS)
        added["needs_review"] = prediction.needs_review
        added["review_reasons"] = list(prediction.review_reasons)
        added["language"] = prediction.language
        if self.request.explain:
            added["evidence"] = _evidence_records(prediction)

    def chunk_columns(self, chunk: list[SourceRow]) -> list[str]:
        """Input columns (the header, or for JSONL the keys this chunk has), then the added ones."""
        seen = dict.fromkeys(self.plan.source.columns)
        if self.plan.source.format == "jsonl":
            seen = {key: None for row in chunk for key in row.values}
        return [c for c in seen if c not in self.replaced] + self.columns

    def encode(self, index: int, first_row: int, chunk: list[SourceRow]) -> EncodedChunk:
        """Score the chunk and encode its files, ready for any process to save."""
        rows, review, record = self.score(index, first_row, chunk)
        columns = self.chunk_columns(chunk)
        files = {"rows": encode_chunk(self.plan.output_format, rows, columns, self.types)}
        if self.plan.review_format:
            files["review"] = encode_chunk(self.plan.review_format, review, columns, self.types)
        return EncodedChunk(record, files)
