"""Where the model disagrees with labels a file already carries (by hand or from an older model).

Reviewers start from the axes that moved most and from the changes the model is surest of, so the
comparison keeps per-axis counts and the changes furthest from their threshold. A `Comparison` is built
chunk by chunk, stored with each finished chunk, and merged at the end, so an interrupted run loses nothing.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from model.axes import AXES, parse_labels
from model.predictor import Prediction
from relabel.tabular_io import spreadsheet_safe

CHANGES_KEPT = 200
MARKDOWN_CHANGES = 20
EXCERPT_CHARS = 160
CSV_FIELDS = ("row", "item", "axis", "change", "score", "threshold", "margin", "old_labels", "new_labels", "excerpt")


@dataclass(frozen=True)
class LabelChange:
    """One axis on one row where the model's call differs from the old label."""

    row: int
    item: str
    axis: str
    change: str  # "added" (model says yes, old label no) or "removed"
    score: float
    threshold: float
    old_labels: str
    new_labels: str
    excerpt: str

    @property
    def margin(self) -> float:
        """How far the score is from the threshold: how sure the model is of the change."""
        return abs(self.score - self.threshold)


@dataclass
class Comparison:
    """Running tally of old-versus-new labels over the scored rows."""

    column: str
    compared: int = 0
    unreadable: int = 0
    differing: int = 0
    old_counts: Counter = field(default_factory=Counter)
    new_counts: Counter = field(default_factory=Counter)
    added: Counter = field(default_factory=Counter)
    removed: Counter = field(default_factory=Counter)
    changes: list[LabelChange] = field(default_factory=list)

    def add(self, row: int, item: str, text: str, old_value: Any, prediction: Prediction) -> list[str] | None:
        """Compare one row; returns its changes as `+axis` / `-axis`, or None if the old labels are unreadable."""
        try:
            old = parse_labels(old_value)
        except ValueError:
            self.unreadable += 1
            return None
        new = sorted(prediction.labels)
        self.compared += 1
        self.old_counts.update(old)
        self.new_counts.update(new)
        gained = [axis for axis in AXES if axis in new and axis not in old]
        lost = [axis for axis in AXES if axis in old and axis not in new]
        if not gained and not lost:
            return []
        self.differing += 1
        self.added.update(gained)
        self.removed.update(lost)
        excerpt = " ".join(text.split())[:EXCERPT_CHARS]
        for axis, change in [(a, "added") for a in gained] + [(a, "removed") for a in lost]:
            self.changes.append(
                LabelChange(
                    row=row,
                    item=item,
                    axis=axis,
                    change=change,
                    score=prediction.scores[axis],
                    threshold=prediction.thresholds[axis],
                    old_labels=";".join(old),
                    new_labels=";".join(new),
                    excerpt=excerpt,
                )
            )
        if len(self.changes) > 2 * CHANGES_KEPT:
            self._keep_most_confident()
        return [f"+{axis}" for axis in gained] + [f"-{axis}" for axis in lost]

    def merge(self, other: Comparison) -> None:
        self.compared += other.compared
        self.unreadable += other.unreadable
        self.differing += other.differing
        for mine, theirs in [
            (self.old_counts, other.old_counts),
            (self.new_counts, other.new_counts),
            (self.added, other.added),
            (self.removed, other.removed),
        ]:
            mine.update(theirs)
        self.changes.extend(other.changes)
        self._keep_most_confident()

    def most_confident(self, limit: int = CHANGES_KEPT) -> list[LabelChange]:
        return sorted(self.changes, key=lambda c: (-c.margin, c.row, c.axis))[:limit]

    def _keep_most_confident(self) -> None:
        self.changes = self.most_confident(CHANGES_KEPT)

    def to_dict(self) -> dict[str, Any]:
        self._keep_most_confident()
        counts = ("old_counts", "new_counts", "added", "removed")
        return {
            "column": self.column,
            "compared": self.compared,
            "unreadable": self.unreadable,
            "differing": self.differing,
            **{name: dict(getattr(self, name)) for name in counts},
            "changes": [asdict(change) for change in self.changes],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Comparison:
        counts = ("old_counts", "new_counts", "added", "removed")
        return cls(
            column=data["column"],
            compared=data["compared"],
            unreadable=data["unreadable"],
            differing=data["differing"],
            **{name: Counter(data[name]) for name in counts},
            changes=[LabelChange(**change) for change in data["changes"]],
        )


def report_paths(output: Path) -> tuple[Path, Path]:
    """`out.csv` -> `out.disagreement.md`, `out.disagreement.csv`, next to the output."""
    stem = output.with_suffix("").name if output.suffix else output.name
    return output.with_name(f"{stem}.disagreement.md"), output.with_name(f"{stem}.disagreement.csv")


def changes_csv(comparison: Comparison) -> str:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(CSV_FIELDS)
    for change in comparison.most_confident():
        writer.writerow(
            [
                change.row,
                spreadsheet_safe(change.item),
                change.axis,
                change.change,
                f"{change.score:.4f}",
                f"{change.threshold:.4f}",
                f"{change.margin:.4f}",
                change.old_labels,
                change.new_labels,
                spreadsheet_safe(change.excerpt),
            ]
        )
    return text.getvalue()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_report(comparison: Comparison, source: str, model: str, csv_name: str) -> str:
    share = comparison.differing / comparison.compared if comparison.compared else 0.0
    lines = [
        f"# Disagreement with `{comparison.column}`",
        "",
        f"Model `{model}` against the labels in column `{comparison.column}` of `{source}`.",
        "",
        f"- rows compared: {comparison.compared}",
        f"- rows where the labels differ: {comparison.differing} ({share:.1%})",
    ]
    if comparison.unreadable:
        lines.append(f"- rows whose old labels could not be read (not compared): {comparison.unreadable}")
    lines += [
        "",
        "## Per axis",
        "",
        "`added`: the model selects the axis, the old labels did not; `removed`: the other way round.",
        "",
        "| axis | old labels | model | added | removed |",
        "|---|---:|---:|---:|---:|",
    ]
    for axis in AXES:
        lines.append(
            f"| {axis} | {comparison.old_counts[axis]} | {comparison.new_counts[axis]} "
            f"| {comparison.added[axis]} | {comparison.removed[axis]} |"
        )
    top = comparison.most_confident(MARKDOWN_CHANGES)
    lines += ["", "## Most confident disagreements", ""]
    if not top:
        lines.append("None: the model agrees with every compared row.")
    else:
        lines += [
            f"The changes whose score is furthest from the axis threshold; up to {CHANGES_KEPT} are in `{csv_name}`.",
            "",
            "| row | item | axis | change | score | threshold | text |",
            "|---:|---|---|---|---:|---:|---|",
        ]
        for change in top:
            lines.append(
                f"| {change.row} | {_cell(change.item)} | {change.axis} | {change.change} | {change.score:.3f} "
                f"| {change.threshold:.3f} | {_cell(change.excerpt)} |"
            )
    return "\n".join(lines) + "\n"
