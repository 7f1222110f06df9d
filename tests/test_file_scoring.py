"""File uploads for `POST /classify_file`: reading the request, the relabelling checks, and the file written back.

The service itself is exercised over HTTP in `tests/test_page.py`; here the parts run in process, with the
tiny model's predictions standing in for the scoring workers' answers.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pytest
from starlette.requests import Request

from model.predictor import Prediction
from relabel.engine_local import relabel_file
from relabel.plan import RelabelRequest
from serving.file_scoring import (
    Upload,
    UploadError,
    labelled_file,
    open_upload,
    receive_upload,
)
from serving.schemas import Classification, ModelInfo, ScoringOutcome

ROWS = [
    {"id": "a", "texte": "Nous pré-entraînons un modèle de fondation pour le français et publions les poids."},
    {"id": "b", "texte": ""},
    {"id": "c", "texte": "The operator uses AI to plan its 5G radio network and to predict faults."},
]
CSV = (
    "id,texte\n"
    'a,"Nous pré-entraînons un modèle de fondation pour le français et publions les poids."\n'
    "b,\n"
    "c,The operator uses AI to plan its 5G radio network and to predict faults.\n"
    'd,"only, one",extra\n'
)
JSONL = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in ROWS) + "{broken\n"


def http_request(query: str = "", chunks: tuple[bytes, ...] = (b"",), headers: dict[str, str] | None = None) -> Request:
    """A Starlette request whose body arrives in `chunks`, as a server hands it over."""
    messages = [
        {"type": "http.request", "body": chunk, "more_body": number < len(chunks) - 1}
        for number, chunk in enumerate(chunks)
    ]

    async def receive() -> dict:
        return messages.pop(0)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/classify_file",
        "query_string": query.encode(),
        "headers": [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()],
    }
    return Request(scope, receive)


def received(query: str, body: bytes, headers: dict[str, str] | None = None, max_bytes: int = 1000) -> Upload:
    chunks = tuple(body[start : start + 7] for start in range(0, len(body), 7)) or (b"",)
    return asyncio.run(receive_upload(http_request(query, chunks, headers), max_bytes))


def refusal(query: str, body: bytes, headers: dict[str, str] | None = None, max_bytes: int = 1000) -> UploadError:
    with pytest.raises(UploadError) as caught:
        received(query, body, headers, max_bytes)
    return caught.value


# --- reading the request -------------------------------------------------------------------------------


def test_the_format_comes_from_the_name_else_from_the_media_type():
    upload = received("filename=dossier/Propositions.CSV&text_column=texte", CSV.encode())
    assert (upload.filename, upload.format, upload.text_column, upload.content) == (
        "Propositions.CSV",
        "csv",
        "texte",
        CSV.encode(),
    )
    assert received("", JSONL.encode(), {"Content-Type": "application/x-ndjson; charset=utf-8"}).format == "jsonl"
    assert received("filename=p.ndjson", JSONL.encode()).format == "jsonl"
    assert received("", CSV.encode(), {"Content-Type": "text/csv"}).filename == "upload.csv"
    assert received("", CSV.encode(), {"Content-Type": "text/csv"}).text_column == "text"


def test_an_unusable_name_is_replaced():
    assert received("filename=" + "n" * 300 + ".csv", CSV.encode()).filename == "upload.csv"
    assert received("filename=../../etc/p.csv", CSV.encode()).filename == "p.csv"


@pytest.mark.parametrize(
    ("query", "body", "headers", "status", "field", "kind"),
    [
        ("filename=p.xlsx", b"PK", {}, 415, "file", "unsupported_format"),
        ("", b"a,b\n", {"Content-Type": "application/octet-stream"}, 415, "file", "unsupported_format"),
        ("filename=p.csv&text_column=%20", b"a\n1\n", {}, 400, "text_column", "missing"),
        ("filename=p.csv&text_column=" + "c" * 201, b"a\n1\n", {}, 400, "text_column", "missing"),
        ("filename=p.csv", b" \n\t\n", {}, 400, "file", "empty"),
        ("filename=p.csv", b"text\n\x00\x01", {}, 400, "file", "not_text"),
        ("filename=p.csv", b"x" * 1001, {}, 413, "file", "too_large"),
        ("filename=p.csv", b"x", {"Content-Length": "1001"}, 413, "file", "too_large"),
        (
            "filename=p.csv",
            b'------b\r\nContent-Disposition: form-data; name="file"; filename="p.csv"\r\n\r\ntext\r\na\r\n',
            {"Content-Type": "multipart/form-data; boundary=----b"},
            415,
            "file",
            "form_upload",
        ),
    ],
    ids=[
        "spreadsheet",
        "unknown-type",
        "blank-column",
        "long-column",
        "empty",
        "binary",
        "streamed-over",
        "declared-over",
        "multipart-form",
    ],
)
def test_refusals_name_the_field_and_the_kind(query, body, headers, status, field, kind):
    error = refusal(query, body, headers)
    assert (error.status, error.field, error.kind) == (status, field, kind)
    assert error.detail()["loc"] == [field]
    assert error.detail()["msg"] == str(error)


def test_the_size_limit_is_stated_in_the_refusal():
    error = refusal("filename=p.csv", b"x" * 11, max_bytes=10)
    assert str(error) == "the file is larger than 10 bytes (AXISTAG_MAX_UPLOAD_BYTES)"
    assert error.detail()["ctx"] == {"max_bytes": 10}
    assert received("filename=p.csv", b"x" * 10, max_bytes=10).content == b"x" * 10


# --- the table and the file written back ---------------------------------------------------------------


def scored_by_the_service(tiny_predictor, upload: Upload, folder: Path):
    """What `/classify_file` does, with the tiny model standing in for the scoring workers."""
    table = open_upload(upload, folder, max_characters=10_000)
    outcomes = [
        ScoringOutcome(result=Classification.from_prediction(p))
        if isinstance(p, Prediction)
        else ScoringOutcome(failure=p.reason)
        for p in tiny_predictor.predict_each(table.texts)
    ]
    return labelled_file(table, ModelInfo(name=tiny_predictor.name, version=tiny_predictor.version), outcomes)


@pytest.mark.parametrize(("name", "content"), [("propositions.csv", CSV), ("propositions.jsonl", JSONL)])
def test_the_file_comes_back_exactly_as_relabel_writes_it(tiny_predictor, tmp_path, name, content):
    source = tmp_path / name
    source.write_text(content, encoding="utf-8")
    by_relabel = tmp_path / "by-relabel" / name
    relabel_file(RelabelRequest(input=source, output=by_relabel, text_column="texte"), tiny_predictor, progress=False)
    folder = tmp_path / "upload"
    folder.mkdir()
    upload = Upload(content.encode(), name, Path(name).suffix.removeprefix("."), "texte")
    labelled = scored_by_the_service(tiny_predictor, upload, folder)
    assert labelled.content == by_relabel.read_bytes()
    assert labelled.filename == f"propositions.labelled{Path(name).suffix}"
    assert (labelled.record.rows, labelled.record.scored, labelled.record.errors) == (4, 2, 2)
    headers = labelled.headers()
    assert (headers["X-Axistag-Rows"], headers["X-Axistag-Scored"], headers["X-Axistag-Errors"]) == ("4", "2", "2")
    assert headers["X-Axistag-Needs-Review"] == str(labelled.record.needs_review)


def test_the_download_name_survives_any_characters(tiny_predictor, tmp_path):
    upload = Upload(CSV.encode(), "propositions été 2025.csv", "csv", "texte")
    labelled = scored_by_the_service(tiny_predictor, upload, tmp_path)
    assert labelled.media_type == "text/csv; charset=utf-8"
    disposition = labelled.headers()["Content-Disposition"]
    assert disposition == "attachment; filename*=UTF-8''propositions%20%C3%A9t%C3%A9%202025.labelled.csv"
    disposition.encode("latin-1")  # an HTTP header value


def test_a_missing_text_column_lists_the_columns(tmp_path):
    with pytest.raises(UploadError) as caught:
        open_upload(Upload(CSV.encode(), "p.csv", "csv", "text"), tmp_path, max_characters=10_000)
    error = caught.value
    assert (error.status, error.field, error.kind) == (400, "text_column", "column_not_found")
    assert str(error) == "p.csv has no column 'text'; its columns: 'id', 'texte'"
    assert error.context == {"column": "text", "columns": ["id", "texte"]}


@pytest.mark.parametrize(
    ("content", "status", "kind", "message"),
    [
        ("id,texte\n", 400, "no_rows", "p.csv holds no rows to score"),
        ("texte,texte\na,b\n", 400, "unreadable", "p.csv: duplicate column name(s) in the header: ['texte']"),
        ("id;texte\n1;a\n", 400, "unreadable", "p.csv: the header has one column 'id;texte'"),
        (
            "texte\n" + "\n".join(["abcdefghij"] * 5) + "\n",
            413,
            "too_many_characters",
            "the texts of p.csv hold 50 characters in all, more than the limit of 40",
        ),
    ],
    ids=["header-only", "duplicate-columns", "semicolons", "too-much-text"],
)
def test_tables_that_cannot_be_scored_are_refused(tmp_path, content, status, kind, message):
    with pytest.raises(UploadError) as caught:
        open_upload(Upload(content.encode(), "p.csv", "csv", "texte"), tmp_path, max_characters=40)
    error = caught.value
    assert (error.status, error.field, error.kind) == (status, "file", kind)
    assert str(error).startswith(message)
    assert str(tmp_path) not in str(error)  # the service's folders stay private


def test_rows_without_a_text_are_not_sent_for_scoring(tmp_path):
    table = open_upload(Upload(CSV.encode(), "p.csv", "csv", "texte"), tmp_path, max_characters=10_000)
    assert len(table.rows) == 4
    assert table.texts == [ROWS[0]["texte"], ROWS[2]["texte"]]


@pytest.mark.parametrize("name", ["labelled.csv", "labelled.jsonl"])
def test_an_upload_may_bear_any_name_even_the_outputs(tiny_predictor, tmp_path, name):
    content = CSV if name.endswith(".csv") else JSONL
    upload = Upload(content.encode(), name, Path(name).suffix.removeprefix("."), "texte")
    labelled = scored_by_the_service(tiny_predictor, upload, tmp_path)
    assert (labelled.record.rows, labelled.record.scored) == (4, 2)
    assert labelled.filename == f"labelled.labelled{Path(name).suffix}"


def test_a_text_the_workers_could_not_score_is_a_row_with_an_error(tiny_predictor, tmp_path):
    table = open_upload(Upload(CSV.encode(), "p.csv", "csv", "texte"), tmp_path, max_characters=10_000)
    [first, _] = [Classification.from_prediction(p) for p in tiny_predictor.predict(table.texts)]
    outcomes = [ScoringOutcome(result=first), ScoringOutcome(failure="scoring failed: ValueError: cannot tokenise")]
    labelled = labelled_file(table, ModelInfo(name="tiny", version="1"), outcomes)
    assert (labelled.record.rows, labelled.record.scored, labelled.record.errors) == (4, 1, 3)
    assert "scoring failed: ValueError: cannot tokenise" in labelled.content.decode()


def test_csv_cells_a_spreadsheet_would_run_come_back_quoted(tiny_predictor, tmp_path):
    content = 'id,texte\n=HYPERLINK("http://x"),The operator uses AI to plan its 5G radio network.\n'
    labelled = scored_by_the_service(tiny_predictor, Upload(content.encode(), "p.csv", "csv", "texte"), tmp_path)
    [row] = list(csv.DictReader(io.StringIO(labelled.content.decode())))
    assert row["id"] == '\'=HYPERLINK("http://x")'
