"""The reviewers' report as one self-contained HTML file: inline CSS, plots embedded as PNG data URIs.

Nothing is fetched when the page opens (no scripts, fonts or images from elsewhere), so the file can be
mailed, archived or opened offline and still shows everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from eval.plots import Plot
from eval.sections import Cell, Group, Heading, PlotSlot, Section, Table, report_sections

STYLE = """
:root { --ink: #1d2733; --muted: #66707c; --line: #dde3ea; --band: #f5f7fa; --accent: #1f6fb4; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Roboto, sans-serif; }
header { background: #14324f; color: #fff; padding: 28px 40px 22px; }
header h1 { margin: 0 0 6px; font-size: 26px; font-weight: 600; }
header p { margin: 2px 0; color: #c9d6e3; font-size: 14px; }
header code { color: #fff; }
nav { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid var(--line);
  padding: 8px 40px; font-size: 14px; display: flex; flex-wrap: wrap; gap: 4px 18px; }
nav a { color: var(--accent); text-decoration: none; white-space: nowrap; }
main { max-width: 1280px; padding: 8px 40px 60px; }
section { margin-top: 28px; }
h2 { font-size: 21px; border-bottom: 2px solid var(--accent); padding-bottom: 4px; margin: 0 0 12px; }
h3 { font-size: 16px; margin: 22px 0 8px; }
p { max-width: 62em; margin: 8px 0; }
.scroll { overflow-x: auto; margin: 8px 0 14px; }
table { border-collapse: collapse; font-size: 13.5px; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 10px; text-align: left; vertical-align: top; }
th { background: var(--band); font-weight: 600; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fbfcfd; }
td { max-width: 34em; overflow-wrap: break-word; }
td:first-child { white-space: nowrap; overflow-wrap: normal; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td .ci { display: block; color: var(--muted); font-size: 11.5px; }
td.better { background: #e6f4ea !important; }
td.worse { background: #fbe9e7 !important; }
figure { margin: 14px 0 22px; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; max-width: 62em; }
figcaption b { color: var(--ink); }
details { border: 1px solid var(--line); border-radius: 4px; margin: 6px 0; padding: 0 12px; }
details h3 { font-size: 14px; margin: 12px 0 4px; }
details[open] { padding-bottom: 8px; }
summary { cursor: pointer; padding: 7px 0; font-weight: 500; }
.note { color: var(--muted); font-size: 13px; }
footer { color: var(--muted); font-size: 12px; padding: 0 40px 30px; }
"""


def _cell(cell: Cell, header: bool = False) -> str:
    if header:
        return f"<th>{escape(cell.text)}</th>"
    classes = " ".join(c for c in ("num" if cell.numeric else "", cell.tone) if c)
    attribute = f' class="{classes}"' if classes else ""
    interval = f'<span class="ci">{escape(cell.interval)}</span>' if cell.interval else ""
    text = escape(cell.text).replace("\n", "<br>")
    return f"<td{attribute}>{text}{interval}</td>"


def _table(table: Table) -> str:
    title = f"<h3>{escape(table.title)}</h3>" if table.title else ""
    head = "<thead><tr>" + "".join(_cell(Cell(h), header=True) for h in table.headers) + "</tr></thead>"
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in table.rows)
    note = f'<p class="note">{escape(table.note)}</p>' if table.note else ""
    return f'{title}<div class="scroll"><table>{head if table.headers else ""}<tbody>{body}</tbody></table></div>{note}'


def _plot(plot: Plot) -> str:
    return (
        f'<figure id="plot-{escape(plot.id)}"><img src="{plot.data_uri}" alt="{escape(plot.title)}">'
        f"<figcaption><b>{escape(plot.title)}.</b> {escape(plot.caption)}</figcaption></figure>"
    )


def _item(item: object, plots: Mapping[str, Plot]) -> str:
    if isinstance(item, str):
        return f"<p>{escape(item)}</p>"
    if isinstance(item, Heading):
        return f"<h3>{escape(item.text)}</h3>"
    if isinstance(item, Table):
        return _table(item)
    if isinstance(item, PlotSlot):
        return _plot(plots[item.plot_id]) if item.plot_id in plots else ""
    if isinstance(item, Group):
        inner = "".join(_item(child, plots) for child in item.items)
        return f"<details><summary>{escape(item.summary)}</summary>{inner}</details>"
    raise TypeError(f"cannot render {type(item).__name__}")


def _section(section: Section, plots: Mapping[str, Plot]) -> str:
    body = "".join(_item(item, plots) for item in section.items)
    return f'<section id="{escape(section.id)}"><h2>{escape(section.title)}</h2>{body}</section>'


def render_html(document: dict, plots: Mapping[str, Plot]) -> str:
    """The full page for a metrics document and its plots."""
    sections = report_sections(document)
    models = ", ".join(f"{b['model']['key']} ({b['model']['version']})" for b in document["models"])
    data = document["data"]
    split = f" · split <code>{escape(data['split'])}</code>" if data["split"] else ""
    nav = "".join(f'<a href="#{escape(s.id)}">{escape(s.title)}</a>' for s in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>axistag evaluation: {escape(models)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>axistag evaluation report</h1><p>Models: {escape(models)}</p>"
        f"<p>Data: <code>{escape(data['path'])}</code>{split} · {data['items']} items · "
        f"sha256 <code>{escape(data['sha256'][:16])}…</code></p><p>Created {escape(document['created'])}</p></header>"
        f"<nav>{nav}</nav><main>{''.join(_section(s, plots) for s in sections)}</main>"
        f"<footer>axistag {escape(document['code_version'])} · metrics.json holds every figure shown here.</footer>"
        "</body></html>\n"
    )
