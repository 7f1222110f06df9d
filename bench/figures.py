"""One row of the benchmark table, the target it is held to, and the table itself."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from rich.console import Console
from rich.table import Table


def number(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.1f}"


@dataclass(frozen=True)
class Target:
    """A bound on a figure's value, or (`of_baseline`) on its ratio to the baseline measured in the same run."""

    bound: float
    at_least: bool = True
    strict: bool = False
    of_baseline: bool = False

    def text(self, baseline_name: str = "") -> str:
        sign = {(True, False): ">=", (True, True): ">", (False, False): "<=", (False, True): "<"}
        bound = f"{self.bound:g}x {baseline_name}".rstrip() if self.of_baseline else f"{self.bound:,g}"
        return f"{sign[self.at_least, self.strict]} {bound}"

    def met(self, value: float, ratio: float | None) -> bool | None:
        measured = ratio if self.of_baseline else value
        if measured is None or measured != measured:  # no baseline, or nan
            return None
        if self.at_least:
            return measured > self.bound if self.strict else measured >= self.bound
        return measured < self.bound if self.strict else measured <= self.bound


def at_least(bound: float) -> Target:
    return Target(bound)


def at_most(bound: float) -> Target:
    return Target(bound, at_least=False)


def below(bound: float) -> Target:
    return Target(bound, at_least=False, strict=True)


def times_baseline(bound: float) -> Target:
    return Target(bound, of_baseline=True)


@dataclass(frozen=True)
class Figure:
    """A measured value, next to the baseline measured in the same run and the target it is held to.

    `ceiling` is this machine's fp32 ceiling (proposals/s) measured in the same run, for speed figures.
    """

    name: str
    value: float
    unit: str
    baseline_name: str = ""
    baseline: float | None = None
    target: Target | str = ""
    ceiling: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline

    @property
    def of_ceiling(self) -> float | None:
        return self.value / self.ceiling if self.ceiling else None

    @property
    def target_text(self) -> str:
        return self.target.text(self.baseline_name) if isinstance(self.target, Target) else self.target

    @property
    def met(self) -> bool | None:
        return self.target.met(self.value, self.ratio) if isinstance(self.target, Target) else None

    def to_dict(self) -> dict:
        fields = asdict(self) | {"target": self.target_text}
        return fields | {"ratio": self.ratio, "of_ceiling": self.of_ceiling, "met": self.met}


def ratio_text(ratio: float | None) -> str:
    return f"{ratio:.2f}x" if ratio is not None else ""


def print_table(figures: list[Figure], title: str) -> None:
    table = Table(title=title, title_justify="left")
    for column, justify in [
        ("figure", "left"),
        ("value", "right"),
        ("unit", "left"),
        ("baseline (same run)", "left"),
        ("baseline value", "right"),
        ("ratio", "right"),
        ("of fp32 ceiling", "right"),
        ("target", "left"),
        ("met", "left"),
    ]:
        table.add_column(column, justify=justify)
    for figure in figures:
        table.add_row(
            figure.name,
            number(figure.value),
            figure.unit,
            figure.baseline_name,
            number(figure.baseline),
            ratio_text(figure.ratio),
            ratio_text(figure.of_ceiling),
            figure.target_text,
            {True: "yes", False: "NO", None: ""}[figure.met],
        )
    Console(width=200).print(table)
