"""Handing back to the system the memory that the C allocator keeps after model calls, once the scorer is idle.

glibc keeps the heap pages that a forward pass's activations used, to reuse them: after a burst of long texts
a scoring worker would hold a few hundred MB it no longer needs. `malloc_trim` returns them. It takes a few
milliseconds, so it runs once the worker has been idle for a moment, never between the batches of a burst.
Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

IDLE_SECONDS = 1.0


@lru_cache(maxsize=1)
def _malloc_trim():
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def release_free_memory() -> bool:
    """Return the allocator's free pages to the system; False where that is not possible."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


class IdleTrimmer:
    """Releases free memory once no call has been in progress for `idle_seconds`, once per busy spell."""

    def __init__(self, idle_seconds: float = IDLE_SECONDS) -> None:
        self.idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._busy = 0
        self._last_use: float | None = None  # end of the last call not yet followed by a release
        threading.Thread(target=self._watch, name="axistag-memory-release", daemon=True).start()

    @property
    def pending(self) -> bool:
        """Whether a call has ended since the last release."""
        return self._last_use is not None

    @contextmanager
    def in_use(self) -> Iterator[None]:
        with self._lock:
            self._busy += 1
        try:
            yield
        finally:
            with self._lock:
                self._busy -= 1
                self._last_use = time.monotonic()

    def _due(self) -> bool:
        with self._lock:
            due = not self._busy and self._last_use is not None
            if due and time.monotonic() - self._last_use >= self.idle_seconds:
                self._last_use = None
                return True
        return False

    def _watch(self) -> None:
        while True:
            time.sleep(self.idle_seconds / 2)
            if self._due():
                release_free_memory()
