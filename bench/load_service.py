"""Load benchmark of the HTTP service: latency percentiles and throughput at several concurrency levels.

Starts `axistag serve` on a free loopback port with the given model, waits until it is ready, then for each
concurrency level keeps that many clients sending `POST /classify` for a fixed time. A first level measures
the latency target's case on its own: one client, proposals of exactly 150 words; the others send corpus
proposals of one token length, the same texts the relabelling benchmark reads.

    axistag bench --only service
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from bench.figures import Figure, at_most, below, times_baseline
from bench.texts import REPO_ROOT

REFERENCE_WORDS = 150
AT_REST_SECONDS = 3  # memory after the load levels is read once the service has been idle this long


@dataclass
class LevelResult:
    name: str
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    words: list[int] = field(default_factory=list)

    def percentile(self, share: float) -> float:
        """Latency in seconds below which `share` of the successful requests finished (nan without any)."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def row(self) -> list[str]:
        return [
            self.name,
            str(self.concurrency),
            str(len(self.latencies) + self.errors),
            str(self.errors),
            f"{self.throughput:.1f}",
            *(f"{1000 * self.percentile(share):.0f}" for share in (0.5, 0.95, 0.99)),
            f"{statistics.median(self.words):.0f}" if self.words else "-",
        ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_service(model: Path, port: int, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "axistag", "serve", "--model", str(model), "--host", "127.0.0.1"]
    command += ["--port", str(port)]
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


def service_memory_mb(process: subprocess.Popen) -> float:
    """Resident memory of the service: its supervisor and every worker it started."""
    root = psutil.Process(process.pid)
    return sum(member.memory_info().rss for member in [root, *root.children(recursive=True)]) / 2**20


def service_figures(
    model: Path,
    reference: list[str],
    texts: list[str],
    tokens: int,
    relabel_rate: float | None,
    seconds: float,
    ceiling: float | None = None,
) -> tuple[list[Figure], list[LevelResult]]:
    """Readiness, one client on 150-word proposals, then 1, 8, 16 and 32 clients on `tokens`-token ones.

    Throughput is held to relabelling's when that was measured in the same run, and shown against `ceiling`.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = Path(tempfile.gettempdir()) / f"axistag-bench-service-{port}.log"
    process = start_service(model, port, log)
    try:
        started = time.perf_counter()
        wait_until_ready(url, process, timeout=300)
        ready = time.perf_counter() - started
        idle_memory = service_memory_mb(process)
        asyncio.run(run_level(url, "warm-up", 4, texts, min(5.0, seconds)))
        results = [asyncio.run(run_level(url, f"{REFERENCE_WORDS} words", 1, reference, seconds))]
        results += [asyncio.run(run_level(url, f"{tokens} tokens", level, texts, seconds)) for level in (1, 8, 16, 32)]
        time.sleep(AT_REST_SECONDS)  # the scorer hands free memory back once idle for a second
        memory = service_memory_mb(process)
    finally:
        stop_service(process)
    single, sixteen = results[0], results[3]
    figures = [
        Figure("service ready after start", ready, "s", target=at_most(10)),
        Figure("service memory when ready", idle_memory, "MB", target=at_most(1200)),
        Figure(f"service memory {AT_REST_SECONDS} s after the load levels", memory, "MB", target=at_most(1500)),
        Figure(
            f"HTTP p50, 1 client, {REFERENCE_WORDS}-word proposals",
            1000 * single.percentile(0.5),
            "ms",
            target=below(100),
        ),
        Figure(
            f"HTTP throughput, 16 clients, {tokens}-token proposals",
            sixteen.throughput,
            "proposals/s",
            "relabelling" if relabel_rate else "",
            relabel_rate,
            times_baseline(0.8) if relabel_rate else "",
            ceiling=ceiling,
        ),
        Figure("HTTP p99, 16 clients", 1000 * sixteen.percentile(0.99), "ms", target=below(2000)),
        Figure("HTTP errors, all levels", sum(result.errors for result in results), "requests", target=at_most(0)),
    ]
    return figures, results
