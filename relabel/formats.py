"""The table formats relabelling reads and writes, by file extension; importable without pyarrow."""

from __future__ import annotations

FORMATS: dict[str, str] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
FORMAT_NAMES: tuple[str, ...] = ("csv", "jsonl", "parquet")
EXTENSIONS: dict[str, str] = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}
