"""Relabelling throughput: proposals per second through `axistag relabel`, against the fp32 ceiling measured in
the same run (the target is 0.9 of it) and next to a naive transformers loop.

The naive loop is what one writes first: one text at a time, `tokenizer(text, truncation=True)`, one forward
pass of the same classifier, no length bucketing and no windows (long texts are cut at the model's window).
The relabel engine does more per text (every window of a long text, language detection, review flags,
files written and committed) and still has to be faster, or its batching is not paying off.

Each approach runs in a fresh child process so that its peak resident memory is its own; model
loading is left out of the timing.

The ray engine is measured on the same file against the local engine, on a local Ray instance of this
machine's size with 2 scoring actors. Its time runs from the job's start to its published folder, so it
includes what every Ray job pays: starting the actors and loading one model in each.

    axistag bench --only relabel --only ray
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from bench.child import in_child, peak_rss_mb
from bench.figures import Figure, times_baseline

RAY_WORKERS = 2


def write_proposals(folder: Path, texts: list[str]) -> Path:
    source = folder / "in.jsonl"
    source.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)))
    return source


def engine_run(model: str, texts: list[str], batch_size: int) -> dict:
    """The whole relabel path on a JSONL file: read, score, flag, write, commit, assemble."""
    from model.predictor import Predictor
    from relabel.engine_local import relabel_file
    from relabel.plan import RelabelRequest

    predictor = Predictor.load(model)
    with tempfile.TemporaryDirectory() as folder:
        source = write_proposals(Path(folder), texts)
        request = RelabelRequest(source, Path(folder) / "out.jsonl", chunk_rows=batch_size)
        started = time.perf_counter()
        relabel_file(request, predictor, progress=False)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb()}


def naive_run(model: str, texts: list[str]) -> dict:
    """One text at a time through the same model (both members of an ensemble), truncated to its window."""
    import torch

    from model.backbone import load_tokenizer
    from model.predictor import Predictor

    predictor = Predictor.load(model, precision="fp32")  # the naive loop is plain torch
    encoder = predictor.encoder
    classifier, settings = encoder.classifier, encoder.windows
    tokenizer = load_tokenizer(predictor.manifest["backbone"]["name"])  # the fast one, as such a loop would use
    tfidf = getattr(predictor.scorer, "tfidf", None)  # an ensemble's other member is scored the same way
    started = time.perf_counter()
    with torch.inference_mode():
        for text in texts:
            encoded = tokenizer(
                settings.prefix + text, truncation=True, max_length=settings.max_tokens, return_tensors="pt"
            )
            classifier(encoded["input_ids"], encoded["attention_mask"])
            if tfidf is not None:
                tfidf.logits([text])
    return {"seconds": time.perf_counter() - started, "peak_rss_mb": peak_rss_mb()}


def relabel_figures(model: str, texts: list[str], tokens: int, ceiling: float, batch_size: int = 128) -> list[Figure]:
    """Each approach in a fresh process, the engine first; `ceiling` is the fp32 ceiling of this run."""
    engine = in_child(engine_run, model, texts, batch_size)
    naive = in_child(naive_run, model, texts)
    engine_rate, naive_rate = len(texts) / engine["seconds"], len(texts) / naive["seconds"]
    name = f"relabelling, {tokens}-token proposals"
    return [
        Figure(name, engine_rate, "proposals/s", "fp32 ceiling", ceiling, times_baseline(0.9), ceiling=ceiling),
        Figure(name + ", again", engine_rate, "proposals/s", "naive transformers loop", naive_rate, ceiling=ceiling),
        Figure("relabelling peak memory", engine["peak_rss_mb"], "MB", "naive transformers loop", naive["peak_rss_mb"]),
    ]


def ray_run(model: str, texts: list[str], batch_size: int, workers: int) -> dict:
    """The same file through the ray engine on a local instance of `workers` CPUs, one actor per CPU."""
    import ray

    from relabel.engine_ray import RayCluster, run_relabel_on_ray
    from relabel.plan import RelabelRequest, plan_relabel

    ray.init(num_cpus=workers, include_dashboard=False)
    try:
        with tempfile.TemporaryDirectory() as folder:
            source = write_proposals(Path(folder), texts)
            request = RelabelRequest(source, Path(folder) / "parts", chunk_rows=batch_size, engine="ray")
            started = time.perf_counter()
            run_relabel_on_ray(plan_relabel(request), Path(model), RayCluster(workers=workers), progress=False)
            seconds = time.perf_counter() - started
    finally:
        ray.shutdown()
    return {"seconds": seconds}


def ray_figures(
    model: str, texts: list[str], tokens: int, local_rate: float | None, batch_size: int = 32
) -> list[Figure]:
    """The ray engine against the local engine on the same file (measured here unless the relabel part did)."""
    if local_rate is None:
        local_rate = len(texts) / in_child(engine_run, model, texts, 128)["seconds"]
    # Chunks smaller than the local engine's 128 rows, so that both actors get a share of a bench-sized file.
    measured = in_child(ray_run, model, texts, batch_size, RAY_WORKERS)
    return [
        Figure(
            f"relabelling on Ray, {RAY_WORKERS} local workers, {tokens}-token proposals (actor start included)",
            len(texts) / measured["seconds"],
            "proposals/s",
            "local engine, same file",
            local_rate,
        )
    ]
