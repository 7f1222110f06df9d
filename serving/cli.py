"""`axistag serve`, `axistag relabel` and `axistag bench`."""

from __future__ import annotations

import typer


def serve() -> None:
    """The HTTP service is not available yet in this version."""
    typer.echo("axistag serve is not implemented yet", err=True)
    raise typer.Exit(2)


def relabel() -> None:
    """Batch relabelling is not available yet in this version."""
    typer.echo("axistag relabel is not implemented yet", err=True)
    raise typer.Exit(2)


def bench() -> None:
    """Benchmarks are not available yet in this version."""
    typer.echo("axistag bench is not implemented yet", err=True)
    raise typer.Exit(2)
