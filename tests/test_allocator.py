"""The scoring worker hands free memory back once idle, never in the middle of a call."""

from __future__ import annotations

import sys
import time

import pytest

from serving.allocator import IdleTrimmer, release_free_memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's")
def test_free_memory_is_released_on_linux():
    assert release_free_memory() is True


def test_memory_is_released_once_calls_have_stopped_for_a_moment():
    trimmer = IdleTrimmer(idle_seconds=0.2)
    with trimmer.in_use():
        time.sleep(0.5)
        assert not trimmer.pending  # nothing is released while a call is in progress
    assert trimmer.pending
    deadline = time.monotonic() + 5
    while trimmer.pending and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not trimmer.pending
