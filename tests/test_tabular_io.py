"""Streaming table reads and writes: every row comes out once, bad rows are flagged, not fatal."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from relabel.tabular_io import (
    TabularError,
    arrow_table,
    as_location,
    concatenate,
    csv_cell,
    detect_format,
    input_fingerprint,
    open_source,
    write_chunk,
)


def test_format_comes_from_the_extension_unless_named(tmp_path):
    assert detect_format(tmp_path / "a.CSV") == "csv"
    assert detect_format(tmp_path / "a.ndjson") == "jsonl"
    assert detect_format(tmp_path / "a.txt", "parquet") == "parquet"
    with pytest.raises(TabularError, match="cannot tell the format"):
        detect_format(tmp_path / "a.txt")
    with pytest.raises(TabularError, match="unknown format 'xlsx'"):
        detect_format(tmp_path / "a.csv", "xlsx")


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_a_url_reads_as_the_local_path_does(tmp_path, fmt):
    """pyarrow's filesystems (`file://`, `s3://`, …) and, for other schemes, fsspec's (here its memory one)."""
    import fsspec

    path = tmp_path / f"in.{fmt}"
    rows = [{"id": "a", "text": "Réseau IA"}, {"id": "b", "text": "caf\xe9"}]
    if fmt == "parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    elif fmt == "csv":
        path.write_bytes(b"id,text\na,R\xc3\xa9seau IA\nb,caf\xe9\n")
    else:
        path.write_bytes(b'{"id": "a", "text": "R\xc3\xa9seau IA"}\n{"id": "b", "text": "caf\xe9"}\n')
    memory = f"memory://axistag-test/in.{fmt}"
    with fsspec.open(memory, "wb") as handle:
        handle.write(path.read_bytes())
    expected = list(open_source(path, fmt).rows())
    for url in (path.as_uri(), memory):
        assert as_location(url) == url
        source = open_source(url, fmt)
        assert source.columns == ["id", "text"]
        assert list(source.rows()) == expected
        assert input_fingerprint(url) == input_fingerprint(path)
        assert detect_format(url) == fmt
    assert as_location(str(path)) == path
    with pytest.raises(TabularError, match="no such file"):
        open_source((tmp_path / "gone.csv").as_uri(), "csv")
    with pytest.raises(TabularError, match="no filesystem reads this URL"):
        open_source("nosuchscheme://bucket/in.csv", "csv")


def test_csv_keeps_cells_verbatim_and_flags_bad_rows(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(b'\xef\xbb\xbfid,text\n007,"two\nlines, with a comma"\n\n008,caf\xe9\n009\n010,a,extra\n')
    source = open_source(path, "csv")
    assert source.columns == ["id", "text"]
    rows = list(source.rows())
    assert [row.values["id"] for row in rows] == ["007", "008", "009", "010"]
    assert rows[0].values["text"] == "two\nlines, with a comma"
    assert rows[0].problem is None
    assert rows[1].values["text"] == "caf\ufffd"
    assert rows[2].values["text"] is None
    assert rows[2].problem == "line 6: 1 fields where the header has 2"
    assert rows[3].problem == "line 7: 3 fields where the header has 2"
    assert source.count_rows() == 4


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty file"), (b"id,id\n1,2\n", "duplicate column"), (b"id;text\n1;a\n", "only comma-separated")],
)
def test_csv_file_level_faults_stop(tmp_path, content, message):
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    with pytest.raises(TabularError, match=message):
        open_source(path, "csv")


def test_jsonl_bad_lines_become_flagged_rows(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"id": 1, "text": "a"}\n\n[1, 2]\n{oops\n{"id": 3, "extra": true}\n')
    source = open_source(path, "jsonl")
    assert source.columns == ["id", "text", "extra"]
    rows = list(source.rows())
    assert [row.line for row in rows] == [1, 3, 4, 5]
    assert rows[1].problem == "line 3: a JSON list, not an object"
    assert rows[2].problem.startswith("line 4: invalid JSON")
    assert rows[2].values == {}
    assert source.count_rows() == 4


def test_unreadable_files_stop(tmp_path):
    with pytest.raises(TabularError, match="no such file"):
        open_source(tmp_path / "missing.csv", "csv")
    with pytest.raises(TabularError, match="not a regular file"):
        open_source(tmp_path, "jsonl")
    fake = tmp_path / "fake.parquet"
    fake.write_text("id,text\n1,a\n")
    with pytest.raises(TabularError, match="cannot read it as parquet"):
        open_source(fake, "parquet")


def test_chunks_have_the_asked_size_across_parquet_row_groups(tmp_path):
    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": list(range(23)), "text": [f"t{i}" for i in range(23)]}), path, row_group_size=7)
    source = open_source(path, "parquet")
    chunks = list(source.chunks(10))
    assert [len(chunk) for chunk in chunks] == [10, 10, 3]
    assert [row.values["id"] for chunk in chunks for row in chunk] == list(range(23))
    assert source.count_rows() == 23


def test_csv_cells():
    assert [csv_cell(v) for v in (None, "x", True, 3, 0.5, float("nan"))] == ["", "x", "true", "3", "0.5", ""]
    assert csv_cell({"a": [1]}) == '{"a": [1]}'
    assert csv_cell(-3) == "-3"  # a number is never run as a formula


@pytest.mark.parametrize("cell", ["=1+1", "+33 1 23", "-2", "@SUM(A1)", "\t=x", "\r=x"])
def test_csv_cells_a_spreadsheet_would_run_are_quoted(cell):
    assert csv_cell(cell) == "'" + cell
    assert csv_cell([cell]) == json.dumps([cell])  # a JSON cell starts with [ or {
    assert csv_cell(" " + cell) == " " + cell


def test_csv_parts_join_under_one_header_with_trailing_columns_last(tmp_path):
    first, second = tmp_path / "0.csv", tmp_path / "1.csv"
    write_chunk(first, "csv", [{"id": "1", "out": "x"}], ["id", "out"], {})
    write_chunk(second, "csv", [{"id": "2", "late": "y", "out": "z"}], ["id", "late", "out"], {})
    destination = tmp_path / "all.csv"
    assert concatenate([first, second], "csv", destination, trailing=["out"]) == 2
    with open(destination, newline="") as handle:
        assert list(csv.reader(handle)) == [["id", "late", "out"], ["1", "", "x"], ["2", "y", "z"]]


def test_jsonl_parts_join_byte_for_byte(tmp_path):
    parts = []
    for index in range(3):
        part = tmp_path / f"{index}.jsonl"
        write_chunk(part, "jsonl", [{"id": index, "text": "é"}, {"id": index + 10}], [], {})
        parts.append(part)
    destination = tmp_path / "all.jsonl"
    assert concatenate(parts, "jsonl", destination, trailing=[]) == 6
    lines = destination.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == [0, 10, 1, 11, 2, 12]
    assert json.loads(lines[0])["text"] == "é"


def test_parquet_parts_with_disagreeing_types_are_reconciled(tmp_path):
    """JSONL chunks can give a column ints in one chunk, strings or nothing in another."""
    types = {"labels": pa.list_(pa.string())}
    chunks = [
        [{"id": 1, "note": None, "labels": ["a"]}],
        [{"id": "x2", "note": "n", "labels": []}],
        [{"id": 3, "labels": None, "mixed": [1, "a"]}],
    ]
    parts = []
    for index, rows in enumerate(chunks):
        part = tmp_path / f"{index}.parquet"
        columns = list(dict.fromkeys(key for row in rows for key in row))
        write_chunk(part, "parquet", rows, columns, types)
        parts.append(part)
    destination = tmp_path / "all.parquet"
    assert concatenate(parts, "parquet", destination, trailing=["labels"]) == 3
    table = pq.read_table(destination)
    assert table.column_names == ["id", "note", "mixed", "labels"]
    assert table.schema.field("id").type == pa.string()
    assert table.schema.field("labels").type == pa.list_(pa.string())
    assert table.to_pylist() == [
        {"id": "1", "note": None, "mixed": None, "labels": ["a"]},
        {"id": "x2", "note": "n", "mixed": None, "labels": []},
        {"id": "3", "note": None, "mixed": '[1, "a"]', "labels": None},
    ]


def test_mixed_column_falls_back_to_json_text_alone():
    table = arrow_table([{"a": 1, "b": 1}, {"a": "x", "b": 2}], ["a", "b"], {})
    assert table.schema.field("a").type == pa.string()
    assert table.column("a").to_pylist() == ["1", "x"]
    assert table.schema.field("b").type == pa.int64()


def test_empty_parquet_output_keeps_its_schema(tmp_path):
    part = tmp_path / "0.parquet"
    write_chunk(part, "parquet", [], ["id", "score"], {"id": pa.string(), "score": pa.float64()})
    destination = tmp_path / "all.parquet"
    assert concatenate([part], "parquet", destination, trailing=["score"]) == 0
    assert pq.read_schema(destination).names == ["id", "score"]


def test_fingerprint_notices_changed_content(tmp_path):
    path = Path(tmp_path / "in.jsonl")
    path.write_text('{"text": "a"}\n')
    before = input_fingerprint(path)
    assert input_fingerprint(path) == before
    path.write_text('{"text": "b"}\n')
    assert input_fingerprint(path)["sha256"] != before["sha256"]


def test_fingerprint_notices_an_edit_past_the_first_mib_that_keeps_size_and_time(tmp_path):
    path = Path(tmp_path / "in.jsonl")
    line = '{"text": "%s"}\n' % ("a" * 1000)
    path.write_text(line * 2000 + '{"text": "before"}\n')
    stat = path.stat()
    before = input_fingerprint(path)
    path.write_text(line * 2000 + '{"text": "after!"}\n')
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    assert input_fingerprint(path)["sha256"] != before["sha256"]


def test_jsonl_strings_are_made_safe_keys_and_nested_values_too(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "x \\ud800 y", "meta": [{"n\\udc00": "\\ud83d\\ude00"}]}\n', encoding="ascii")
    [row] = open_source(path, "jsonl").rows()
    assert row.problem is None
    assert row.values == {"text": "x \ufffd y", "meta": [{"n\ufffd": "\U0001f600"}]}
    write_chunk(tmp_path / "out.jsonl", "jsonl", [row.values], ["text", "meta"], {})  # encodable as UTF-8


def test_jsonl_too_deep_or_too_long_integers_become_flagged_rows(tmp_path):
    path = tmp_path / "in.jsonl"
    lines = ['{"text": "ok"}', '{"text": ' + "[" * 5000 + "]" * 5000 + "}", '{"text": ' + "[" * 100 + "]" * 100 + "}"]
    lines.append('{"text": "big", "n": ' + "9" * 5000 + "}")
    path.write_text("\n".join(lines) + "\n")
    rows = list(open_source(path, "jsonl").rows())
    assert [row.problem for row in rows] == [
        None,
        "line 2: JSON nested deeper than 64 levels",
        "line 3: JSON nested deeper than 64 levels",
        "line 4: an integer of more than 4300 digits",
    ]
