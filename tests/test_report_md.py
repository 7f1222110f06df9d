"""The Markdown report: the same tables as the HTML page, valid table syntax, plots referred to."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def markdown(tiny_evaluation) -> str:
    return (tiny_evaluation / "report.md").read_text(encoding="utf-8")


def test_has_every_section(markdown):
    for title in ("## Summary", "## Models and data", "## Per axis", "## Calibration", "## Slices"):
        assert title in markdown
    assert "## Most confident mistakes" in markdown
    assert "_Plot in report.html: Precision-recall curves per axis._" in markdown


def test_tables_are_rectangular(markdown):
    tables, current = [], []
    for line in markdown.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    assert tables
    for table in tables:
        widths = {line.replace("\\|", "").count("|") for line in table}
        assert len(widths) == 1, table[0]


def test_cells_cannot_break_the_table():
    from eval.report_md import _cell
    from eval.sections import Cell

    assert _cell(Cell("a|b\n<c>", "0.1 to 0.2")) == "a\\|b<br>&lt;c&gt; (0.1 to 0.2)"
