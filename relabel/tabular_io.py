"""Streaming reads and writes of CSV, JSONL and Parquet tables, so files larger than memory can be relabelled.

An input is a local path or a URL (`s3://…`, `gs://…`, `file://…`, or any scheme fsspec knows), read through
pyarrow's filesystems, so a cluster job and a laptop read the same file the same way.

Readers yield one `SourceRow` at a time and never give up on a file because of one bad row: a malformed line
becomes a row carrying a `problem`, and undecodable bytes are replaced by U+FFFD so the caller can flag them.
Only file-level faults (unreadable file, unknown format, no header) raise `TabularError`.

Writers take whole chunks (a chunk is small), and `concatenate` streams finished chunk files into one table,
reconciling the columns and types that chunks of a schemaless JSONL file may disagree on.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import decimal
import hashlib
import io
import itertools
import json
import math
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, TextIO
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from model.safe_text import safe_text
from relabel.formats import FORMAT_NAMES, FORMATS

COLUMN_SAMPLE = 1000  # JSONL has no header: its columns are the keys seen in the first records
COUNT_LIMIT_BYTES = 1 << 30  # above this, counting rows for the progress bar costs more than it tells
HASH_BLOCK_BYTES = 1 << 20
# Deeper JSON is refused row by row: a proposal's record needs a few levels, and deeper ones risk the stack.
MAX_JSON_DEPTH = 64
PARQUET_READ_BATCH = 1024
PARQUET_ROW_GROUP = 16_384
CSV_FIELD_LIMIT = (1 << 31) - 1  # one proposal may be longer than the csv module's 128 KiB default
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError)


# A local file, or the URL of one (kept as a string: `Path` would fold `s3://` into `s3:/`).
Location = Path | str


class TabularError(ValueError):
    """The file as a whole cannot be read or written: the run must stop."""


def as_location(text: str) -> Location:
    """What the user typed: a URL when it names a scheme, else a local path."""
    return text if is_url(text) else Path(text)


def is_url(location: Location) -> bool:
    return isinstance(location, str) and "://" in location


def name_of(location: Location) -> PurePosixPath:
    """The file name part, for messages and for telling the format by extension."""
    return location if isinstance(location, Path) else PurePosixPath(urlsplit(location).path)


def _filesystem(url: str) -> tuple[pafs.FileSystem, str]:
    """pyarrow's own filesystem for the URL's scheme, else fsspec's seen through pyarrow."""
    try:
        return pafs.FileSystem.from_uri(url)
    except pa.ArrowInvalid:
        import fsspec

        try:
            filesystem, path = fsspec.core.url_to_fs(url)
        except (ValueError, ImportError) as error:
            raise TabularError(f"{url}: no filesystem reads this URL: {error}") from error
        return pafs.PyFileSystem(pafs.FSSpecHandler(filesystem)), path


def _file_info(location: Location) -> tuple[bool, bool, int]:
    """Whether it exists, whether it is a regular file, and its size."""
    if isinstance(location, Path):
        return location.exists(), location.is_file(), location.stat().st_size if location.is_file() else 0
    filesystem, path = _filesystem(location)
    info = filesystem.get_file_info(path)
    return info.type != pafs.FileType.NotFound, info.type == pafs.FileType.File, info.size or 0


def open_binary(location: Location) -> IO[bytes]:
    """A buffered, seekable binary reader of a local file or a URL."""
    if isinstance(location, Path):
        return open(location, "rb")
    filesystem, path = _filesystem(location)
    return io.BufferedReader(filesystem.open_input_file(path))


@dataclass(frozen=True)
class SourceRow:
    """One input row: its values by column, and why it cannot be trusted (None when it can)."""

    values: dict[str, Any]
    problem: str | None = None
    line: int | None = None


def detect_format(path: Location, explicit: str | None = None) -> str:
    """The explicit format when given, else the one the extension names."""
    if explicit is not None:
        if explicit.lower() not in FORMAT_NAMES:
            raise TabularError(f"unknown format {explicit!r}; expected one of {', '.join(FORMAT_NAMES)}")
        return explicit.lower()
    try:
        return FORMATS[name_of(path).suffix.lower()]
    except KeyError:
        raise TabularError(
            f"cannot tell the format of {name_of(path).name} from its extension ({', '.join(FORMATS)}); "
            "name it with --format/--input-format"
        ) from None


def format_of_name(path: Location) -> str | None:
    return FORMATS.get(name_of(path).suffix.lower())


# ---------------------------------------------------------------- reading


@dataclass
class Source:
    """An opened input table: its format, its columns, and a fresh row iterator on each `rows()` call."""

    path: Location
    format: str
    columns: list[str]
    arrow_schema: pa.Schema | None = field(default=None)

    def rows(self) -> Iterator[SourceRow]:
        readers: dict[str, Callable[[Location], Iterator[SourceRow]]] = {
            "csv": _csv_rows,
            "jsonl": _jsonl_rows,
            "parquet": _parquet_rows,
        }
        try:
            yield from readers[self.format](self.path)
        except (OSError, csv.Error, *ARROW_ERRORS) as error:
            raise TabularError(f"{self.path}: cannot read further: {error}") from error

    def chunks(self, size: int) -> Iterator[list[SourceRow]]:
        """Consecutive runs of exactly `size` rows (the last one shorter), whatever the reader's own batching."""
        chunk: list[SourceRow] = []
        for row in self.rows():
            chunk.append(row)
            if len(chunk) == size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def count_rows(self) -> int | None:
        """Row count for the progress bar: free for Parquet, one quick pass for others, None for huge files."""
        if self.format == "parquet":
            with open_binary(self.path) as handle:
                return pq.ParquetFile(handle).metadata.num_rows
        if _file_info(self.path)[2] > COUNT_LIMIT_BYTES:
            return None
        if self.format == "jsonl":
            with open_binary(self.path) as handle:
                return sum(1 for line in handle if line.strip())
        with _open_csv(self.path) as handle:
            reader = csv.reader(handle)
            next(reader, None)
            return sum(1 for fields in reader if fields)


def open_source(path: Location, fmt: str) -> Source:
    """Open the table and read its columns, turning every file-level fault into a `TabularError`."""
    try:
        exists, regular, _ = _file_info(path)
        if not exists:
            raise TabularError(f"{path}: no such file")
        if not regular:
            raise TabularError(f"{path}: not a regular file")
        if fmt == "parquet":
            with open_binary(path) as handle:
                schema = pq.ParquetFile(handle).schema_arrow
            return Source(path, fmt, list(schema.names), schema)
        if fmt == "csv":
            return Source(path, fmt, _csv_header(path))
        return Source(path, fmt, _jsonl_columns(path))
    except (OSError, csv.Error, *ARROW_ERRORS) as error:
        raise TabularError(f"{path}: cannot read it as {fmt}: {error}") from error


def _open_csv(path: Location) -> TextIO:
    """Bytes that are not UTF-8 become U+FFFD instead of aborting the file; a BOM is dropped."""
    csv.field_size_limit(CSV_FIELD_LIMIT)
    return io.TextIOWrapper(open_binary(path), encoding="utf-8-sig", errors="replace", newline="")


def _csv_header(path: Location) -> list[str]:
    with _open_csv(path) as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise TabularError(f"{path}: empty file, no header row")
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise TabularError(f"{path}: duplicate column name(s) in the header: {duplicated}")
    if len(header) == 1 and any(separator in header[0] for separator in ";\t|"):
        raise TabularError(f"{path}: the header has one column {header[0]!r}; only comma-separated files are read")
    return header


def _csv_rows(path: Location) -> Iterator[SourceRow]:
    with _open_csv(path) as handle:
        reader = csv.reader(handle)
        header = next(reader)
        last_line = reader.line_num
        for fields in reader:
            line, last_line = last_line + 1, reader.line_num
            if not fields:
                continue
            values: dict[str, Any] = dict(zip(header, fields, strict=False))
            problem = None
            if len(fields) != len(header):
                problem = f"line {line}: {len(fields)} fields where the header has {len(header)}"
                values.update({name: None for name in header[len(fields) :]})
            yield SourceRow(values, problem, line)


def _jsonl_records(path: Location) -> Iterator[tuple[int, str]]:
    """Non-blank lines with their numbers, decoded with undecodable bytes replaced."""
    with open_binary(path) as handle:
        for line_no, raw in enumerate(handle, 1):
            text = safe_text(raw)
            if line_no == 1:
                text = text.removeprefix("\ufeff")
            if text.strip():
                yield line_no, text


def _jsonl_rows(path: Location) -> Iterator[SourceRow]:
    for line_no, text in _jsonl_records(path):
        try:
            record = safe_json(json.loads(text))
        except json.JSONDecodeError as error:
            yield SourceRow({}, f"line {line_no}: invalid JSON ({error.msg})", line_no)
            continue
        except (RecursionError, TooDeepError):
            yield SourceRow({}, f"line {line_no}: JSON nested deeper than {MAX_JSON_DEPTH} levels", line_no)
            continue
        except ValueError:  # the only other one json raises: an integer too long to convert
            message = f"line {line_no}: an integer of more than {sys.get_int_max_str_digits()} digits"
            yield SourceRow({}, message, line_no)
            continue
        if not isinstance(record, dict):
            yield SourceRow({}, f"line {line_no}: a JSON {type(record).__name__}, not an object", line_no)
            continue
        yield SourceRow(record, None, line_no)


class TooDeepError(ValueError):
    """A JSON value nested deeper than `MAX_JSON_DEPTH`, which writers and Arrow would choke on."""


def safe_json(value: Any) -> Any:
    """The parsed JSON `value` with every string (keys too) passed through `safe_text`, in place where it can be.

    Iterative rather than recursive, and refusing values nested deeper than `MAX_JSON_DEPTH`, so no input can
    exhaust the stack here or in the writers that later walk the same value.
    """
    holder = [value]
    pending: list[tuple[list | dict, int]] = [(holder, 0)]
    while pending:
        container, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise TooDeepError(depth)
        if isinstance(container, dict):
            items = list(container.items())
            container.clear()
            container.update((safe_text(key), _safe_leaf(item)) for key, item in items)
            children = container.values()
        else:
            container[:] = [_safe_leaf(item) for item in container]
            children = container
        pending.extend((child, depth + 1) for child in children if isinstance(child, list | dict))
    return holder[0]


def _safe_leaf(value: Any) -> Any:
    return safe_text(value) if isinstance(value, str) else value


def _jsonl_columns(path: Location) -> list[str]:
    columns: dict[str, None] = {}
    for row in itertools.islice(_jsonl_rows(path), COLUMN_SAMPLE):
        columns.update(dict.fromkeys(row.values))
    return list(columns)


def _parquet_rows(path: Location) -> Iterator[SourceRow]:
    row_no = 0
    with open_binary(path) as handle:
        for batch in pq.ParquetFile(handle).iter_batches(batch_size=PARQUET_READ_BATCH):
            for record in batch.to_pylist():
                row_no += 1
                yield SourceRow(record, None, row_no)


def input_fingerprint(path: Location) -> dict[str, Any]:
    """Size and sha256 of the whole file, read block by block: any edit, wherever it is, changes it.

    A partial hash with the modification time missed edits past its first MiB that kept both size and time.
    """
    digest = hashlib.sha256()
    size = 0
    with open_binary(path) as handle:
        while block := handle.read(HASH_BLOCK_BYTES):
            digest.update(block)
            size += len(block)
    return {"size": size, "sha256": digest.hexdigest()}


# ---------------------------------------------------------------- writing


def json_default(value: Any) -> Any:
    """JSON for the non-JSON values Parquet can hold (dates, decimals, bytes, numpy scalars)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=json_default)


def spreadsheet_safe(text: str) -> str:
    """`text` with a `'` in front when a spreadsheet would run it as a formula (CSV injection).

    Spreadsheets read a cell starting with =, +, -, @ (or a tab or carriage return before one) as a formula; the
    quote makes them show it as text. It is visible in the file, which is the price of opening it safely.
    """
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(value: Any) -> str:
    """A CSV cell: strings spreadsheet-safe, missing as empty, booleans as true/false, structures as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return spreadsheet_safe(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, int | float):
        return repr(value)
    return spreadsheet_safe(json_text(value))


def encode_chunk(fmt: str, rows: list[dict[str, Any]], columns: list[str], types: dict[str, pa.DataType]) -> bytes:
    """One chunk as the bytes of a complete table of its own, so it can be made in one process, saved in another."""
    if fmt == "parquet":
        sink = pa.BufferOutputStream()
        pq.write_table(arrow_table(rows, columns, types), sink)
        return sink.getvalue().to_pybytes()
    if fmt == "csv":
        text = io.StringIO()
        csv.writer(text).writerows([columns, *([csv_cell(row.get(c)) for c in columns] for row in rows)])
        return text.getvalue().encode("utf-8")
    return "".join(json_text(row) + "\n" for row in rows).encode("utf-8")


def write_durably(path: Path, data: bytes) -> None:
    """Write and fsync: the caller renames the file into place, and the rename must not outrun the data."""
    with open(path, "wb") as handle:
        handle.write(data)
        _sync(handle)


def write_chunk(
    path: Path, fmt: str, rows: list[dict[str, Any]], columns: list[str], types: dict[str, pa.DataType]
) -> None:
    """Write one chunk as a complete table of its own, durably (the caller renames it into place)."""
    write_durably(path, encode_chunk(fmt, rows, columns, types))


def arrow_table(rows: list[dict[str, Any]], columns: list[str], types: dict[str, pa.DataType]) -> pa.Table:
    """Column by column, so one column of mixed JSON types falls back to JSON text without touching others."""
    arrays = [_arrow_column([row.get(column) for row in rows], types.get(column)) for column in columns]
    return pa.Table.from_arrays(arrays, names=columns)


def _arrow_column(values: list[Any], arrow_type: pa.DataType | None) -> pa.Array:
    try:
        return pa.array(values, type=arrow_type)
    except ARROW_ERRORS:
        return pa.array([v if v is None or isinstance(v, str) else json_text(v) for v in values], pa.string())


def concatenate(parts: list[Path], fmt: str, destination: Path, trailing: list[str]) -> int:
    """Stream chunk files, in order, into one table at `destination`; returns the number of rows.

    Columns keep their first-seen order, except `trailing` ones, which stay last.
    """
    if fmt == "jsonl":
        with open(destination, "wb") as out:
            for part in parts:
                with open(part, "rb") as handle:
                    shutil.copyfileobj(handle, out)
            _sync(out)
        return sum(_count_lines(part) for part in parts)
    if fmt == "csv":
        return _concatenate_csv(parts, destination, trailing)
    return _concatenate_parquet(parts, destination, trailing)


def _ordered(names: Iterable[str], trailing: list[str]) -> list[str]:
    unique = list(dict.fromkeys(names))
    return [n for n in unique if n not in trailing] + [n for n in trailing if n in unique]


def _concatenate_csv(parts: list[Path], destination: Path, trailing: list[str]) -> int:
    headers = []
    for part in parts:
        with _open_csv(part) as handle:
            headers.append(next(csv.reader(handle)))
    columns = _ordered((name for header in headers for name in header), trailing)
    rows = 0
    with open(destination, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for part, header in zip(parts, headers, strict=True):
            position = {name: index for index, name in enumerate(header)}
            picks = [position.get(name) for name in columns]
            with _open_csv(part) as handle:
                reader = csv.reader(handle)
                next(reader)
                for fields in reader:
                    writer.writerow(["" if i is None else fields[i] for i in picks])
                    rows += 1
        _sync(out)
    return rows


def _concatenate_parquet(parts: list[Path], destination: Path, trailing: list[str]) -> int:
    schemas = [pq.read_schema(part) for part in parts]
    schema = _unified_schema(schemas, trailing)
    rows = 0
    pending: list[pa.Table] = []
    with pq.ParquetWriter(destination, schema) as writer:
        for part in parts:
            table = _conform(pq.read_table(part), schema)
            pending.append(table)
            rows += table.num_rows
            if sum(t.num_rows for t in pending) >= PARQUET_ROW_GROUP:
                writer.write_table(pa.concat_tables(pending))
                pending = []
        if pending or rows == 0:
            writer.write_table(pa.concat_tables(pending) if pending else schema.empty_table())
    return rows


def _unified_schema(schemas: list[pa.Schema], trailing: list[str]) -> pa.Schema:
    """One type per column; types that cannot be promoted into each other (int vs string) become JSON text."""
    names = _ordered((name for schema in schemas for name in schema.names), trailing)
    fields = []
    for name in names:
        found = [s.field(name).type for s in schemas if name in s.names]
        try:
            merged = pa.unify_schemas([pa.schema([(name, t)]) for t in found], promote_options="permissive")
            fields.append(merged.field(name))
        except ARROW_ERRORS:
            fields.append(pa.field(name, pa.string()))
    return pa.schema(fields)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    arrays = []
    for target in schema:
        if target.name not in table.column_names:
            arrays.append(pa.nulls(table.num_rows, target.type))
            continue
        column = table.column(target.name).combine_chunks()
        if column.type == target.type:
            arrays.append(column)
            continue
        try:
            arrays.append(column.cast(target.type))
        except ARROW_ERRORS:
            arrays.append(_arrow_column(column.to_pylist(), pa.string()))
    return pa.Table.from_arrays(arrays, schema=schema)


def _count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for _ in handle)


def _sync(handle: Any) -> None:
    handle.flush()
    os.fsync(handle.fileno())
