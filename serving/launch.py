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
# oneDNN keeps up to 1,024 compiled kernels by default, one per operation and input shape, each with its own
# buffers: proposals of every length fill that cache. With 64, the service held 1,310 MB after the bench's load
# levels instead of 1,470-1,495, and HTTP throughput and latency stayed within the spread of runs at 1,024.
ONEDNN_KERNELS_KEPT = 64


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
    """The caller's environment plus the model folder, the worker count, BentoML's no-telemetry switch and
    oneDNN's kernel cache size (either of the last two as the caller's environment sets it, if it does)."""
    environment = dict(os.environ if base is None else base)
    environment["AXISTAG_MODEL"] = str(Path(model).resolve())
    if workers is not None:
        environment["AXISTAG_WORKERS"] = str(workers)
    # The service runs offline; BentoML would otherwise try to send usage statistics.
    environment.setdefault("BENTOML_DO_NOT_TRACK", "True")
    environment.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", str(ONEDNN_KERNELS_KEPT))
    return environment
