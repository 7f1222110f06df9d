"""`axistag evaluate`."""

from __future__ import annotations

import typer


def evaluate() -> None:
    """Evaluation reports are not available yet in this version."""
    typer.echo("axistag evaluate is not implemented yet", err=True)
    raise typer.Exit(2)
