"""`axistag feedback export` and `axistag feedback import`: the corrections database to and from files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

LABEL_STUDIO = "label-studio"
DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="SQLAlchemy URL (default: $AXISTAG_DATABASE_URL or $AXISTAG_HOME's SQLite file)"),
]

feedback_app = typer.Typer(no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


@feedback_app.command("export")
def export(
    out: Annotated[Path, typer.Option(help="File to write: .jsonl, .csv, .parquet, or .json for Label Studio")],
    format: Annotated[
        str | None,
        typer.Option(help="jsonl, csv, parquet, or label-studio (default: from the extension of --out)"),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Write the latest correction of each text: a labelled file for `train` and `evaluate`, or Label Studio
    tasks with the model's labels as pre-annotations."""
    from feedback.export import write_labelled
    from feedback.label_studio import config_path, write_tasks
    from feedback.store import CorrectionStore
    from relabel.tabular_io import TabularError, detect_format

    chosen = format or (LABEL_STUDIO if out.suffix.lower() == ".json" else None)
    try:
        fmt = chosen if chosen == LABEL_STUDIO else detect_format(out, chosen)
    except TabularError as error:
        raise _fail(f"{error} (or label-studio)") from error
    store = CorrectionStore(database)
    try:
        corrections = store.latest_per_text()
    finally:
        store.close()
    if fmt == LABEL_STUDIO:
        count = write_tasks(corrections, out)
        typer.echo(f"{count} Label Studio tasks in {out}; labelling configuration in {config_path(out)}")
        return
    count = write_labelled(corrections, out, fmt)
    typer.echo(f"{count} corrected texts in {out}")


@feedback_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A reviewed --review-out file of relabel, or a Label Studio export")],
    labels_column: Annotated[
        str, typer.Option(help="Column of the reviewer's labels in a review file ('a;b', or 'none')")
    ] = "corrected_labels",
    text_column: Annotated[str, typer.Option(help="Column holding the text in a review file")] = "text",
    reviewer: Annotated[str | None, typer.Option(help="Reviewer's name for rows without a reviewer column")] = None,
    database: DatabaseOption = None,
) -> None:
    """Store the corrections of a reviewed file: Label Studio's JSON export (.json) or a relabel review file."""
    from feedback.label_studio import LabelStudioError, read_export
    from feedback.review_file import read_review_file
    from feedback.store import CorrectionStore
    from relabel.tabular_io import TabularError

    try:
        if file.suffix.lower() == ".json":
            corrections, unannotated = read_export(file)
            skipped = f"{unannotated} tasks without annotation"
            problems: list[str] = []
        else:
            review = read_review_file(file, labels_column, text_column, reviewer)
            corrections, problems = review.corrections, review.problems
            skipped = f"{review.not_reviewed} rows not reviewed, {len(problems)} rows unusable"
    except (LabelStudioError, TabularError) as error:
        raise _fail(str(error)) from error
    store = CorrectionStore(database)
    try:
        for correction in corrections:
            store.record(correction)
    finally:
        store.close()
    for problem in problems[:10]:
        typer.echo(f"skipped {problem}", err=True)
    typer.echo(f"imported {len(corrections)} corrections from {file.name} ({skipped})")
