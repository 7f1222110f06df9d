"""`axistag serve`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def serve(
    model: Annotated[Path | None, typer.Option(help="Model folder (default: $AXISTAG_MODEL or models/default)")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 opens it to the network")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 3000,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Scoring processes, each holding a model copy (default: $AXISTAG_WORKERS or 1)"),
    ] = None,
    export: Annotated[
        bool, typer.Option("--export", help="Copy the model into BentoML's model store for `bentoml build`, and exit")
    ] = False,
) -> None:
    """Serve the model over HTTP: the web page at /, POST /classify, /classify_batch, /classify_file, /feedback,
    GET /axes, /feedback/stats, /readyz, /livez, /metrics, /docs and /docs.json.

    Limits, the API key and thread counts come from AXISTAG_* variables (see serving/settings.py).
    """
    import os
    import sys

    from model.folder import ModelFolderError, read_manifest
    from model.predictor import default_model_path
    from serving.launch import bentoml_serve_command, service_environment
    from serving.settings import ServiceSettings, SettingsError

    folder = model or default_model_path()
    try:
        manifest = read_manifest(folder)
    except ModelFolderError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    if export:
        from serving.model_store import export_model

        stored = export_model(folder)
        typer.echo(f"exported {manifest['name']} {manifest['version']} as BentoML model {stored.tag}")
        typer.echo("next: `bentoml build` packs it into a Bento (see bentofile.yaml)")
        return
    environment = service_environment(folder, workers)
    try:
        ServiceSettings.from_env(environment)
    except SettingsError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    typer.echo(f"serving {manifest['name']} {manifest['version']} from {folder} on http://{host}:{port}", err=True)
    sys.stderr.flush()
    command = bentoml_serve_command(host, port)
    # Replace this process: BentoML's supervisor then receives Ctrl+C and termination signals directly.
    os.execve(command[0], command, environment)
