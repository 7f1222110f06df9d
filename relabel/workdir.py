"""The work directory (`OUTPUT.partial/`) that both engines commit scored chunks to, which makes runs resumable.

Each chunk is saved as its own small table, named by its row range (`rows-0000000128-0000000256.parquet`),
plus a `done-NNNNNN.json` record, each renamed into place once complete. The record is the commit point: a
run killed at any moment, even by SIGKILL, leaves only whole chunks behind, and running the same command again
scores only the missing ones. `state.json` remembers the input's fingerprint, the settings and the model, so a
rerun never mixes chunks of two jobs. Once every chunk is in, the engine publishes its output (one file for the
local engine, the folder of parts for the ray engine) and the review file and disagreement report they share.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from relabel.disagreement import Comparison, changes_csv, markdown_report, report_paths
from relabel.formats import EXTENSIONS
from relabel.plan import RelabelError, RelabelPlan
from relabel.rows import ERROR_EXAMPLES, ChunkRecord, EncodedChunk, model_label
from relabel.tabular_io import concatenate, input_fingerprint, is_url, write_durably

STATE_VERSION = 3  # 2: the input fingerprint hashes the whole file; 3: parts are named by their row range


def atomic_write(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    write_durably(temporary, data)
    os.replace(temporary, path)


def write_json(path: Path, data: dict[str, Any]) -> None:
    atomic_write(path, (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))


@contextmanager
def exclusive(workdir: Path) -> Iterator[None]:
    """One run per output at a time: two would interleave their chunks."""
    with open(workdir / "lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RelabelError(f"another relabel run is writing {workdir}; wait for it to finish") from None
        yield


def job_state(plan: RelabelPlan, manifest: dict[str, Any]) -> dict[str, Any]:
    """Everything a chunk's content depends on: the input's bytes, the settings and the model."""
    request = plan.request
    where = request.input if is_url(request.input) else str(Path(request.input).resolve())
    model = json.dumps(manifest, sort_keys=True, default=str).encode("utf-8")
    return {
        "version": STATE_VERSION,
        "input": {"path": where, **input_fingerprint(request.input)},
        "settings": {
            "input_format": plan.source.format,
            "output_format": plan.output_format,
            "review_format": plan.review_format,
            "text_column": request.text_column,
            "id_column": plan.id_column,
            "compare_column": request.compare_column,
            "explain": request.explain,
        },
        "model": {
            "label": model_label(manifest["name"], manifest["version"]),
            "manifest_sha256": hashlib.sha256(model).hexdigest(),
        },
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


def prepare(plan: RelabelPlan, state: dict[str, Any], notify: Callable[[str], None]) -> int:
    """Start a fresh work directory or check that the existing one belongs to this job; returns the chunk size."""
    workdir = plan.workdir
    state_file = workdir / "state.json"
    for stray in workdir.glob("*.tmp"):
        stray.unlink()
    if state_file.exists():
        saved = json.loads(state_file.read_text())
        differences = _state_differences(saved, state)
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
    write_json(state_file, state)
    return plan.request.chunk_rows


def part_name(kind: str, record: ChunkRecord, fmt: str) -> str:
    """`rows-0000000128-0000000256.parquet`: rows 128 to 255 (from 0), so names sort in input order."""
    return f"{kind}-{record.first_row:010d}-{record.first_row + record.rows:010d}{EXTENSIONS[fmt]}"


def part_formats(plan: RelabelPlan) -> dict[str, str]:
    """The files each chunk has, by kind, with their formats."""
    return {"rows": plan.output_format} | ({"review": plan.review_format} if plan.review_format else {})


def _record_path(workdir: Path, index: int) -> Path:
    return workdir / f"done-{index:06d}.json"


def completed_chunks(plan: RelabelPlan) -> dict[int, ChunkRecord]:
    """Chunks whose record and files are all in place; anything else is done again."""
    records = {}
    for path in sorted(plan.workdir.glob("done-*.json")):
        record = ChunkRecord(**json.loads(path.read_text()))
        files = [plan.workdir / part_name(kind, record, fmt) for kind, fmt in part_formats(plan).items()]
        if all(file.exists() for file in files):
            records[record.index] = record
    return records


def commit(plan: RelabelPlan, chunk: EncodedChunk) -> ChunkRecord:
    """Save the chunk's files, then its record: the record appearing is what makes the chunk done."""
    for kind, fmt in part_formats(plan).items():
        atomic_write(plan.workdir / part_name(kind, chunk.record, fmt), chunk.files[kind])
    write_json(_record_path(plan.workdir, chunk.record.index), asdict(chunk.record))
    return chunk.record


def check_complete(plan: RelabelPlan, records: dict[int, ChunkRecord], chunks: int) -> list[ChunkRecord]:
    """The records of chunks 0 to `chunks - 1` in order, refusing a work directory that holds others."""
    extra = sorted(i for i in records if i >= chunks)
    if extra:
        raise RelabelError(f"{plan.workdir} has chunks beyond the end of the input ({extra[:3]}); delete it")
    missing = [i for i in range(chunks) if i not in records]
    if missing:
        raise RelabelError(f"chunks {missing[:3]} were not scored; run the same command again")
    return [records[i] for i in range(chunks)]


def finish_sidecars(plan: RelabelPlan, records: list[ChunkRecord], label: str, trailing: list[str]) -> dict:
    """The review file and the disagreement report inside the work directory; returns the run's totals."""
    workdir = plan.workdir
    if plan.review_format:
        concatenate(
            [workdir / part_name("review", record, plan.review_format) for record in records],
            plan.review_format,
            workdir / f"review{EXTENSIONS[plan.review_format]}",
            trailing,
        )
    totals = _totals(records)
    if plan.request.compare_column:
        comparison = Comparison(plan.request.compare_column)
        for record in records:
            comparison.merge(Comparison.from_dict(record.comparison or {}))
        csv_name = report_paths(plan.request.output)[1].name
        report = markdown_report(comparison, plan.input_name, label, csv_name)
        atomic_write(workdir / "disagreement.md", report.encode("utf-8"))
        atomic_write(workdir / "disagreement.csv", changes_csv(comparison).encode("utf-8"))
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


def publish_sidecars(plan: RelabelPlan) -> None:
    """Rename the review file and the report into place; the engine moves its output last."""
    moves: list[tuple[str, Path]] = []
    if plan.review_format and plan.request.review_out is not None:
        moves.append((f"review{EXTENSIONS[plan.review_format]}", plan.request.review_out))
    if plan.report_files:
        moves += list(zip(("disagreement.md", "disagreement.csv"), plan.report_files, strict=True))
    for name, destination in moves:
        source = plan.workdir / name
        if source.exists():
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, destination)


def done_rows(done: dict[int, ChunkRecord]) -> int:
    return sum(record.rows for record in done.values())


def run_job(
    plan: RelabelPlan,
    manifest: dict[str, Any],
    finished: str,
    work: Callable[[int, dict[int, ChunkRecord]], dict[str, Any]],
    publish: Callable[[RelabelPlan], None],
    notify: Callable[[str], None],
) -> tuple[dict[str, Any], int]:
    """The course of a run, whichever engine scores: resume or start, work, mark finished, publish.

    `work(chunk_rows, done)` scores the missing chunks and returns what the `finished` file records, `totals`
    among it; a run killed after that file was written only publishes. Returns the totals and the rows that
    earlier runs had done.
    """
    plan.workdir.mkdir(parents=True, exist_ok=True)
    finished_file = plan.workdir / finished
    with exclusive(plan.workdir):
        if finished_file.exists():
            notify("the previous run had finished scoring; publishing its output")
            totals = json.loads(finished_file.read_text())["totals"]
            resumed = totals["rows"]
        else:
            chunk_rows = prepare(plan, job_state(plan, manifest), notify)
            done = completed_chunks(plan)
            resumed = done_rows(done)
            if done:
                notify(f"resuming: {len(done)} chunk(s), {resumed} rows already done in {plan.workdir}")
            record = work(chunk_rows, done)
            write_json(finished_file, record)
            totals = record["totals"]
        publish(plan)
    return totals, resumed
