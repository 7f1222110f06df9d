"""`POST /classify_file`: a small CSV or JSONL upload scored row by row, returned as `axistag relabel` writes it.

The upload goes through the relabelling command's own checks (`plan_relabel`) and row builder (`ChunkScorer`),
so the file that comes back has exactly the columns and cell formats of `axistag relabel`. Only the model call
differs: the service's front holds no model, so the texts are scored by the scoring workers first and the row
builder is handed their results. Every refusal names the request field at fault (`file` or `text_column`), so
a form can show it next to that field.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from starlette.requests import Request

from model.axes import AXES
from model.predictor import Prediction, ScoringFailure
from relabel.formats import EXTENSIONS, FORMATS
from serving.schemas import Classification, ModelInfo, ScoringOutcome

if TYPE_CHECKING:  # the table readers need pyarrow (30 MB): every service process imports this module
    from relabel.plan import RelabelPlan
    from relabel.rows import ChunkRecord
    from relabel.tabular_io import SourceRow

UPLOAD_FORMATS = {name: fmt for name, fmt in FORMATS.items() if fmt in ("csv", "jsonl")}
MEDIA_TYPE_FORMATS = {
    "text/csv": "csv",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/x-jsonlines": "jsonl",
}
FORM_MEDIA_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}
LONGEST_NAME_BYTES = 200
LONGEST_COLUMN_NAME = 200
DEFAULT_TEXT_COLUMN = "text"
# Response headers with the row counts: header -> (field of the chunk record, what it counts).
COUNT_HEADERS = {
    "X-Axistag-Rows": ("rows", "Rows read from the file."),
    "X-Axistag-Scored": ("scored", "Rows scored."),
    "X-Axistag-Errors": ("errors", "Rows not scored; each has its reason in the `error` column."),
    "X-Axistag-Needs-Review": ("needs_review", "Scored rows flagged for a human look."),
}
BINARY_SNIFF_BYTES = 8192  # a NUL byte this early means a spreadsheet or an archive, not CSV or JSONL text


class UploadError(ValueError):
    """An upload the service refuses: the HTTP status, the request field at fault, and why.

    `kind` and `context` say the same as the message in a form a program can act on (a page can word it in
    its own language); they take the places of `type` and `ctx` in pydantic's validation errors.
    """

    def __init__(self, status: int, field: str, kind: str, message: str, **context: object) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.kind = kind
        self.context = context

    def detail(self) -> dict:
        """The error as one entry of the `errors` list of an error response."""
        entry = {"loc": [self.field], "msg": str(self), "type": self.kind}
        return entry | ({"ctx": self.context} if self.context else {})


@dataclass(frozen=True)
class Upload:
    """The uploaded file's bytes, what it is called, its format, and which column holds the texts."""

    content: bytes
    filename: str
    format: str
    text_column: str


@dataclass(frozen=True)
class UploadedTable:
    """An upload that passed the relabelling checks: its rows, and the texts among them that can be scored."""

    plan: RelabelPlan
    rows: list[SourceRow]
    texts: list[str]


@dataclass(frozen=True)
class LabelledFile:
    content: bytes
    filename: str
    media_type: str
    record: ChunkRecord

    def headers(self) -> dict[str, str]:
        """A download name (RFC 6266, UTF-8 safe) and the row counts, so a caller can summarise without parsing."""
        counts = {header: str(getattr(self.record, field)) for header, (field, _) in COUNT_HEADERS.items()}
        return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(self.filename)}", **counts}


async def receive_upload(request: Request, max_bytes: int) -> Upload:
    """The upload of `POST /classify_file?filename=…&text_column=…`, whose body is the file itself.

    The format comes from the file name's extension, else from the Content-Type; the body is read no further
    than the size limit.
    """
    filename = request.query_params.get("filename", "").strip()
    text_column = request.query_params.get("text_column", DEFAULT_TEXT_COLUMN).strip()
    if not text_column or len(text_column) > LONGEST_COLUMN_NAME:
        message = f"name the column that holds the texts (1 to {LONGEST_COLUMN_NAME} characters)"
        raise UploadError(400, "text_column", "missing", message)
    _refuse_forms(request.headers.get("content-type", ""))
    fmt = _upload_format(filename, request.headers.get("content-type", ""))
    declared = request.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    content = b"".join([chunk async for chunk in _limited(request.stream(), max_bytes)])
    name = _stored_name(filename, fmt)
    if not content.strip():
        raise UploadError(400, "file", "empty", f"{name} is empty", name=name)
    if b"\x00" in content[:BINARY_SNIFF_BYTES]:
        message = f"{name} is not a text file: save it as CSV or JSONL in UTF-8"
        raise UploadError(400, "file", "not_text", message, name=name)
    return Upload(content, name, fmt, text_column)


def _refuse_forms(content_type: str) -> None:
    """A browser form's body wraps the file in boundaries and fields; read as CSV, they would pass for its header."""
    media_type = content_type.split(";")[0].strip().lower()
    if media_type in FORM_MEDIA_TYPES:
        raise UploadError(
            415,
            "file",
            "form_upload",
            f"{media_type} bodies are not accepted: send the file itself as the body "
            "(e.g. `curl --data-binary @proposals.csv`)",
            media_type=media_type,
        )


def _upload_format(filename: str, content_type: str) -> str:
    accepted = ", ".join(UPLOAD_FORMATS)
    if filename:
        fmt = UPLOAD_FORMATS.get(Path(filename).suffix.lower())
        if fmt is None:
            name = Path(filename).name
            raise UploadError(
                415, "file", "unsupported_format", f"{name}: only {accepted} files can be scored", name=name
            )
        return fmt
    media_type = content_type.split(";")[0].strip().lower()
    fmt = MEDIA_TYPE_FORMATS.get(media_type)
    if fmt is None:
        raise UploadError(
            415,
            "file",
            "unsupported_format",
            f"cannot tell the format of the file: give its name (?filename=…, ending in {accepted}) "
            "or send it as text/csv or application/x-ndjson",
        )
    return fmt


def _stored_name(filename: str, fmt: str) -> str:
    """The upload's own name when it is safe to use as a file name (it appears in messages), else a neutral one."""
    name = Path(filename).name
    if name and "\x00" not in name and len(name.encode()) <= LONGEST_NAME_BYTES:
        return name
    return "upload" + EXTENSIONS[fmt]


def _too_large(max_bytes: int) -> UploadError:
    message = f"the file is larger than {max_bytes} bytes (AXISTAG_MAX_UPLOAD_BYTES)"
    return UploadError(413, "file", "too_large", message, max_bytes=max_bytes)


async def _limited(chunks: AsyncIterator[bytes], max_bytes: int) -> AsyncIterator[bytes]:
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        yield chunk


def open_upload(upload: Upload, folder: Path, max_characters: int) -> UploadedTable:
    """Write the upload into `folder` and check it as `axistag relabel` would; `max_characters` of text at most.

    The upload and the (unwritten) output are named in folders of their own, so no upload name can be the output's.
    """
    from relabel.plan import RelabelError, RelabelRequest, plan_relabel
    from relabel.tabular_io import TabularError, open_source

    (folder / "input").mkdir()
    path = folder / "input" / upload.filename
    path.write_bytes(upload.content)
    try:
        columns = open_source(path, upload.format).columns
        if columns and upload.text_column not in columns:
            available = ", ".join(repr(column) for column in columns)
            message = f"{upload.filename} has no column {upload.text_column!r}; its columns: {available}"
            raise UploadError(
                400, "text_column", "column_not_found", message, column=upload.text_column, columns=columns
            )
        request = RelabelRequest(
            input=path,
            output=folder / "output" / f"labelled{EXTENSIONS[upload.format]}",
            text_column=upload.text_column,
        )
        plan = plan_relabel(request)
        rows = list(plan.source.rows())
    except (TabularError, RelabelError) as error:
        raise UploadError(400, "file", "unreadable", str(error).replace(f"{path.parent}{os.sep}", "")) from error
    if not rows:
        raise UploadError(400, "file", "no_rows", f"{upload.filename} holds no rows to score", name=upload.filename)
    texts = [row.values[upload.text_column] for row in rows if _scorable(row, upload.text_column)]
    characters = sum(len(text) for text in texts)
    if characters > max_characters:
        raise UploadError(
            413,
            "file",
            "too_many_characters",
            f"the texts of {upload.filename} hold {characters} characters in all, more than the limit of "
            f"{max_characters} (AXISTAG_MAX_BATCH_CHARS): split the file",
            characters=characters,
            max_characters=max_characters,
        )
    return UploadedTable(plan, rows, texts)


def _scorable(row: SourceRow, column: str) -> bool:
    """The rows `ChunkScorer` sends to the model; the others get an `error` cell instead of scores."""
    from relabel.rows import text_problem

    return row.problem is None and text_problem(row.values, column) is None


@dataclass(frozen=True)
class ScoredTexts:
    """Stands in for the `Predictor` of `ChunkScorer`: answers with the predictions the scoring workers made."""

    name: str
    version: str
    axes: Sequence[str]
    predictions: Mapping[str, Prediction | ScoringFailure]

    def predict_each(self, texts: Sequence[str], explain: bool = False) -> list[Prediction | ScoringFailure]:
        return [self.predictions[text] for text in texts]


def as_prediction(outcome: ScoringOutcome) -> Prediction | ScoringFailure:
    """The scoring workers' answer in the `Predictor`'s own terms, for the relabelling row builder."""
    if outcome.result is None:
        return ScoringFailure(outcome.failure or "not scored")
    return _prediction(outcome.result)


def _prediction(result: Classification) -> Prediction:
    return Prediction(
        scores={entry.axis: entry.score for entry in result.axes},
        thresholds={entry.axis: entry.threshold for entry in result.axes},
        labels=list(result.labels),
        needs_review=result.needs_review,
        review_reasons=list(result.review_reasons),
        language=result.language,
    )


def labelled_file(table: UploadedTable, model: ModelInfo, outcomes: Sequence[ScoringOutcome]) -> LabelledFile:
    """The upload's rows with the relabelling columns added, as one file in the upload's format."""
    from relabel.rows import ChunkScorer

    predictions = {text: as_prediction(outcome) for text, outcome in zip(table.texts, outcomes, strict=True)}
    scorer = ChunkScorer(table.plan, ScoredTexts(model.name, model.version, AXES, predictions))
    labelled = scorer.encode(0, 0, table.rows)
    return LabelledFile(
        content=labelled.files["rows"],
        filename=f"{Path(table.plan.input_name).stem}.labelled{table.plan.request.output.suffix}",
        media_type=MEDIA_TYPES[table.plan.output_format],
        record=labelled.record,
    )
