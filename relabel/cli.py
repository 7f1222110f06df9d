"""`axistag relabel`: tag a whole CSV/JSONL/Parquet file with the current model, offline and resumably.

`--engine local` (the default) scores in this process; `--engine ray` spreads the chunks over a Ray cluster.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from model.predictor import Predictor
    from relabel.summary import RelabelSummary


def relabel(
    input: Annotated[
        str,
        typer.Argument(help="CSV, JSONL or Parquet file of proposals: a path or a URL (s3://…)", show_default=False),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="File to write (with --engine ray: a folder of parts); appears only once complete",
            show_default=False,
        ),
    ],
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="csv, jsonl or parquet (default: from the output's name, else the input's; "
            "with --engine ray: parquet or jsonl, default parquet)",
        ),
    ] = None,
    input_format: Annotated[
        str | None, typer.Option(help="csv, jsonl or parquet (default: from the input's extension)")
    ] = None,
    text_column: Annotated[str, typer.Option(help="Column holding the proposal text")] = "text",
    id_column: Annotated[
        str | None, typer.Option(help="Column naming each row (default: 'id' when present, else row numbers)")
    ] = None,
    model: Annotated[Path | None, typer.Option(help="Model folder (default: $AXISTAG_MODEL or models/default)")] = None,
    explain: Annotated[bool, typer.Option(help="Add the evidence sentences of each selected axis")] = False,
    compare_column: Annotated[
        str | None,
        typer.Option(help="Column of existing labels: report where the model disagrees (Markdown + CSV)"),
    ] = None,
    review_out: Annotated[
        Path | None, typer.Option(help="Also write the rows that need review, failed, or disagree, to this file")
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace existing output files")] = False,
    batch_size: Annotated[
        int | None,
        typer.Option(min=1, help="Rows scored and saved together; an interruption loses at most one (default: 128)"),
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar on stderr")] = True,
    engine: Annotated[
        str, typer.Option(help="local (this process) or ray (a Ray cluster; pip install 'axistag[ray]')")
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option(help="With --engine ray: the cluster to join (auto, or ray://head:10001; default: a local one)"),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="With --engine ray: scoring actors, one model and one CPU each [default: 2]"),
    ] = None,
) -> None:
    """Relabel every row of a proposal file; run the same command again to resume an interrupted run."""
    from relabel.plan import RelabelError, RelabelRequest, plan_relabel
    from relabel.tabular_io import as_location

    request = RelabelRequest(
        input=as_location(input),
        output=output,
        input_format=input_format,
        output_format=output_format,
        text_column=text_column,
        id_column=id_column,
        explain=explain,
        compare_column=compare_column,
        review_out=review_out,
        overwrite=overwrite,
        engine=engine,
        **({"chunk_rows": batch_size} if batch_size else {}),
    )

    def note(message: str) -> None:
        typer.echo(f"note: {message}", err=True)

    try:
        if engine != "ray" and (address is not None or workers is not None):
            raise RelabelError("--address and --workers are for --engine ray")
        plan = plan_relabel(request)
        for message in plan.notes:
            note(message)
        if engine == "ray":
            from relabel.engine_ray import RayCluster, run_relabel_on_ray

            cluster = RayCluster(address=address, **({"workers": workers} if workers else {}))
            summary = run_relabel_on_ray(plan, model_folder(model), cluster, progress=progress, notify=note)
        else:
            from relabel.engine_local import run_relabel

            summary = run_relabel(plan, load_model(model), progress=progress, notify=note)
    except RelabelError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    except KeyboardInterrupt:
        typer.echo(f"\ninterrupted; run the same command again to continue where {output} left off", err=True)
        raise typer.Exit(130) from None
    typer.echo(summary_text(summary))


def model_folder(model: Path | None) -> Path:
    """The model folder asked for, else the default one."""
    from model.predictor import default_model_path

    return model or default_model_path()


def load_model(model: Path | None) -> Predictor:
    """The model, or a `RelabelError` saying why it cannot be loaded (imported late: torch costs seconds)."""
    from model.backbone import BackboneError
    from model.folder import ModelFolderError
    from model.predictor import Predictor
    from relabel.plan import RelabelError

    try:
        return Predictor.load(model_folder(model))
    except (ModelFolderError, BackboneError, FileNotFoundError, ValueError) as error:
        raise RelabelError(f"cannot load the model: {error}") from error


def summary_text(summary: RelabelSummary) -> str:
    by_count = sorted(summary.label_counts.items(), key=lambda item: -item[1])
    lines = [
        f"wrote {summary.output}: {summary.rows} rows, {summary.scored} scored, {summary.errors} with errors, "
        f"{summary.needs_review} need review",
        f"this run: {summary.processed_rows} rows in {summary.elapsed:.1f} s ({summary.rows_per_second:.1f} rows/s)"
        + (f"; {summary.resumed_rows} rows were done by an earlier run" if summary.resumed_rows else ""),
        "labels: " + (", ".join(f"{axis} {n}" for axis, n in by_count) or "none"),
    ]
    lines += [f"error: {example}" for example in summary.error_examples]
    if summary.errors > len(summary.error_examples):
        lines.append(f"... and {summary.errors - len(summary.error_examples)} more rows with an error")
    if summary.report_files:
        markdown, table = summary.report_files
        lines.append(f"disagreement: {summary.differing_rows} rows differ; see {markdown} and {table}")
    if summary.review_out:
        lines.append(f"review: {summary.review_rows} rows in {summary.review_out}")
    return "\n".join(lines)
