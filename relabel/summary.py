"""What a finished run reports, whichever engine did the work."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from relabel.plan import RelabelPlan
from relabel.tabular_io import TabularError


@dataclass
class RelabelSummary:
    """Totals over the whole file (earlier interrupted runs included) and the speed of this run."""

    output: Path
    rows: int
    scored: int
    errors: int
    needs_review: int
    review_rows: int
    label_counts: dict[str, int]
    error_examples: list[str]
    resumed_rows: int
    processed_rows: int
    elapsed: float
    review_out: Path | None = None
    report_files: tuple[Path, Path] | None = None
    differing_rows: int | None = None

    @property
    def rows_per_second(self) -> float:
        return self.processed_rows / self.elapsed if self.elapsed > 0 else 0.0


def summarise(plan: RelabelPlan, totals: dict[str, Any], resumed: int, started: float) -> RelabelSummary:
    """The summary of a run that began at `started` (`time.perf_counter()`) with `resumed` rows already done."""
    return RelabelSummary(
        output=plan.request.output,
        rows=totals["rows"],
        scored=totals["scored"],
        errors=totals["errors"],
        needs_review=totals["needs_review"],
        review_rows=totals["review_rows"],
        label_counts=totals["label_counts"],
        error_examples=totals["error_examples"],
        resumed_rows=resumed,
        processed_rows=totals["rows"] - resumed,
        elapsed=time.perf_counter() - started,
        review_out=plan.request.review_out,
        report_files=plan.report_files,
        differing_rows=totals["differing_rows"],
    )


def progress_bar(plan: RelabelPlan, done_rows: int, enabled: bool) -> tqdm:
    """Rows done out of the input's rows (when they can be counted cheaply), on stderr."""
    try:
        total = plan.source.count_rows()
    except (TabularError, OSError):
        total = None
    return tqdm(
        total=total,
        initial=done_rows,
        unit=" rows",
        desc=f"relabel {plan.input_name}",
        disable=not enabled,
        dynamic_ncols=True,
        file=sys.stderr,
    )
