"""`axistag data ...`: check the corpus and merge staged files into it (a thin shell over the library)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from training.corpus import SPLITS, append_to_corpus, read_jsonl
from training.data_check import (
    DEFAULT_JACCARD,
    CheckReport,
    CorpusStats,
    Problem,
    check_corpus,
    parse_jsonl,
    record_problems,
)
from training.splits import assign_splits

DEFAULT_CORPUS = Path("data/proposals.jsonl")

data_app = typer.Typer(
    help="Check the labelled corpus and merge staged files from data/incoming into it.",
    no_args_is_help=True,
)
console = Console(highlight=False, soft_wrap=True)


# --- check -------------------------------------------------------------------------------------------


def _counts_table(title: str, column: str, counts: dict[str, int], total: int) -> Table:
    table = Table(title=title)
    table.add_column(column)
    table.add_column("items", justify="right")
    table.add_column("share", justify="right")
    for name, count in counts.items():
        table.add_row(name, str(count), f"{count / total:.0%}" if total else "-")
    return table


def _axis_table(stats: CorpusStats) -> Table:
    table = Table(title="Positives per axis")
    table.add_column("axis")
    table.add_column("items", justify="right")
    table.add_column("share", justify="right")
    splits = list(SPLITS) if stats.per_axis_split else []
    for split in splits:
        table.add_column(split, justify="right")
    for axis, count in stats.per_axis.items():
        per_split = [str(stats.per_axis_split[axis][s]) for s in splits]
        share = f"{count / stats.n_items:.0%}" if stats.n_items else "-"
        table.add_row(axis, str(count), share, *per_split)
    return table


def _print_stats(stats: CorpusStats) -> None:
    console.print(_axis_table(stats))
    console.print(_counts_table("Items per language", "lang", stats.per_lang, stats.n_items))
    console.print(_counts_table("Items per kind", "kind", stats.per_kind, stats.n_items))
    if stats.per_split:
        console.print(_counts_table("Items per split", "split", stats.per_split, stats.n_items))
    console.print(_counts_table("Labels per item", "labels", stats.cardinality, stats.n_items))
    console.print(f"share of items with 2-3 labels: {stats.share_2_3_labels:.0%}")
    if stats.length_words:
        lengths = ", ".join(f"{name} {value}" for name, value in stats.length_words.items())
        console.print(f"length in words: {lengths}")


def _print_problems(report: CheckReport) -> None:
    counts = report.counts()
    if counts:
        table = Table(title="Problems by type")
        table.add_column("type")
        table.add_column("errors", justify="right")
        table.add_column("warnings", justify="right")
        for code in sorted({code for code, _ in counts}):
            table.add_row(code, str(counts[code, "error"]), str(counts[code, "warning"]))
        console.print(table)
    for problem in report.problems:
        _print_problem(report.path, problem)


def _print_problem(path: Path, problem: Problem) -> None:
    """`path:line: severity [code] message`, the format editors and CI logs turn into links."""
    where = f"{path}:{problem.line}" if problem.line is not None else str(path)
    style = "red" if problem.severity == "error" else "yellow"
    line = f"{where}: {problem.severity} [{problem.code}] {problem.message}"
    console.print(line, style=style, markup=False)


@data_app.command()
def check(
    path: Annotated[Path, typer.Argument(help="Corpus file to check", dir_okay=False)] = DEFAULT_CORPUS,
    realworld: Annotated[
        Path | None,
        typer.Option(
            help="Evaluation set to test for overlap [default: ../shared/realworld/proposals.jsonl]",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    jaccard: Annotated[float, typer.Option(min=0.0, max=1.0, help="Near-duplicate threshold")] = DEFAULT_JACCARD,
    staged: Annotated[bool, typer.Option(help="The file is a staged file from data/incoming (no split)")] = False,
) -> None:
    """Validate the corpus and print its statistics; exit code 1 when there is any error."""
    if not path.is_file():
        console.print(f"{path}: no such file", style="red", markup=False)
        raise typer.Exit(2)
    report = check_corpus(path, realworld, jaccard=jaccard, staged=staged)
    console.print(f"{path}: {report.stats.n_items} items", markup=False)
    if report.realworld_path is None:
        console.print("real-world evaluation set not found: overlap not checked", style="yellow")
    else:
        console.print(f"overlap checked against {report.realworld_path}", markup=False)
    _print_stats(report.stats)
    _print_problems(report)
    style = "red" if report.errors else "green"
    console.print(f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)", style=style)
    raise typer.Exit(1 if report.errors else 0)


# --- merge -------------------------------------------------------------------------------------------


def read_staged(paths: list[Path]) -> tuple[list[dict[str, Any]], list[str]]:
    """Records of the staged files in input order, and every schema problem as `file:line: message`."""
    records: list[dict[str, Any]] = []
    problems: list[str] = []
    for path in paths:
        items, parse_problems = parse_jsonl(path)
        problems += [f"{path}:{p.line}: {p.message}" for p in parse_problems if p.severity == "error"]
        for item in items:
            problems += [f"{path}:{item.line}: {msg}" for _, msg in record_problems(item.record, staged=True)]
            records.append(item.record)
    return records, problems


def read_existing(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The corpus records (empty when the file does not exist yet), and why they cannot be merged into."""
    if not path.exists():
        return [], []
    try:
        lines = read_jsonl(path)
    except ValueError as err:
        return [], [f"{err}; run `axistag data check {path}`"]
    problems = [
        f"{path}:{line}: split must be one of {', '.join(SPLITS)}, got {record.get('split')!r}"
        for line, record in lines
        if record.get("split") not in SPLITS
    ]
    return [record for _, record in lines], problems


def _id_clashes(existing: list[dict[str, Any]], incoming: list[dict[str, Any]]) -> list[str]:
    """Ids already in the corpus, or given twice in the staged files."""
    known = {record.get("id") for record in existing}
    repeated = Counter(record["id"] for record in incoming)
    clashes = [f"id {i!r} already in the corpus" for i in dict.fromkeys(r["id"] for r in incoming) if i in known]
    return clashes + [f"id {i!r} appears {n} times in the staged files" for i, n in repeated.items() if n > 1]


@data_app.command()
def merge(
    incoming: Annotated[list[Path], typer.Argument(help="Staged JSONL files", exists=True, dir_okay=False)],
    into: Annotated[Path, typer.Option(help="Corpus to append to (created if missing)")] = DEFAULT_CORPUS,
    seed: Annotated[int, typer.Option(help="Seed for breaking ties in split assignment")] = 0,
) -> None:
    """Append staged items to the corpus with stratified splits; existing items keep theirs.

    Nothing is written unless every staged line is valid and every id is new. Run `check` afterwards
    for duplicates and language tags.
    """
    existing, problems = read_existing(into)
    records, staged_problems = read_staged(incoming)
    problems += staged_problems
    if not problems:
        problems = _id_clashes(existing, records)
    if problems:
        for message in problems:
            console.print(message, style="red", markup=False)
        console.print(f"nothing merged: {len(problems)} problem(s)", style="red")
        raise typer.Exit(1)
    try:
        assigned = assign_splits(existing + records, seed=seed)[len(existing) :]
    except ValueError as err:
        console.print(f"nothing merged: {err}; run `axistag data check {into}`", style="red", markup=False)
        raise typer.Exit(1) from err
    append_to_corpus(into, assigned)
    split_counts = Counter(record["split"] for record in assigned)
    summary = ", ".join(f"{split} {split_counts[split]}" for split in SPLITS)
    console.print(f"{into}: added {len(assigned)} items ({summary}); now {len(existing) + len(assigned)} items")
