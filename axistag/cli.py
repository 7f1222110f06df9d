"""The `axistag` command: a dispatcher; each subcommand lives in the package it belongs to."""

from __future__ import annotations

import typer

from bench.cli import bench
from eval.cli import evaluate
from feedback.cli import feedback_app
from model.cli import backbone, predict
from relabel.cli import relabel
from serving.cli import serve
from training.cli import calibrate, train
from training.data_cli import data_app

app = typer.Typer(
    help="Tag AI project proposals with the eight IPCEI-AI priority axes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command()(predict)
app.command()(backbone)
app.command()(train)
app.command()(calibrate)
app.add_typer(data_app, name="data", help="Check and grow the labelled corpus in data/.")
app.command()(evaluate)
app.command()(relabel)
app.command()(serve)
app.command()(bench)
app.add_typer(feedback_app, name="feedback", help="Export reviewers' corrections; import reviewed files.")
