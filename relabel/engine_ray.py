"""The ray engine: relabel a file on a Ray cluster, one `Predictor` per actor, into a folder of parts.

Ray Data reads the input in the same numbered chunks as the local engine (`relabel.ray_tasks`), `map_batches`
sends them to a fixed pool of scoring actors, and this process (the driver) saves each scored chunk into the
work directory as it arrives, temp file then rename, then its record: a killed job run again scores only the
chunks that have no record. Once all are in, `_manifest.json` (input fingerprint, settings, model, and every
part with its row range) is written and the work directory is renamed to the output folder. Ray is imported
only here, and only when this engine runs, so the base install does without it.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from model.folder import ModelFolderError, read_manifest
from relabel.plan import PARTS_MANIFEST, RelabelError, RelabelPlan
from relabel.rows import ChunkRecord, EncodedChunk, added_columns, model_label
from relabel.summary import RelabelSummary, progress_bar, summarise
from relabel.tabular_io import TabularError
from relabel.workdir import (
    check_complete,
    commit,
    done_rows,
    finish_sidecars,
    part_formats,
    part_name,
    publish_sidecars,
    run_job,
)

INSTALL_HINT = "the ray engine needs Ray: pip install 'axistag[ray]'"


@dataclass(frozen=True)
class RayCluster:
    """Where to run: an existing cluster's address (None: start a local one), and how many scoring actors."""

    address: str | None = None
    workers: int = 2


def _model_manifest(model: Path) -> dict[str, Any]:
    """The model's manifest, read here so that a wrong folder fails before any actor starts."""
    try:
        return read_manifest(model)
    except (ModelFolderError, FileNotFoundError, ValueError) as error:
        raise RelabelError(f"cannot load the model: {error}") from error


def _user_error(error: BaseException) -> RelabelError | None:
    """The file-level fault behind a Ray failure, worded as the local engine words it.

    Ray re-raises what a task raised as a `RayTaskError` (whose text is the remote traceback) and Ray Data
    wraps that again; the original is the task error's `cause`.
    """
    from ray.exceptions import RayTaskError

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, RayTaskError):
            seen = seen.cause
        elif isinstance(seen, RelabelError | TabularError):
            return RelabelError(str(seen))
        else:
            seen = seen.__cause__ or seen.__context__
    return None


@contextmanager
def _data_context(ray_data: Any) -> Iterator[None]:
    """Ray Data settings for the datasets made inside, restored after (Ray seals them into each dataset)."""
    context = ray_data.DataContext.get_current()
    settings = {
        # One block per chunk: by default the reader's small blocks are merged up to 128 MiB, which would hand
        # the whole file to one actor, and only once it has all been read.
        "target_max_block_size": 1,
        "enable_progress_bars": False,  # the driver's own bar counts committed rows
        "print_on_execution_start": False,
    }
    saved = {name: getattr(context, name) for name in settings}
    for name, value in settings.items():
        setattr(context, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(context, name, value)


def _score(plan: RelabelPlan, model: Path, cluster: RayCluster, chunk_rows: int, done: dict, progress: bool) -> list:
    """Run the read-score pipeline on the cluster, committing each chunk as it arrives; all records in order."""
    import ray

    from relabel.ray_tasks import ChunkDatasource, ChunkLabeller

    with _data_context(ray.data):
        chunks = ray.data.read_datasource(
            ChunkDatasource(plan.source, chunk_rows, frozenset(done)),
            override_num_blocks=1,
            num_cpus=0,  # the reader parses while the actors score: it must not wait for a CPU they hold
        )
        scored = chunks.map_batches(
            ChunkLabeller,
            fn_constructor_kwargs={"plan": plan, "model": str(model)},
            batch_size=1,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=cluster.workers),
            num_cpus=1,
        )
        records: dict[int, ChunkRecord] = dict(done)
        count = 0
        with progress_bar(plan, done_rows(done), progress) as bar:
            for row in scored.iter_rows():
                count = max(count, row["index"] + 1)
                if row["failure"]:
                    raise RelabelError(row["failure"])
                if not row["record"]:
                    continue
                record = ChunkRecord(**json.loads(row["record"]))
                files = {kind: row[kind] for kind in part_formats(plan)}
                records[record.index] = commit(plan, EncodedChunk(record, files))
                bar.update(record.rows)
        return check_complete(plan, records, count)


def _parts_manifest(plan: RelabelPlan, records: list[ChunkRecord], totals: dict[str, Any]) -> dict[str, Any]:
    """The job (input fingerprint, settings, model), every part with its row range, and the totals."""
    state = json.loads((plan.workdir / "state.json").read_text())
    parts = [
        {"file": part_name("rows", record, plan.output_format)}
        | {key: value for key, value in asdict(record).items() if key not in ("comparison", "error_examples")}
        for record in records
    ]
    return state | {"format": plan.output_format, "parts": parts, "totals": totals}


def _publish(plan: RelabelPlan) -> None:
    """Move the review file and report into place, keep only parts and manifest, rename the folder to the output."""
    publish_sidecars(plan)
    workdir = plan.workdir
    for leftover in [workdir / "state.json", *workdir.glob("done-*.json"), *workdir.glob("review-*")]:
        leftover.unlink(missing_ok=True)
    output = plan.request.output
    if output.exists():  # --overwrite, and the plan checked that it is an earlier output of this command
        shutil.rmtree(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    (workdir / "lock").unlink(missing_ok=True)
    os.replace(workdir, output)


def _connect(cluster: RayCluster, notify: Callable[[str], None]) -> bool:
    """Join the cluster (or start a local one) unless this process already has; True when this call did."""
    import ray

    connected = not ray.is_initialized()
    if connected:
        local = {"include_dashboard": False} if cluster.address is None else {}  # a cluster keeps its settings
        ray.init(address=cluster.address, **local)
    cpus = ray.cluster_resources().get("CPU", 0)
    if cpus < cluster.workers:
        notify(f"the cluster has {cpus:g} CPUs for {cluster.workers} workers: some start only when CPUs free up")
    return connected


def run_relabel_on_ray(
    plan: RelabelPlan,
    model: Path,
    cluster: RayCluster,
    progress: bool = True,
    notify: Callable[[str], None] = lambda message: None,
) -> RelabelSummary:
    """Score every pending chunk on the cluster, then publish the folder of parts; safe to kill and run again."""
    started = time.perf_counter()
    try:
        import ray  # noqa: F401  (checked before any file is written)
    except ImportError as error:
        raise RelabelError(INSTALL_HINT) from error
    manifest = _model_manifest(model)

    def work(chunk_rows: int, done: dict[int, ChunkRecord]) -> dict:
        connected = _connect(cluster, notify)
        try:
            records = _score(plan, model, cluster, chunk_rows, done, progress)
        except Exception as error:
            fault = _user_error(error)
            if fault is None:
                raise
            raise fault from error
        finally:
            if connected:
                import ray

                ray.shutdown()
        label = model_label(manifest["name"], manifest["version"])
        trailing = added_columns(manifest["axes"], plan.request.explain, plan.request.compare_column is not None)
        return _parts_manifest(plan, records, finish_sidecars(plan, records, label, trailing))

    totals, resumed = run_job(plan, manifest, PARTS_MANIFEST, work, _publish, notify)
    return summarise(plan, totals, resumed, started)
