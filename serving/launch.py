"""How `axistag serve` starts BentoML: the command line and the environment handed to its processes.

The model folder travels as `AXISTAG_MODEL` because BentoML starts the API front and each scoring worker
as separate processes that import `serving.service` afresh; the environment is what they all share.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

SERVICE = "serving.service:AxisTagService"
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def bentoml_serve_command(host: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bentoml",
        "serve",
        SERVICE,
        "--host",
        host,
        "--port",
        str(port),
        "--working-dir",
        str(PROJECT_ROOT),
    ]


def service_environment(model: Path, workers: int | None, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment plus the model folder, the worker count and BentoML's no-telemetry switch."""
    environment = dict(os.environ if base is None else base)
    environment["AXISTAG_MODEL"] = str(Path(model).resolve())
    if workers is not None:
        environment["AXISTAG_WORKERS"] = str(workers)
    # The service runs offline; BentoML would otherwise try to send usage statistics.
    environment.setdefault("BENTOML_DO_NOT_TRACK", "True")
    return environment
