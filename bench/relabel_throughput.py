"""Relabelling throughput: proposals per second through `axistag relabel`, next to a naive transformers loop.

The naive loop is what one writes first: one text at a time, `tokenizer(text, truncation=True)`, one forward
pass of the same classifier, no length bucketing and no windows (long texts are cut at the model's window).
The relabel engine does more per text (every window of a long text, language detection, review flags,
files written and committed) and still has to be faster, or its batching is not paying off.

Each approach runs in a fresh child process so that its peak resident memory (ru_maxrss) is its own; model
loading is timed apart from scoring. Texts are sampled with replacement from the project's corpus so that
their lengths are realistic.

    .venv/bin/python bench/relabel_throughput.py --model models/default --n 2000 [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = REPO_ROOT / "models" / "default"


def corpus_texts(data: Path | None) -> tuple[list[str], str]:
    """Texts from the given JSONL file, else data/proposals.jsonl, else data/incoming/*.jsonl."""
    if data is not None:
        files = [data]
    elif (REPO_ROOT / "data" / "proposals.jsonl").exists():
        files = [REPO_ROOT / "data" / "proposals.jsonl"]
    else:
        files = sorted((REPO_ROOT / "data" / "incoming").glob("*.jsonl"))
    texts = []
    for file in files:
        with open(file, encoding="utf-8") as handle:
            texts += [record["text"] for record in map(json.loads, filter(str.strip, handle))]
    if not texts:
        raise SystemExit("no texts found; pass --data FILE.jsonl")
    return texts, ", ".join(str(f.relative_to(REPO_ROOT) if f.is_relative_to(REPO_ROOT) else f) for f in files)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def engine_run(model: str, texts: list[str], batch_size: int) -> dict:
    """The whole relabel path on a JSONL file: read, score, flag, write, commit, assemble."""
    from model.predictor import Predictor
    from model.windowing import encode_windows
    from serving.relabel import RelabelRequest, relabel_file

    started = time.perf_counter()
    predictor = Predictor.load(model)
    loaded = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.jsonl"
        source.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)))
        request = RelabelRequest(source, Path(folder) / "out.jsonl", chunk_rows=batch_size)
        started = time.perf_counter()
        relabel_file(request, predictor, progress=False)
        seconds = time.perf_counter() - started
    windows = encode_windows(predictor.scorer.tokenizer, texts, predictor.scorer.windows).input_ids
    return {"load_s": loaded, "seconds": seconds, "tokens": sum(map(len, windows)), "peak_rss_mb": peak_rss_mb()}


def naive_run(model: str, texts: list[str], batch_size: int) -> dict:
    """One text at a time through the same classifier, truncated to its window."""
    import torch

    from model.predictor import Predictor

    started = time.perf_counter()
    predictor = Predictor.load(model)
    loaded = time.perf_counter() - started
    tokenizer, classifier = predictor.scorer.tokenizer, predictor.scorer.classifier
    settings = predictor.scorer.windows
    tokens = 0
    started = time.perf_counter()
    with torch.inference_mode():
        for text in texts:
            encoded = tokenizer(
                settings.prefix + text, truncation=True, max_length=settings.max_tokens, return_tensors="pt"
            )
            classifier(encoded["input_ids"], encoded["attention_mask"])
            tokens += int(encoded["input_ids"].shape[1])
    seconds = time.perf_counter() - started
    return {"load_s": loaded, "seconds": seconds, "tokens": tokens, "peak_rss_mb": peak_rss_mb()}


def in_child(function: Callable[[str, list[str], int], dict], *args) -> dict:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def model_description(model: str) -> str:
    """Name, version and window of a transformer model folder; the naive loop has no meaning for TF-IDF."""
    manifest = json.loads((Path(model) / "axistag.json").read_text())
    if manifest["kind"] != "transformer":
        raise SystemExit(f"{model} is a {manifest['kind']} model; this benchmark compares transformer loops")
    return f"{manifest['name']}@{manifest['version']}, window {manifest['windows']['max_tokens']} tokens"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="model folder (default: models/default)")
    parser.add_argument("--n", type=int, default=2000, help="proposals to score (default 2000)")
    parser.add_argument("--data", type=Path, help="JSONL file to sample texts from")
    parser.add_argument("--batch-size", type=int, default=128, help="relabel chunk size (rows)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()

    pool, where = corpus_texts(args.data)
    texts = random.Random(args.seed).choices(pool, k=args.n)
    words = sorted(len(t.split()) for t in texts)
    print(f"model: {model_description(args.model)}")
    print(
        f"texts: {args.n} sampled with replacement from {len(pool)} in {where}; words per text: "
        f"median {statistics.median(words):.0f}, p90 {words[int(0.9 * (len(words) - 1))]}, max {words[-1]}"
    )
    results = {
        "relabel engine": in_child(engine_run, args.model, texts, args.batch_size),
        "naive loop": in_child(naive_run, args.model, texts, args.batch_size),
    }
    print(f"\n{'approach':<16} {'load s':>7} {'score s':>8} {'proposals/s':>12} {'tokens/s':>9} {'peak RSS MB':>12}")
    for name, result in results.items():
        result["proposals_per_s"] = args.n / result["seconds"]
        result["tokens_per_s"] = result["tokens"] / result["seconds"]
        print(
            f"{name:<16} {result['load_s']:>7.1f} {result['seconds']:>8.1f} {result['proposals_per_s']:>12.1f} "
            f"{result['tokens_per_s']:>9.0f} {result['peak_rss_mb']:>12.0f}"
        )
    ratio = results["relabel engine"]["proposals_per_s"] / results["naive loop"]["proposals_per_s"]
    tokens_ratio = results["relabel engine"]["tokens"] / results["naive loop"]["tokens"]
    print(f"\nratio: the relabel engine scores {ratio:.2f}x as many proposals per second as the naive loop,")
    print(f"while reading {tokens_ratio:.2f}x as many tokens (whole texts in windows instead of truncated ones)")
    if args.json:
        summary = {"model": args.model, "n": args.n, "source": where, "results": results, "ratio": ratio}
        args.json.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
