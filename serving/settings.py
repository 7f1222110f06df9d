"""Limits and runtime knobs of the HTTP service, read once from `AXISTAG_*` environment variables.

Every process of the service (the API front and each scoring worker) reads the same variables at import,
so the request schemas, the batching and the thread counts agree without passing anything around.

| variable                    | default          | meaning                                                    |
| --------------------------- | ---------------- | ---------------------------------------------------------- |
| `AXISTAG_MAX_TEXT_CHARS`    | 100000           | longest accepted proposal text, in characters              |
| `AXISTAG_MAX_BATCH_ITEMS`   | 256              | most items in one `/classify_batch` request                 |
| `AXISTAG_MAX_BATCH_CHARS`   | timeout x 4250   | most characters in one request (batch or file), all items   |
| `AXISTAG_MAX_BODY_BYTES`    | 33554432 (32 MiB)| largest accepted request body                              |
| `AXISTAG_API_KEY`           | (unset: open)    | when set, scoring endpoints need `Authorization: Bearer …` |
| `AXISTAG_WORKERS`           | 1                | scoring worker processes, each holding one model copy      |
| `AXISTAG_TORCH_THREADS`     | CPUs / workers   | intra-op threads of each scoring worker                    |
| `AXISTAG_SCORING_BATCH`     | 32               | most texts the adaptive batcher puts in one model call     |
| `AXISTAG_TIMEOUT`           | 60               | seconds before a request is answered 504                   |

The character limits follow the timeout, so that a request at every limit is scored in time on two cores at
fp32: the encoder reads about 8,500 characters a second there (11 corpus proposals of 200 tokens, about 1,000
characters, a second, less a quarter for 512-token windows and their overlap), and a request may use half the
timeout, leaving the other half to a concurrent request and to tokenising. With `explain` every sentence is
scored again, so its characters count twice. README.md gives the figures.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache


class SettingsError(ValueError):
    """An `AXISTAG_*` variable holds a value the service cannot run with."""


def available_cpus() -> int:
    """CPUs this process may run on (respects container and taskset limits, unlike `os.cpu_count`)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - platforms without sched_getaffinity
        return max(1, os.cpu_count() or 1)


def _integer(environ: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer >= {minimum}, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be an integer >= {minimum}, got {value}")
    return value


# Measured with `axistag bench` on two cores at fp32: characters the default model scores per second.
SCORED_CHARS_PER_SECOND = 8_500
# The share of the timeout one request may take; the rest is for a concurrent request and for tokenising.
REQUEST_SHARE_OF_TIMEOUT = 0.5
# With `explain`, every sentence is scored again on its own: twice the encoder's work.
EXPLAIN_COST = 2
LONGEST_TEXT = 100_000


def character_budget(timeout_seconds: int) -> int:
    """Characters one request may hold so that it is scored within `timeout_seconds` (see the module's doc)."""
    return int(timeout_seconds * REQUEST_SHARE_OF_TIMEOUT * SCORED_CHARS_PER_SECOND)


@dataclass(frozen=True)
class ServiceSettings:
    max_text_chars: int = LONGEST_TEXT
    max_batch_items: int = 256
    max_batch_chars: int = character_budget(60)
    max_body_bytes: int = 32 * 1024 * 1024
    max_upload_bytes: int = 2 * 1024 * 1024
    api_key: str | None = None
    workers: int = 1
    torch_threads: int = 1
    scoring_batch: int = 32
    timeout_seconds: int = 60

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServiceSettings:
        environ = os.environ if environ is None else environ
        workers = _integer(environ, "AXISTAG_WORKERS", cls.workers)
        timeout_seconds = _integer(environ, "AXISTAG_TIMEOUT", cls.timeout_seconds)
        budget = character_budget(timeout_seconds)
        return cls(
            # A single text with `explain` must fit the budget too.
            max_text_chars=_integer(environ, "AXISTAG_MAX_TEXT_CHARS", min(LONGEST_TEXT, budget // EXPLAIN_COST)),
            max_batch_items=_integer(environ, "AXISTAG_MAX_BATCH_ITEMS", cls.max_batch_items),
            max_batch_chars=_integer(environ, "AXISTAG_MAX_BATCH_CHARS", budget),
            max_body_bytes=_integer(environ, "AXISTAG_MAX_BODY_BYTES", cls.max_body_bytes),
            max_upload_bytes=_integer(environ, "AXISTAG_MAX_UPLOAD_BYTES", cls.max_upload_bytes),
            api_key=environ.get("AXISTAG_API_KEY") or None,
            workers=workers,
            # Workers share the CPUs: more threads than cores per worker only adds contention.
            torch_threads=_integer(environ, "AXISTAG_TORCH_THREADS", max(1, available_cpus() // workers)),
            scoring_batch=_integer(environ, "AXISTAG_SCORING_BATCH", cls.scoring_batch, minimum=2),
            timeout_seconds=timeout_seconds,
        )


@lru_cache(maxsize=1)
def service_settings() -> ServiceSettings:
    """The settings of this process, read once so that schemas, batching and threads agree."""
    return ServiceSettings.from_env()
