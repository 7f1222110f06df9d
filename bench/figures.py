"""One row of the benchmark table, and the table itself."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class Figure:
    """A measured value, next to the baseline measured in the same run and the target it is held to."""

    name: str
    value: float
    unit: str
    baseline_name: str = ""
    baseline: float | None = None
    target: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline

    def to_dict(self) -> dict:
        return {**asdict(self), "ratio": self.ratio}


def number(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.1f}"


def print_table(figures: list[Figure], title: str) -> None:
    table = Table(title=title, title_justify="left")
    for column, justify in [
        ("figure", "left"),
        ("value", "right"),
        ("unit", "left"),
        ("baseline (same run)", "left"),
        ("baseline value", "right"),
        ("ratio", "right"),
        ("target", "left"),
    ]:
        table.add_column(column, justify=justify)
    for figure in figures:
        ratio = f"{figure.ratio:.2f}x" if figure.ratio is not None else ""
        table.add_row(
            figure.name,
            number(figure.value),
            figure.unit,
            figure.baseline_name,
            number(figure.baseline),
            ratio,
            figure.target,
        )
    Console(width=160).print(table)
