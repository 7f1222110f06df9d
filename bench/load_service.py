"""Load benchmark of the HTTP service: latency percentiles and throughput at several concurrency levels.

Starts `axistag serve` on a free loopback port with the given model, waits until it is ready, then for each
concurrency level keeps that many clients sending `POST /classify` for a fixed time. The texts are real
proposals from the corpus (data/proposals.jsonl, else data/incoming/*.jsonl), so their lengths follow the
corpus; without a corpus, synthetic proposals of 40 to 300 words are used. A first row measures the
reference case on its own: one client, proposals of exactly 150 words.

    python bench/load_service.py --model models/default --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT / "data" / "proposals.jsonl"
INCOMING = REPO_ROOT / "data" / "incoming"
REFERENCE_WORDS = 150
SYNTHETIC_SENTENCES = [
    "The consortium pre-trains a multilingual language model on curated European text.",
    "A regional hospital deploys the assistant in its emergency department with measured indicators.",
    "GPU clusters in three data centres are pooled by a scheduler for distributed training.",
    "Quantisation and pruning reduce the energy used per inference on edge devices.",
    "All code and weights are released under a permissive open-source licence.",
    "The operator uses AI to predict faults in its radio access network.",
    "An annotated data set of legal documents is built and governed as a deliverable.",
    "Developers call the models through a pay-per-use inference API.",
]


@dataclass
class LevelResult:
    name: str
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    words: list[int] = field(default_factory=list)

    def row(self) -> list[str]:
        ordered = sorted(self.latencies)

        def percentile(share: float) -> str:
            if not ordered:
                return "-"
            return f"{1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]:.0f}"

        throughput = len(self.latencies) / self.seconds if self.seconds else 0.0
        return [
            self.name,
            str(self.concurrency),
            str(len(self.latencies) + self.errors),
            str(self.errors),
            f"{throughput:.1f}",
            percentile(0.50),
            percentile(0.95),
            percentile(0.99),
            f"{statistics.median(self.words):.0f}" if self.words else "-",
        ]


def corpus_texts() -> tuple[list[str], str]:
    """Proposal texts and where they come from."""
    files = [CORPUS] if CORPUS.is_file() else sorted(INCOMING.glob("*.jsonl"))
    texts = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                text = json.loads(line).get("text")
            except (json.JSONDecodeError, AttributeError):
                continue
            if isinstance(text, str) and text.strip():
                texts.append(text)
    if texts:
        return texts, ", ".join(str(path.relative_to(REPO_ROOT)) for path in files)
    generator = random.Random(0)
    synthetic = [
        " ".join(generator.choice(SYNTHETIC_SENTENCES) for _ in range(generator.randint(4, 25))) for _ in range(200)
    ]
    return synthetic, "synthetic"


def reference_texts(texts: list[str], count: int = 50) -> list[str]:
    """Proposals of exactly REFERENCE_WORDS words, taken from the corpus's own words."""
    words = " ".join(texts).split()
    while len(words) <= REFERENCE_WORDS:
        words += words
    generator = random.Random(1)
    starts = [generator.randrange(len(words) - REFERENCE_WORDS) for _ in range(count)]
    return [" ".join(words[start : start + REFERENCE_WORDS]) for start in starts]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_service(model: Path, port: int, workers: int | None, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "axistag", "serve", "--model", str(model), "--host", "127.0.0.1"]
    command += ["--port", str(port)] + (["--workers", str(workers)] if workers else [])
    return subprocess.Popen(
        command, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO_ROOT
    )


def wait_until_ready(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited with code {process.returncode}")
        try:
            if httpx.get(url + "/readyz", timeout=3).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the service was not ready after {timeout:.0f} s")


def stop_service(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


async def run_level(url: str, name: str, concurrency: int, texts: list[str], seconds: float) -> LevelResult:
    """`concurrency` clients each send one request after the other until `seconds` have passed."""
    result = LevelResult(name, concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        deadline = time.perf_counter() + seconds
        generator = random.Random(concurrency)

        async def one_client() -> None:
            while time.perf_counter() < deadline:
                text = generator.choice(texts)
                started = time.perf_counter()
                try:
                    response = await client.post("/classify", json={"text": text})
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    result.latencies.append(time.perf_counter() - started)
                    result.words.append(len(text.split()))
                else:
                    result.errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        result.seconds = time.perf_counter() - started
    return result


def table(results: list[LevelResult]) -> str:
    header = ["texts", "clients", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "median words"]
    rows = [header] + [result.row() for result in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=REPO_ROOT / "models" / "default", help="model folder to serve")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of each concurrency level")
    parser.add_argument("--concurrency", default="1,8,32", help="comma-separated client counts")
    parser.add_argument("--workers", type=int, default=None, help="scoring workers (default: the service's)")
    parser.add_argument("--start-timeout", type=float, default=300.0, help="seconds to wait for readiness")
    parser.add_argument("--log", type=Path, default=Path("/tmp/axistag-load-service.log"), help="service log file")
    args = parser.parse_args()
    levels = [int(level) for level in args.concurrency.split(",")]

    texts, source = corpus_texts()
    reference = reference_texts(texts)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    print(f"model {args.model}; {len(texts)} texts from {source}; {args.seconds:.0f} s per level; log {args.log}")
    process = start_service(args.model, port, args.workers, args.log)
    try:
        started = time.perf_counter()
        wait_until_ready(url, process, args.start_timeout)
        print(f"ready after {time.perf_counter() - started:.1f} s")
        model = httpx.get(url + "/axes", timeout=10).json()["model"]
        print(f"serving {model['name']} {model['version']}")
        asyncio.run(run_level(url, "warm-up", 4, texts, min(5.0, args.seconds)))
        results = [asyncio.run(run_level(url, f"{REFERENCE_WORDS} words", 1, reference, args.seconds))]
        results += [asyncio.run(run_level(url, "corpus mix", level, texts, args.seconds)) for level in levels]
    finally:
        stop_service(process)
    print(table(results))
    return 1 if any(result.errors for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
