"""Measurements made in a fresh process, so that the memory they report is their own."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path


def status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"no {field} in /proc/self/status: memory figures need Linux")


def peak_rss_mb() -> float:
    """This process's own peak resident memory (VmHWM): unlike ru_maxrss, not inherited from a larger parent."""
    return status_mb("VmHWM")


def resident_mb() -> float:
    """This process's resident memory now (VmRSS)."""
    return status_mb("VmRSS")


def in_child(function: Callable[..., dict], *args) -> dict:
    """`function(*args)` in a freshly started interpreter; it must be importable and return a picklable dict."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()
