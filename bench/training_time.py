"""Wall time and peak memory of training the default model with its committed config, from scratch."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.figures import Figure
from bench.texts import CORPUS, REPO_ROOT

CONFIG = REPO_ROOT / "training" / "default.toml"


def training_figures(data: Path = CORPUS) -> list[Figure]:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "model"
        command = [sys.executable, "-m", "axistag", "train", "--data", str(data), "--out", str(out)]
        started = time.perf_counter()
        subprocess.run([*command, "--config", str(CONFIG)], check=True, cwd=REPO_ROOT)
        seconds = time.perf_counter() - started
        validation = json.loads((out / "axistag.json").read_text())["validation"]["macro_f1"]
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return [
        Figure("training the default model", seconds / 60, "minutes", target="<= 20"),
        Figure("training peak memory", peak_mb, "MB", target="<= 8,000"),
        Figure("validation macro-F1 of that training", validation, ""),
    ]
