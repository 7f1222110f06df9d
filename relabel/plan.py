"""What a relabelling run will do, checked before any model is loaded, so mistakes cost seconds, not a model load.

Both engines go through `plan_relabel`: a missing input, a wrong column or an existing output get the same
message whichever engine was asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from model.axes import AXES
from relabel.disagreement import report_paths
from relabel.rows import added_columns
from relabel.tabular_io import (
    Location,
    Source,
    TabularError,
    detect_format,
    format_of_name,
    is_url,
    name_of,
    open_source,
)

DEFAULT_CHUNK_ROWS = 128
ENGINES = ("local", "ray")
PART_FORMATS = ("parquet", "jsonl")  # what the ray engine's parts can be: one table each, no header to repeat
PARTS_MANIFEST = "_manifest.json"  # "_": readers of a Parquet folder (pyarrow, pandas, Spark) skip it
WORK_SUFFIX = ".partial"


class RelabelError(RuntimeError):
    """The run cannot start or go on (bad input file, columns, existing output); the message says why."""


@dataclass(frozen=True)
class RelabelRequest:
    """What the user asked for, as given on the command line."""

    input: Location
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
    engine: str = "local"  # "ray": the output is a folder of parts and a manifest


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

    @property
    def input_name(self) -> str:
        return name_of(self.request.input).name


def work_directory(output: Path) -> Path:
    return output.with_name(output.name + WORK_SUFFIX)


def _output_format(request: RelabelRequest, input_format: str) -> str:
    named = format_of_name(request.output)
    if request.output_format is None:
        chosen = named or (input_format if request.engine == "local" else "parquet")
    else:
        chosen = detect_format(request.output, request.output_format)
        if named and named != chosen:
            raise RelabelError(f"{request.output.name} names a {named} file but --format is {chosen}")
    if request.engine == "ray" and chosen not in PART_FORMATS:
        raise RelabelError(f"the ray engine writes parquet or jsonl parts, not {chosen}; pass --format parquet")
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
    name = name_of(request.input).name
    notes.append(f"no 'id' column in {name}: rows are named by their number (1 = first data row)")
    return None


def _require_columns(request: RelabelRequest, source: Source, id_column: str | None) -> None:
    wanted = [("text", request.text_column), ("id", id_column), ("compare", request.compare_column)]
    if source.format == "jsonl" and not source.columns:
        return  # no record at all: nothing to check, the output is empty too
    missing = [f"{role} column {name!r}" for role, name in wanted if name is not None and name not in source.columns]
    if missing:
        available = ", ".join(repr(c) for c in source.columns) or "(none)"
        name = name_of(request.input).name
        raise RelabelError(f"{name}: {' and '.join(missing)} not found; available: {available}")


def _refuse_overwrites(request: RelabelRequest, plan_files: list[Path]) -> None:
    existing = [str(path) for path in plan_files if path.exists()]
    if existing and not request.overwrite:
        verb = "exists" if len(existing) == 1 else "exist"
        raise RelabelError(f"{' and '.join(existing)} already {verb}; pass --overwrite to replace")


def _check_output_kind(request: RelabelRequest) -> None:
    """The local engine writes one file, the ray engine a folder of parts; never replace the other kind."""
    output = request.output
    if request.engine == "local" and output.is_dir():
        raise RelabelError(f"{output} is a directory; name the output file")
    if request.engine == "ray" and output.exists() and not output.is_dir():
        raise RelabelError(f"{output} is a file; the ray engine writes a folder of parts, name a folder")
    ours = (output / PARTS_MANIFEST).is_file()
    if request.engine == "ray" and request.overwrite and output.is_dir() and any(output.iterdir()) and not ours:
        raise RelabelError(f"{output} is a folder this command did not write (no {PARTS_MANIFEST}); name another")


def _check_places(request: RelabelRequest) -> None:
    if request.engine not in ENGINES:
        raise RelabelError(f"unknown engine {request.engine!r}; expected one of {', '.join(ENGINES)}")
    _check_output_kind(request)
    local_input = None if is_url(request.input) else Path(request.input).resolve()
    if request.output.resolve() == local_input:
        raise RelabelError("the output would replace the input; choose another output name")
    if request.review_out is not None and request.review_out.resolve() in {request.output.resolve(), local_input}:
        raise RelabelError("--review-out must name a file other than the input and the output")


def plan_relabel(request: RelabelRequest) -> RelabelPlan:
    """Check everything that can be checked without the model."""
    if request.chunk_rows < 1:
        raise RelabelError("--batch-size must be at least 1")
    try:
        input_format = detect_format(request.input, request.input_format)
        output_format = _output_format(request, input_format)
    except TabularError as error:
        raise RelabelError(str(error)) from error
    _check_places(request)
    workdir = work_directory(request.output)
    finishing = (workdir / "finished.json").exists() or (workdir / PARTS_MANIFEST).exists()
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
