"""Wall time and peak memory of training the default model with its committed config, from scratch."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.child import in_child, peak_rss_mb
from bench.figures import Figure, at_most
from bench.texts import CORPUS, REPO_ROOT

CONFIG = REPO_ROOT / "training" / "default.toml"


def training_run(data: str) -> dict:
    """`axistag train --config training/default.toml` into a throwaway folder, timed."""
    from training.config import load_config
    from training.train import train_model

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        manifest = train_model(Path(data), Path(folder) / "model", load_config(CONFIG))
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "validation": manifest["validation"]["macro_f1"]}


def training_figures(data: Path = CORPUS) -> list[Figure]:
    run = in_child(training_run, str(data))
    return [
        Figure("training the default model", run["seconds"] / 60, "minutes", target=at_most(20)),
        Figure("training peak memory", run["peak_rss_mb"], "MB", target=at_most(8000)),
        Figure("validation macro-F1 of that training", run["validation"], ""),
    ]
