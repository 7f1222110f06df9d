"""Reading labelled data: the project corpus and users' own files, as one kind of `datasets.Dataset`.

Training and evaluation both load data through this module, so a text and its labels reach the model the
same way whatever the entry point. Writing the corpus (used by `axistag data merge`) lives here too, so the
file layout is defined in one place.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from model.axes import AXES, parse_labels, validate_labels

if TYPE_CHECKING:  # loaded on first use: every `axistag` command imports this module, few read data
    import datasets
    import pandas as pd

CORPUS_FIELDS: tuple[str, ...] = ("id", "text", "lang", "labels", "kind", "split")
STAGED_FIELDS: tuple[str, ...] = tuple(f for f in CORPUS_FIELDS if f != "split")
OPTIONAL_COLUMNS: tuple[str, ...] = ("lang", "kind", "split")
KINDS: tuple[str, ...] = ("typical", "multi", "hard", "short", "noisy", "offtopic")
SPLITS: tuple[str, ...] = ("train", "validation", "test")
FORMATS: dict[str, str] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}


def _features(columns: Sequence[str]) -> datasets.Features:
    """Explicit types, so empty label lists and empty files load with the same schema."""
    import datasets

    types = {c: datasets.Value("string") for c in columns}
    types["labels"] = datasets.List(datasets.Value("string"))
    return datasets.Features({c: types[c] for c in columns})


def _to_dataset(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> datasets.Dataset:
    """Build column-wise: `Dataset.from_list` cannot type an empty list."""
    import datasets

    data = {c: [row[c] for row in rows] for c in columns}
    return datasets.Dataset.from_dict(data, features=_features(columns))


def read_jsonl(path: str | Path) -> list[tuple[int, dict[str, Any]]]:
    """Parse a JSONL file strictly, keeping line numbers; blank lines are skipped."""
    records = []
    with open(path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}:{line_no}: invalid JSON ({err.msg})") from err
            if not isinstance(record, dict):
                raise ValueError(f"{path}:{line_no}: expected a JSON object, got {type(record).__name__}")
            records.append((line_no, record))
    return records


def load_corpus(path: str | Path, split: str | None = None) -> datasets.Dataset:
    """Load the project corpus (`data/proposals.jsonl`), optionally one split of it."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    rows = []
    for line_no, record in read_jsonl(path):
        missing = [f for f in CORPUS_FIELDS if f not in record]
        if missing:
            raise ValueError(f"{path}:{line_no}: missing field(s) {missing}; run `axistag data check`")
        if split is not None and record["split"] != split:
            continue
        try:
            labels = validate_labels(record["labels"])
        except ValueError as err:
            raise ValueError(f"{path}:{line_no}: {err}") from err
        rows.append({**{f: record[f] for f in CORPUS_FIELDS}, "labels": labels})
    return _to_dataset(rows, CORPUS_FIELDS)


def _detect_format(path: Path, format: str | None) -> str:
    """Pick the reader from the extension unless the caller names one."""
    if format is not None:
        if format not in set(FORMATS.values()):
            raise ValueError(f"unknown format {format!r}; expected one of jsonl, csv, parquet")
        return format
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise ValueError(
            f"cannot tell the format of {path.name} from its extension; pass format='jsonl'|'csv'|'parquet'"
        ) from None


def _read_frame(path: Path, fmt: str) -> pd.DataFrame:
    """Read the raw table; CSV cells stay strings so ids like `007` survive."""
    import pandas as pd

    if fmt == "csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    if fmt == "parquet":
        return pd.read_parquet(path)
    return pd.DataFrame([record for _, record in read_jsonl(path)])


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], path: Path) -> None:
    """Fail early with the columns the file does have, the usual fix being a column-name option."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        available = ", ".join(map(str, frame.columns)) or "(none)"
        raise ValueError(f"{path.name}: column(s) {missing} not found; available columns: {available}")


def _cell_text(value: Any) -> str:
    """Optional string columns: missing cells become empty strings."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def load_labelled_file(
    path: str | Path,
    text_column: str = "text",
    labels_column: str = "labels",
    id_column: str = "id",
    format: str | None = None,
) -> datasets.Dataset:
    """Load a user's labelled JSONL/CSV/Parquet file into the corpus's columns (id, text, labels, ...)."""
    path = Path(path)
    frame = _read_frame(path, _detect_format(path, format))
    _require_columns(frame, [text_column, labels_column], path)
    extra = [c for c in OPTIONAL_COLUMNS if c in frame.columns and c not in (text_column, labels_column)]
    has_ids = id_column in frame.columns
    rows = []
    for row_no, record in enumerate(frame.to_dict("records"), 1):
        item_id = _cell_text(record[id_column]) if has_ids else f"row-{row_no}"
        where = f"{path.name} row {row_no} (id {item_id!r})"
        text = record[text_column]
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{where}: empty or missing text in column {text_column!r}")
        try:
            labels = parse_labels(record[labels_column])
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from err
        row = {"id": item_id, "text": text, "labels": labels}
        rows.append(row | {c: _cell_text(record[c]) for c in extra})
    duplicated = sorted(i for i, n in Counter(row["id"] for row in rows).items() if n > 1)
    if duplicated:
        raise ValueError(f"{path.name}: duplicate ids in column {id_column!r}: {duplicated[:10]}")
    return _to_dataset(rows, ["id", "text", "labels", *extra])


def labels_to_multi_hot(label_lists: Iterable[Sequence[str]], dtype: type = np.int64) -> np.ndarray:
    """Label lists -> (n, 8) indicator matrix in AXES order; unknown axis ids raise."""
    index = {axis: i for i, axis in enumerate(AXES)}
    rows = list(label_lists)
    matrix = np.zeros((len(rows), len(AXES)), dtype=dtype)
    for i, labels in enumerate(rows):
        for axis in validate_labels(list(labels)):
            matrix[i, index[axis]] = 1
    return matrix


def multi_hot(dataset: datasets.Dataset, dtype: type = np.int64) -> np.ndarray:
    """The dataset's labels as an (n, 8) indicator matrix in AXES order (the model's output order)."""
    return labels_to_multi_hot(dataset["labels"], dtype=dtype)


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes: identifies the exact corpus file a model was trained from."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def corpus_hash(dataset: datasets.Dataset) -> str:
    """Hex SHA-256 of the examples themselves (id, text, labels, in order).

    Unlike `file_sha256`, it does not change when unrelated items or other splits are added to the file,
    or when the same data comes as CSV instead of JSONL: it names what the model actually saw.
    """
    digest = hashlib.sha256()
    for item_id, text, labels in zip(dataset["id"], dataset["text"], dataset["labels"], strict=True):
        line = json.dumps([item_id, text, sorted(labels)], ensure_ascii=False)
        digest.update(line.encode("utf-8") + b"\n")
    return digest.hexdigest()


def to_corpus_line(record: Mapping[str, Any]) -> str:
    """One corpus line, fields in the canonical order, UTF-8 kept readable."""
    return json.dumps({f: record[f] for f in CORPUS_FIELDS}, ensure_ascii=False) + "\n"


def append_to_corpus(path: str | Path, records: Iterable[Mapping[str, Any]]) -> None:
    """Append records to the corpus atomically: existing lines are kept byte for byte, then os.replace.

    A crash or a full disk leaves the old file intact instead of a truncated corpus.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = path.read_bytes() if path.exists() else b""
    if existing and not existing.endswith(b"\n"):
        existing += b"\n"
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(existing)
            for record in records:
                handle.write(to_corpus_line(record).encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp_name, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
