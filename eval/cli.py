"""`axistag evaluate`: a thin shell over `eval.run`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def _figure(value: float | None, sign: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.3f}" if sign else f"{value:.3f}"


def evaluate(
    data: Annotated[
        Path, typer.Option(help="Labelled JSONL/CSV/Parquet file: the corpus or any file with text and labels")
    ],
    out: Annotated[Path, typer.Option(help="Folder for report.html, report.md, metrics.json, predictions.jsonl")],
    model: Annotated[
        list[Path] | None,
        typer.Option(help="Model folder; repeat to compare models (the first is compared with each other one)"),
    ] = None,
    split: Annotated[
        str | None,
        typer.Option(help="Split to evaluate when the file has a split column (default: test; 'all' for every item)"),
    ] = None,
    text_column: Annotated[str, typer.Option(help="Column holding the text")] = "text",
    labels_column: Annotated[str, typer.Option(help="Column holding the labels (a list, or 'a;b')")] = "labels",
    id_column: Annotated[str, typer.Option(help="Column holding item ids (row numbers when absent)")] = "id",
    bootstrap: Annotated[int, typer.Option(min=10, help="Bootstrap resamples for the 95% intervals")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap draws")] = 0,
    errors: Annotated[int, typer.Option(min=0, help="Mistakes listed per axis and kind (false pos./neg.)")] = 8,
    quote_texts: Annotated[
        bool,
        typer.Option(
            help="Quote text openings and evidence in the mistakes, and write predictions.jsonl with each item's "
            "labels (off for data that must not be copied)"
        ),
    ] = True,
    scores: Annotated[
        Path | None,
        typer.Option(help="Report these scores (JSONL: id, scores, thresholds; e.g. out-of-fold) instead of scoring"),
    ] = None,
) -> None:
    """Measure one or more models on labelled data and write the reviewers' report."""
    from eval.run import run_evaluation
    from model.folder import ModelFolderError
    from model.predictor import default_model_path

    paths = model or [default_model_path()]
    try:
        document = run_evaluation(
            paths,
            data,
            out,
            split,
            text_column,
            labels_column,
            id_column,
            bootstrap,
            seed,
            errors,
            quote_texts=quote_texts,
            scores=scores,
        )
    except (ModelFolderError, FileNotFoundError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    for block in document["models"]:
        typer.echo(
            f"{block['model']['key']}: macro F1 {_figure(block['macro_f1'])}, micro F1 {_figure(block['micro_f1'])} "
            f"on {document['data']['items']} items"
        )
    for entry in document["comparison"]:
        test = entry["test"]
        typer.echo(
            f"{entry['model']} - {entry['reference']}: macro F1 {_figure(test['difference'], sign=True)}, "
            f"p = {_figure(test['p_value'])}"
        )
    typer.echo(f"report: {out / 'report.html'}")
