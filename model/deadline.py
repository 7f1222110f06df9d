"""When the caller stops waiting: scoring loops check it between model batches instead of computing to the end.

The time is wall-clock (`time.time`), so a deadline set by the HTTP front still means the same moment in the
scoring worker, another process on the same machine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


class DeadlinePassedError(TimeoutError):
    """The caller's deadline passed; the rest of the work is dropped."""


@dataclass(frozen=True)
class Deadline:
    at: float  # seconds since the epoch

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.time() + seconds)

    def check(self) -> None:
        """Raise `DeadlinePassedError` once the deadline has passed."""
        if time.time() > self.at:
            raise DeadlinePassedError(f"the deadline passed {time.time() - self.at:.1f} s ago")


def check(deadline: Deadline | None) -> None:
    """`deadline.check()`, for the callers that may have no deadline."""
    if deadline is not None:
        deadline.check()
