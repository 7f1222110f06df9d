"""What the ray engine runs on the cluster: the read task that cuts the input into chunks, and the scoring actor.

Ray's own CSV and JSON readers (pyarrow's) stop at a malformed line or at bytes that are not UTF-8; this
project's readers turn such a line into a row with an `error` and go on. So Ray Data runs the project's reader
as a datasource: one read task streams the file (a local path or a URL) and yields one dataset row per chunk
of `chunk_rows` input rows, numbered as the local engine numbers them, so parts and scores match it exactly.
A chunk is pickled whole: its values keep the exact Python types the reader gave them (dates, decimals, bytes),
which an Arrow column of mixed JSON values could not. Imported only by `relabel.engine_ray`, once Ray is known
to be installed.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from dataclasses import asdict

import pyarrow as pa
from ray.data import Datasource, ReadTask
from ray.data.block import BlockMetadata

from model.predictor import Predictor
from relabel.plan import RelabelPlan
from relabel.rows import ChunkScorer, numbered_chunks
from relabel.tabular_io import Source, is_url

CHUNKS = pa.schema([("index", pa.int64()), ("first_row", pa.int64()), ("rows", pa.binary())])
SCORED = pa.schema(
    [
        ("index", pa.int64()),
        ("record", pa.string()),  # the chunk's record as JSON; empty for a chunk an earlier run finished
        ("rows", pa.binary()),
        ("review", pa.binary()),
        ("failure", pa.string()),  # why this actor cannot score at all, or empty
    ]
)


class ChunkDatasource(Datasource):
    """The input as one row per chunk; chunks an earlier run finished pass with no rows, so the count is known."""

    def __init__(self, source: Source, chunk_rows: int, done: frozenset[int]) -> None:
        super().__init__()
        self.source = source
        self.chunk_rows = chunk_rows
        self.done = done

    def estimate_inmemory_data_size(self) -> None:
        return None  # unknown until read: JSONL and CSV sizes say little about the rows' size in memory

    @property
    def supports_distributed_reads(self) -> bool:
        """A local path is read on the driver's node, where it exists; a URL anywhere."""
        return is_url(self.source.path)

    def get_read_tasks(self, parallelism: int, per_task_row_limit: int | None = None, data_context=None) -> list:
        """One task: CSV and JSONL cannot be split safely (a quoted field may hold newlines)."""
        metadata = BlockMetadata(num_rows=None, size_bytes=None, exec_stats=None, input_files=[str(self.source.path)])
        return [ReadTask(self.read_chunks, metadata, schema=CHUNKS, per_task_row_limit=per_task_row_limit)]

    def read_chunks(self) -> Iterator[pa.Table]:
        for index, first_row, chunk in numbered_chunks(self.source, self.chunk_rows):
            payload = None if index in self.done else pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)
            yield pa.table({"index": [index], "first_row": [first_row], "rows": [payload]}, schema=CHUNKS)


class ChunkLabeller:
    """A scoring actor: loads the model once, then turns each chunk into its record and encoded files."""

    def __init__(self, plan: RelabelPlan, model: str) -> None:
        self.scorer: ChunkScorer | None = None
        self.failure = ""
        try:
            self.scorer = ChunkScorer(plan, Predictor.load(model))
        except (OSError, ValueError, RuntimeError) as error:  # a model folder missing or different on this node
            # Sent back as data: Ray hands the driver an actor's exceptions as text only, not as objects.
            self.failure = f"cannot load the model on a Ray node: {error}"

    def __call__(self, batch: pa.Table) -> pa.Table:
        scored: dict[str, list] = {name: [] for name in SCORED.names}
        for index, first_row, payload in zip(*(batch.column(name).to_pylist() for name in CHUNKS.names), strict=True):
            row = {"index": index, "record": "", "rows": b"", "review": b"", "failure": self.failure}
            if payload is not None and self.scorer is not None:  # no payload: finished by an earlier run
                chunk = self.scorer.encode(index, first_row, pickle.loads(payload))
                row["record"] = json.dumps(asdict(chunk.record), ensure_ascii=False)
                row["rows"] = chunk.files["rows"]
                row["review"] = chunk.files.get("review", b"")
            for name, value in row.items():
                scored[name].append(value)
        return pa.table(scored, schema=SCORED)
