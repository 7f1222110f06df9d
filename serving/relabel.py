"""Offline relabelling of a proposal file with the current model: chunked, resumable, every row once, in order.

The input is read in chunks of `chunk_rows` rows; each chunk goes to `Predictor.predict` whole (the scorer sorts
its token windows by length into batches, which is where padding is saved) and is committed to a work
directory next to the output (`OUTPUT.partial/`) as its own small table plus a `done-NNNNNN.json` record,
each renamed into place once complete. The record is the commit point: a run killed at any moment, even by
SIGKILL, leaves only whole chunks behind, and running the same command again scores the missing chunks,
then joins all chunks in input order into a temporary file that is renamed to the output. `state.json`
remembers the input's fingerprint, the settings and the model, so a rerun never mixes chunks of two jobs.

Rows that cannot be scored (no text, a number instead of text, bytes that are not UTF-8, a broken line) are
kept with an `error`; file-level faults raise `RelabelError` before any work is done.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from tqdm import tqdm

from model.axes import AXES
from model.predictor import Prediction, Predictor, ScoringFailure
from model.safe_text import was_repaired
from serving.disagreement import Comparison, changes_csv, markdown_report, report_paths
from serving.tabular_io import (
    EXTENSIONS,
    Source,
    SourceRow,
    TabularError,
    concatenate,
    detect_format,
    format_of_name,
    input_fingerprint,
    json_text,
    open_source,
    write_chunk,
)

DEFAULT_CHUNK_ROWS = 128
STATE_VERSION = 2  # 2: the input fingerprint hashes the whole file
WORK_SUFFIX = ".partial"
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


class RelabelError(RuntimeError):
    """The run cannot start or go on (bad input file, columns, existing output); the message says why."""


@dataclass(frozen=True)
class RelabelRequest:
    """What the user asked for, as given on the command line."""

    input: Path
    output: Path
    input_format: str | None = None
    output_format: str | None = None
    text_column: str = "text"
    id_column: str | None = None  # None: `id` when the file has one, else rows are known by their number
    explain: bool = False
    compare_column: str | None = None
    review_out: Path | None = None
    overwrite: bool = False
    chunk_rows: int = DEFAULT_CHUNK_ROWS


@dataclass
class RelabelPlan:
    """A checked request: the opened input, resolved formats and columns, and where everything goes."""

    request: RelabelRequest
    source: Source
    output_format: str
    review_format: str | None
    id_column: str | None
    workdir: Path
    notes: list[str] = field(default_factory=list)

    @property
    def report_files(self) -> tuple[Path, Path] | None:
        return report_paths(self.request.output) if self.request.compare_column else None


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


@dataclass
class RelabelSummary:
    """Totals over the whole file (earlier interrupted runs included) and the speed of this run."""

    output: Path
    rows: int
    scored: int
    errors: int
    needs_review: int
    review_rows: int
    label_counts: dict[str, int]
    error_examples: list[str]
    resumed_rows: int
    processed_rows: int
    elapsed: float
    review_out: Path | None = None
    report_files: tuple[Path, Path] | None = None
    differing_rows: int | None = None

    @property
    def rows_per_second(self) -> float:
        return self.processed_rows / self.elapsed if self.elapsed > 0 else 0.0


def work_directory(output: Path) -> Path:
    return output.with_name(output.name + WORK_SUFFIX)


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


def model_label(model: Predictor) -> str:
    return f"{model.name}@{model.version}"


# ---------------------------------------------------------------- planning (no model needed)


def _output_format(request: RelabelRequest, input_format: str) -> str:
    named = format_of_name(request.output)
    if request.output_format is None:
        return named or input_format
    chosen = detect_format(request.output, request.output_format)
    if named and named != chosen:
        raise RelabelError(f"{request.output.name} names a {named} file but --format is {chosen}")
    return chosen


def _review_format(request: RelabelRequest, output_format: str) -> str | None:
    if request.review_out is None:
        return None
    return format_of_name(request.review_out) or output_format


def _resolve_id_column(request: RelabelRequest, columns: list[str], notes: list[str]) -> str | None:
    if request.id_column is not None:
        return request.id_column
    if "id" in columns:
        return "id"
    notes.append(f"no 'id' column in {request.input.name}: rows are named by their number (1 = first data row)")
    return None


def _require_columns(request: RelabelRequest, source: Source, id_column: str | None) -> None:
    wanted = [("text", request.text_column), ("id", id_column), ("compare", request.compare_column)]
    if source.format == "jsonl" and not source.columns:
        return  # no record at all: nothing to check, the output is empty too
    missing = [f"{role} column {name!r}" for role, name in wanted if name is not None and name not in source.columns]
    if missing:
        available = ", ".join(repr(c) for c in source.columns) or "(none)"
        raise RelabelError(f"{request.input.name}: {' and '.join(missing)} not found; available: {available}")


def _refuse_overwrites(request: RelabelRequest, plan_files: list[Path]) -> None:
    existing = [str(path) for path in plan_files if path.exists()]
    if existing and not request.overwrite:
        verb = "exists" if len(existing) == 1 else "exist"
        raise RelabelError(f"{' and '.join(existing)} already {verb}; pass --overwrite to replace")


def plan_relabel(request: RelabelRequest) -> RelabelPlan:
    """Check everything that can be checked without the model, so mistakes cost seconds, not a model load."""
    if request.chunk_rows < 1:
        raise RelabelError("--batch-size must be at least 1")
    try:
        input_format = detect_format(request.input, request.input_format)
        output_format = _output_format(request, input_format)
    except TabularError as error:
        raise RelabelError(str(error)) from error
    if request.output.is_dir():
        raise RelabelError(f"{request.output} is a directory; name the output file")
    if request.output.resolve() == request.input.resolve():
        raise RelabelError("the output would replace the input; choose another output name")
    if request.review_out is not None and request.review_out.resolve() in {
        request.output.resolve(),
        request.input.resolve(),
    }:
        raise RelabelError("--review-out must name a file other than the input and the output")
    workdir = work_directory(request.output)
    finishing = (workdir / "finished.json").exists()
    if not finishing:
        _refuse_overwrites(request, [request.output])
    try:
        source = open_source(request.input, input_format)
    except TabularError as error:
        raise RelabelError(str(error)) from error
    notes: list[str] = []
    id_column = _resolve_id_column(request, source.columns, notes)
    _require_columns(request, source, id_column)
    added = added_columns(AXES, request.explain, request.compare_column is not None)
    replaced = [column for column in source.columns if column in added]
    clashing = [c for c in (request.text_column, id_column) if c in added]
    if clashing:
        raise RelabelError(f"column(s) {clashing} share a name with a column this command adds; rename them first")
    if replaced:
        notes.append(f"input column(s) {', '.join(replaced)} will hold this run's values instead")
    plan = RelabelPlan(
        request=request,
        source=source,
        output_format=output_format,
        review_format=_review_format(request, output_format),
        id_column=id_column,
        workdir=workdir,
        notes=notes,
    )
    if not workdir.exists():
        sidecars = [request.review_out, *(plan.report_files or ())]
        _refuse_overwrites(request, [path for path in sidecars if path is not None])
    return plan


# ---------------------------------------------------------------- the work directory


def _atomic_write(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    _atomic_write(path, (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))


@contextmanager
def _exclusive(workdir: Path) -> Iterator[None]:
    """One run per output at a time: two would interleave their chunks."""
    with open(workdir / "lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RelabelError(f"another relabel run is writing {workdir}; wait for it to finish") from None
        yield


def _job_state(plan: RelabelPlan, model: Predictor) -> dict[str, Any]:
    request = plan.request
    manifest = json.dumps(model.manifest, sort_keys=True, default=str).encode("utf-8")
    return {
        "version": STATE_VERSION,
        "input": {"path": str(request.input.resolve()), **input_fingerprint(request.input)},
        "settings": {
            "input_format": plan.source.format,
            "output_format": plan.output_format,
            "review_format": plan.review_format,
            "text_column": request.text_column,
            "id_column": plan.id_column,
            "compare_column": request.compare_column,
            "explain": request.explain,
        },
        "model": {"label": model_label(model), "manifest_sha256": hashlib.sha256(manifest).hexdigest()},
        "chunk_rows": request.chunk_rows,
    }


def _state_differences(saved: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    if saved.get("version") != STATE_VERSION:
        return [f"it was written by another version of this tool (state version {saved.get('version')})"]
    differences = []
    fingerprint = ("size", "sha256")
    changed = [key for key in fingerprint if saved["input"].get(key) != wanted["input"][key]]
    if changed:
        differences.append(f"the input file changed since ({', '.join(changed)})")
    for key, value in wanted["settings"].items():
        if saved["settings"].get(key) != value:
            differences.append(f"{key} was {saved['settings'].get(key)!r}, now {value!r}")
    if saved["model"] != wanted["model"]:
        differences.append(f"the model was {saved['model']['label']}, now {wanted['model']['label']}")
    return differences


def _prepare_workdir(plan: RelabelPlan, model: Predictor, notify: Callable[[str], None]) -> int:
    """Start a fresh work directory or check that the existing one belongs to this job; returns the chunk size."""
    workdir = plan.workdir
    wanted = _job_state(plan, model)
    state_file = workdir / "state.json"
    for stray in workdir.glob("*.tmp"):
        stray.unlink()
    if state_file.exists():
        saved = json.loads(state_file.read_text())
        differences = _state_differences(saved, wanted)
        if not differences:
            if saved["chunk_rows"] != plan.request.chunk_rows:
                notify(f"continuing with the batch size of the interrupted run ({saved['chunk_rows']} rows)")
            return int(saved["chunk_rows"])
        if not plan.request.overwrite:
            raise RelabelError(
                f"{workdir} holds an unfinished run of another job: {'; '.join(differences)}. "
                "Run that job's command again to finish it, or pass --overwrite to discard it and start over"
            )
        notify(f"discarding the unfinished run in {workdir} ({'; '.join(differences)})")
        for path in workdir.iterdir():
            if path.name != "lock":
                path.unlink()
    _write_json(state_file, wanted)
    return plan.request.chunk_rows


def _part(workdir: Path, kind: str, index: int, fmt: str) -> Path:
    return workdir / f"{kind}-{index:06d}{EXTENSIONS[fmt]}"


def _record_path(workdir: Path, index: int) -> Path:
    return workdir / f"done-{index:06d}.json"


def _completed_chunks(plan: RelabelPlan) -> dict[int, ChunkRecord]:
    """Chunks whose record and files are all in place; anything else is done again."""
    records = {}
    for path in sorted(plan.workdir.glob("done-*.json")):
        record = ChunkRecord(**json.loads(path.read_text()))
        files = [_part(plan.workdir, "rows", record.index, plan.output_format)]
        if plan.review_format:
            files.append(_part(plan.workdir, "review", record.index, plan.review_format))
        if all(file.exists() for file in files):
            records[record.index] = record
    return records


# ---------------------------------------------------------------- scoring one chunk


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

    def __init__(self, plan: RelabelPlan, model: Predictor) -> None:
        self.plan = plan
        self.model = model
        self.request = plan.request
        self.version = model_label(model)
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

    def commit(self, index: int, chunk: list[SourceRow], scored: tuple[list, list, ChunkRecord]) -> ChunkRecord:
        """Write the chunk's files, then its record: the record appearing is what makes the chunk done."""
        rows, review, record = scored
        columns = self.chunk_columns(chunk)
        outputs = [("rows", self.plan.output_format, rows)]
        if self.plan.review_format:
            outputs.append(("review", self.plan.review_format, review))
        for kind, fmt, table in outputs:
            final = _part(self.plan.workdir, kind, index, fmt)
            temporary = final.with_name(final.name + ".tmp")
            write_chunk(temporary, fmt, table, columns, self.types)
            os.replace(temporary, final)
        _write_json(_record_path(self.plan.workdir, index), asdict(record))
        return record


# ---------------------------------------------------------------- the run


def _count_rows(source: Source) -> int | None:
    try:
        return source.count_rows()
    except (TabularError, OSError):
        return None


def _score_pending(
    plan: RelabelPlan,
    scorer: ChunkScorer,
    chunk_rows: int,
    done: dict[int, ChunkRecord],
    progress: bool,
) -> dict[int, ChunkRecord]:
    records = dict(done)
    resumed = sum(record.rows for record in done.values())
    bar = tqdm(
        total=_count_rows(plan.source),
        initial=resumed,
        unit=" rows",
        desc=f"relabel {plan.request.input.name}",
        disable=not progress,
        dynamic_ncols=True,
        file=sys.stderr,
    )
    first_row = 0
    index = -1
    with bar:
        try:
            for index, chunk in enumerate(plan.source.chunks(chunk_rows)):
                previous = done.get(index)
                if previous is not None:
                    if (previous.first_row, previous.rows) != (first_row, len(chunk)):
                        raise RelabelError(f"chunk {index} no longer matches the input; delete {plan.workdir}")
                else:
                    records[index] = scorer.commit(index, chunk, scorer.score(index, first_row, chunk))
                    bar.update(len(chunk))
                first_row += len(chunk)
        except TabularError as error:
            raise RelabelError(str(error)) from error
    if index == -1:
        records[0] = scorer.commit(0, [], scorer.score(0, 0, []))
        index = 0
    extra = sorted(i for i in records if i > index)
    if extra:
        raise RelabelError(f"{plan.workdir} has chunks beyond the end of the input ({extra[:3]}); delete it")
    return records


def _assemble(plan: RelabelPlan, scorer: ChunkScorer, records: dict[int, ChunkRecord], model: Predictor) -> dict:
    """Join the chunks into the final files inside the work directory; return the totals to publish."""
    workdir = plan.workdir
    order = sorted(records)
    expected_rows = sum(records[i].rows for i in order)
    output = workdir / f"output{EXTENSIONS[plan.output_format]}"
    written = concatenate(
        [_part(workdir, "rows", i, plan.output_format) for i in order], plan.output_format, output, scorer.columns
    )
    if written != expected_rows:
        raise RelabelError(f"assembled {written} rows where the chunks hold {expected_rows}; the work dir is damaged")
    if plan.review_format:
        concatenate(
            [_part(workdir, "review", i, plan.review_format) for i in order],
            plan.review_format,
            workdir / f"review{EXTENSIONS[plan.review_format]}",
            scorer.columns,
        )
    totals = _totals([records[i] for i in order])
    if plan.request.compare_column:
        comparison = Comparison(plan.request.compare_column)
        for i in order:
            comparison.merge(Comparison.from_dict(records[i].comparison or {}))
        csv_name = report_paths(plan.request.output)[1].name
        report = markdown_report(comparison, plan.request.input.name, model_label(model), csv_name)
        _atomic_write(workdir / "disagreement.md", report.encode("utf-8"))
        _atomic_write(workdir / "disagreement.csv", changes_csv(comparison).encode("utf-8"))
        totals["differing_rows"] = comparison.differing
    return totals


def _totals(records: list[ChunkRecord]) -> dict[str, Any]:
    labels: Counter = Counter()
    for record in records:
        labels.update(record.labels)
    examples = [example for record in records for example in record.error_examples][:ERROR_EXAMPLES]
    counted = ("rows", "scored", "errors", "needs_review", "review_rows")
    return {name: sum(getattr(r, name) for r in records) for name in counted} | {
        "label_counts": dict(labels),
        "error_examples": examples,
        "differing_rows": None,
    }


def _publish(plan: RelabelPlan) -> None:
    """Rename the finished files into place, the output last, then drop the work directory."""
    request = plan.request
    moves: list[tuple[str, Path]] = []
    if plan.review_format and request.review_out is not None:
        moves.append((f"review{EXTENSIONS[plan.review_format]}", request.review_out))
    if plan.report_files:
        moves += list(zip(("disagreement.md", "disagreement.csv"), plan.report_files, strict=True))
    moves.append((f"output{EXTENSIONS[plan.output_format]}", request.output))
    for name, destination in moves:
        source = plan.workdir / name
        if source.exists():
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, destination)
    shutil.rmtree(plan.workdir)


def run_relabel(
    plan: RelabelPlan,
    model: Predictor,
    progress: bool = True,
    notify: Callable[[str], None] = lambda message: None,
) -> RelabelSummary:
    """Score every pending chunk, assemble, publish; safe to interrupt and to run again."""
    started = time.perf_counter()
    plan.workdir.mkdir(parents=True, exist_ok=True)
    finished_file = plan.workdir / "finished.json"
    with _exclusive(plan.workdir):
        if finished_file.exists():
            notify("the previous run had finished scoring; publishing its output")
            totals = json.loads(finished_file.read_text())
            resumed = totals["rows"]
        else:
            chunk_rows = _prepare_workdir(plan, model, notify)
            done = _completed_chunks(plan)
            resumed = sum(record.rows for record in done.values())
            if done:
                notify(f"resuming: {len(done)} chunk(s), {resumed} rows already done in {plan.workdir}")
            scorer = ChunkScorer(plan, model)
            records = _score_pending(plan, scorer, chunk_rows, done, progress)
            totals = _assemble(plan, scorer, records, model)
            _write_json(finished_file, totals)
        _publish(plan)
    return RelabelSummary(
        output=plan.request.output,
        rows=totals["rows"],
        scored=totals["scored"],
        errors=totals["errors"],
        needs_review=totals["needs_review"],
        review_rows=totals["review_rows"],
        label_counts=totals["label_counts"],
        error_examples=totals["error_examples"],
        resumed_rows=resumed,
        processed_rows=totals["rows"] - resumed,
        elapsed=time.perf_counter() - started,
        review_out=plan.request.review_out,
        report_files=plan.report_files,
        differing_rows=totals["differing_rows"],
    )


def relabel_file(
    request: RelabelRequest,
    model: Predictor,
    progress: bool = True,
    notify: Callable[[str], None] = lambda message: None,
) -> RelabelSummary:
    """Plan and run in one call, for callers that already hold a loaded model."""
    plan = plan_relabel(request)
    for note in plan.notes:
        notify(note)
    return run_relabel(plan, model, progress, notify)
