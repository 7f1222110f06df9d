"""`axistag train`: a thin shell over `training.train.train_model`."""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path
from typing import Annotated

import typer


def _overrides(settings: list[str]) -> dict[str, object]:
    """`--set epochs=3 --set bf16=true` -> {"epochs": 3, "bf16": True} (values parsed as JSON when possible)."""
    result: dict[str, object] = {}
    for item in settings:
        key, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--set")
        try:
            result[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            result[key.strip()] = value
    return result


def train(
    data: Annotated[Path, typer.Option(help="Labelled JSONL/CSV/Parquet (the corpus: data/proposals.jsonl)")],
    out: Annotated[Path, typer.Option(help="Model folder to write, e.g. models/my-model")],
    config: Annotated[Path | None, typer.Option(help="Training config file (JSON or TOML)")] = None,
    kind: Annotated[
        str | None, typer.Option(help="'transformer' (LoRA fine-tuning), 'tfidf' baseline or 'ensemble' (both)")
    ] = None,
    text_column: Annotated[str | None, typer.Option(help="Text column of a user file")] = None,
    labels_column: Annotated[str | None, typer.Option(help="Labels column of a user file")] = None,
    setting: Annotated[list[str] | None, typer.Option("--set", help="Override a config field: NAME=VALUE")] = None,
    real: Annotated[
        list[Path] | None,
        typer.Option(help="Stack: labelled real texts (JSONL/CSV/Parquet; repeatable), cross-fitted by group"),
    ] = None,
    encoder_from: Annotated[
        Path | None, typer.Option(help="Stack: reuse this folder's fine-tuned encoder (trained on the same file)")
    ] = None,
    group_column: Annotated[str, typer.Option(help="Rows of --real sharing a value here stay in one fold")] = "group",
    real_predictions: Annotated[
        Path | None, typer.Option(help="Stack: write the --real texts' out-of-fold predictions here (JSONL)")
    ] = None,
) -> None:
    """Train on the `train` split, tune and select on `validation`; the `test` split is never read.

    A file without a `split` column is split by seed (see `validation_share`). An interrupted run
    resumes from its checkpoint when the same command is run again. A stack given `--real` files also
    learns from them, and reports its out-of-fold figures on them.
    """
    from training.config import load_config
    from training.train import train_model

    overrides = _overrides(setting or [])
    for name, value in (("kind", kind), ("text_column", text_column), ("labels_column", labels_column)):
        if value is not None:
            overrides[name] = value
    if not data.is_file():
        typer.echo(f"error: {data} does not exist", err=True)
        raise typer.Exit(2)
    try:
        settings = load_config(config, overrides)
    except (ValueError, OSError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    for file in real or []:
        if not file.is_file():
            typer.echo(f"error: {file} does not exist", err=True)
            raise typer.Exit(2)
    if settings.kind == "stack" and not real:
        typer.echo(
            "no --real texts: the TF-IDF member and the probe learn from the corpus alone, "
            "the combiner and thresholds from its validation split"
        )
    started = time.time()
    try:
        sample = _real_sample(real, settings, group_column)
        manifest = train_model(
            data, out, settings, real=sample, encoder_from=encoder_from, real_predictions=real_predictions
        )
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    validation = manifest["validation"]
    typer.echo(
        f"wrote {out}: validation macro-F1 {validation['macro_f1']:.4f}, micro-F1 {validation['micro_f1']:.4f}; "
        f"{time.time() - started:.0f} s wall, peak memory {peak_mb:.0f} MB"
    )
    crossfit = manifest.get("real_sample", {}).get("cross_fitted")
    if crossfit:
        low, high = crossfit["interval"]
        typer.echo(
            f"real texts, out-of-fold ({crossfit['folds']} grouped folds, seed {crossfit['seed']}): macro-F1 "
            f"{crossfit['macro_f1']:.3f} ({low:.3f}-{high:.3f}), mean average precision "
            f"{crossfit['mean_average_precision']:.3f}"
        )


def _real_sample(files: list[Path] | None, settings, group_column: str):
    """The labelled real texts of `--real`, or None."""
    if not files:
        return None
    from training.recalibrate import read_sample

    return read_sample(files, settings.text_column, settings.labels_column, group_column)


def calibrate(
    model: Annotated[Path, typer.Option(help="Model folder to recalibrate (it is not changed)")],
    data: Annotated[list[Path], typer.Option(help="Labelled JSONL/CSV/Parquet sample; repeat for several files")],
    out: Annotated[Path, typer.Option(help="New model folder to write")],
    folds: Annotated[int, typer.Option(help="Grouped cross-fitting folds for the before/after figures")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the folds and of the bootstrap")] = 0,
    force: Annotated[bool, typer.Option(help="Write the new folder even if it does not win out-of-fold")] = False,
    text_column: Annotated[str, typer.Option(help="Text column of the sample")] = "text",
    labels_column: Annotated[str, typer.Option(help="Labels column of the sample")] = "labels",
    group_column: Annotated[str, typer.Option(help="Rows sharing a value here stay in one fold")] = "group",
) -> None:
    """Refit calibration and thresholds to a labelled sample (say, a programme's first reviewed proposals).

    Nothing is retrained. Prints out-of-fold macro-F1 before and after with 95% intervals, and refuses a
    sample too small, too one-sided, or that does not beat the current calibration.
    """
    from model.folder import ModelFolderError
    from training.recalibrate import CalibrationRefusedError, calibrate_model

    for file in data:
        if not file.is_file():
            typer.echo(f"error: {file} does not exist", err=True)
            raise typer.Exit(2)
    try:
        result = calibrate_model(model, data, out, folds, seed, force, text_column, labels_column, group_column)
    except (CalibrationRefusedError, ModelFolderError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error

    def figure(block: dict) -> str:
        low, high = block["interval"] or (float("nan"), float("nan"))
        return f"{block['macro_f1']:.3f} ({low:.3f}-{high:.3f})"

    change = result.difference
    typer.echo(f"out-of-fold macro-F1 ({result.folds} grouped folds, seed {result.seed}):")
    typer.echo(f"  before {figure(result.before)}\n  after  {figure(result.after)}")
    typer.echo(f"  change {change['difference']:+.3f}, 95% interval {change['interval']}, p {change['p_value']:.3f}")
    typer.echo(
        f"temperature {result.calibration['temperature']:.3f}, bias {result.calibration['bias']:+.3f}, "
        f"thresholds {result.thresholds['mode']} "
        f"(global {result.thresholds['global_threshold']:.2f})\nwrote {out}"
    )
