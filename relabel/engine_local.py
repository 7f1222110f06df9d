"""The local engine: relabel a proposal file in this process, chunk after chunk, every row once and in order.

Chunks are scored one after the other and committed to the work directory (`relabel.workdir`), then joined in
input order into a temporary file that is renamed to the output, so the output appears only once complete.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable

from model.predictor import Predictor
from relabel.formats import EXTENSIONS
from relabel.plan import RelabelError, RelabelPlan, RelabelRequest, plan_relabel
from relabel.rows import ChunkRecord, ChunkScorer, numbered_chunks
from relabel.summary import RelabelSummary, progress_bar, summarise
from relabel.tabular_io import TabularError, concatenate
from relabel.workdir import check_complete, commit, done_rows, finish_sidecars, part_name, publish_sidecars, run_job

FINISHED = "finished.json"


def _score_pending(
    plan: RelabelPlan, scorer: ChunkScorer, chunk_rows: int, done: dict[int, ChunkRecord], progress: bool
) -> list[ChunkRecord]:
    records = dict(done)
    bar = progress_bar(plan, done_rows(done), progress)
    chunks = 0
    with bar:
        try:
            for index, first_row, chunk in numbered_chunks(plan.source, chunk_rows):
                chunks = index + 1
                if index not in done:
                    records[index] = commit(plan, scorer.encode(index, first_row, chunk))
                    bar.update(len(chunk))
        except TabularError as error:
            raise RelabelError(str(error)) from error
    return check_complete(plan, records, chunks)


def _assemble(plan: RelabelPlan, scorer: ChunkScorer, records: list[ChunkRecord]) -> dict:
    """Join the chunks into the final files inside the work directory; return the totals to publish."""
    workdir = plan.workdir
    output = workdir / f"output{EXTENSIONS[plan.output_format]}"
    parts = [workdir / part_name("rows", record, plan.output_format) for record in records]
    written = concatenate(parts, plan.output_format, output, scorer.columns)
    expected_rows = sum(record.rows for record in records)
    if written != expected_rows:
        raise RelabelError(f"assembled {written} rows where the chunks hold {expected_rows}; the work dir is damaged")
    return finish_sidecars(plan, records, scorer.version, scorer.columns)


def _publish(plan: RelabelPlan) -> None:
    """Rename the finished files into place, the output last, then drop the work directory."""
    publish_sidecars(plan)
    output = plan.workdir / f"output{EXTENSIONS[plan.output_format]}"
    if output.exists():
        plan.request.output.parent.mkdir(parents=True, exist_ok=True)
        os.replace(output, plan.request.output)
    shutil.rmtree(plan.workdir)


def run_relabel(
    plan: RelabelPlan,
    model: Predictor,
    progress: bool = True,
    notify: Callable[[str], None] = lambda message: None,
) -> RelabelSummary:
    """Score every pending chunk, assemble, publish; safe to interrupt and to run again."""
    started = time.perf_counter()
    scorer = ChunkScorer(plan, model)

    def work(chunk_rows: int, done: dict[int, ChunkRecord]) -> dict:
        records = _score_pending(plan, scorer, chunk_rows, done, progress)
        return {"totals": _assemble(plan, scorer, records)}

    totals, resumed = run_job(plan, model.manifest, FINISHED, work, _publish, notify)
    return summarise(plan, totals, resumed, started)


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
