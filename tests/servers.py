"""Real `axistag serve` processes on free loopback ports, for the end-to-end tests of the service and the page."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

START_TIMEOUT = 150
API_KEY = "test-key-0123456789"
KEYED_LIMITS = {"AXISTAG_MAX_TEXT_CHARS": "500", "AXISTAG_MAX_BATCH_ITEMS": "3"}
OPEN_BODY_LIMIT = 2_000_000


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path
    startup_statuses: list[int | str] = field(default_factory=list)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(model: Path, logs: Path, name: str, extra_env: dict[str, str]) -> Server:
    port = free_port()
    env = {**os.environ, "BENTOML_HOME": str(logs / f"bentoml-{name}"), **extra_env}
    log = logs / f"{name}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "axistag", "serve", "--model", str(model), "--port", str(port)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so the workers can be stopped with it
    )
    return Server(f"http://127.0.0.1:{port}", process, log)


def wait_until_ready(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"the server exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            status = httpx.get(server.url + "/readyz", timeout=3).status_code
        except httpx.HTTPError:
            status = "unreachable"
        server.startup_statuses.append(status)
        if status == 200:
            return
        time.sleep(0.2)
    pytest.fail(f"not ready after {START_TIMEOUT} s:\n{server.log_tail()}")


def stop_server(server: Server) -> None:
    try:
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
    except ProcessLookupError:
        pass
