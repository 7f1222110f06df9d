"""The reviewers' report as Markdown: the same sections and tables as the HTML page, plots named only.

Markdown viewers do not show embedded images reliably, so each plot is referred to in report.html.
"""

from __future__ import annotations

from collections.abc import Mapping

from eval.plots import Plot
from eval.sections import Cell, Group, Heading, PlotSlot, Section, Table, report_sections


def _escape(text: str) -> str:
    """Table cells cannot hold pipes or raw line breaks; angle brackets in texts must not become HTML."""
    text = text.replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
    return text.replace("\n", "<br>")


def _cell(cell: Cell) -> str:
    interval = f" ({cell.interval})" if cell.interval else ""
    return _escape(cell.text + interval)


def _table(table: Table) -> list[str]:
    lines = [f"**{_escape(table.title)}**", ""] if table.title else []
    headers = table.headers or [" "] * len(table.rows[0])
    lines.append("| " + " | ".join(_escape(h) or " " for h in headers) + " |")
    lines.append(
        "|" + "|".join("---:" if table.rows and table.rows[0][i].numeric else "---" for i in range(len(headers))) + "|"
    )
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    if table.note:
        lines += ["", table.note]
    return [*lines, ""]


def _item(item: object, plots: Mapping[str, Plot]) -> list[str]:
    if isinstance(item, str):
        return [item, ""]
    if isinstance(item, Heading):
        return [f"### {item.text}", ""]
    if isinstance(item, Table):
        return _table(item)
    if isinstance(item, PlotSlot):
        plot = plots.get(item.plot_id)
        return [f"_Plot in report.html: {plot.title}._", ""] if plot else []
    if isinstance(item, Group):
        lines = [f"#### {item.summary}", ""]
        for child in item.items:
            lines += _item(child, plots)
        return lines
    raise TypeError(f"cannot render {type(item).__name__}")


def _section(section: Section, plots: Mapping[str, Plot]) -> list[str]:
    lines = [f"## {section.title}", ""]
    for item in section.items:
        lines += _item(item, plots)
    return lines


def render_markdown(document: dict, plots: Mapping[str, Plot]) -> str:
    models = ", ".join(f"{b['model']['key']} ({b['model']['version']})" for b in document["models"])
    data = document["data"]
    lines = [
        "# axistag evaluation report",
        "",
        f"Models: {models}. Data: `{data['path']}` (sha256 `{data['sha256']}`), {data['items']} items"
        + (f", split `{data['split']}`" if data["split"] else "")
        + f". Created {document['created']}.",
        "",
    ]
    for section in report_sections(document):
        lines += _section(section, plots)
    return "\n".join(lines).rstrip() + "\n"
