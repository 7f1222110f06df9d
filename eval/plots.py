"""The report's figures as PNG bytes, drawn off-screen with matplotlib's Agg canvas.

Figures are built with the object API (no pyplot state), so drawing works headless and in threads. Each
model keeps one colour across every figure of a report.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve

from eval.metrics import decide
from eval.scoring import ScoredModel

COLOURS = ("#1f6fb4", "#e07b19", "#2b9a4a", "#c23b3b", "#7b52a8", "#8a5a44")
THRESHOLD_GRID = np.round(np.arange(0.01, 1.0, 0.01), 2)
DPI = 110
GRID_SHAPE = (2, 4)
COOCCURRENCE_COLUMNS = 2
MAX_WIDTH = 13.0


@dataclass(frozen=True)
class Plot:
    id: str
    title: str
    caption: str
    png: bytes

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _colour(index: int) -> str:
    return COLOURS[index % len(COLOURS)]


def _axis_grid(axes: Sequence[str], width: float = 13, height: float = 6.4) -> tuple[Figure, list]:
    figure = Figure(figsize=(width, height), layout="constrained")
    panels = figure.subplots(*GRID_SHAPE, sharex=True, sharey=True).ravel()
    return figure, list(panels[: len(axes)])


def pr_curves(targets: np.ndarray, models: Sequence[ScoredModel], axes: Sequence[str]) -> bytes:
    """Precision against recall per axis, one line per model; the dotted line is the share of positives."""
    figure, panels = _axis_grid(axes)
    for column, (axis, panel) in enumerate(zip(axes, panels, strict=True)):
        positives = int(targets[:, column].sum())
        panel.set_title(f"{axis} (n+ = {positives})", fontsize=10)
        panel.set_xlim(0, 1.01)
        panel.set_ylim(0, 1.03)
        panel.grid(alpha=0.3)
        if positives == 0:
            panel.text(0.5, 0.5, "no positives", ha="center", va="center", color="#777")
            continue
        panel.axhline(positives / len(targets), color="#999", linestyle=":", linewidth=1)
        for index, model in enumerate(models):
            precision, recall, _ = precision_recall_curve(targets[:, column], model.scores[:, column])
            panel.plot(recall, precision, color=_colour(index), linewidth=1.6, drawstyle="steps-post", label=model.key)
    for panel in panels[GRID_SHAPE[1] :]:
        panel.set_xlabel("recall")
    for panel in panels[:: GRID_SHAPE[1]]:
        panel.set_ylabel("precision")
    panels[0].legend(loc="lower left", fontsize=8)
    return _png(figure)


def threshold_curves(targets: np.ndarray, model: ScoredModel, comparison: dict, axes: Sequence[str]) -> bytes:
    """F1 of each axis as its threshold moves, with the tuned per-axis and the global thresholds marked."""
    figure, panels = _axis_grid(axes, height=6.0)
    predicted = decide(model.scores[:, :, None], THRESHOLD_GRID[None, None, :])
    tp = (predicted * targets[:, :, None]).sum(axis=0)
    denominator = predicted.sum(axis=0) + targets.sum(axis=0)[:, None]
    f1 = np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), np.nan)
    global_threshold = comparison["global_threshold"]
    for column, (axis, panel) in enumerate(zip(axes, panels, strict=True)):
        tuned = comparison["per_axis"]["thresholds"][axis]
        panel.plot(THRESHOLD_GRID, f1[column], color=_colour(0), linewidth=1.6)
        panel.axvline(global_threshold, color="#555", linestyle="--", linewidth=1, label="global threshold")
        tuned_f1 = np.interp(tuned, THRESHOLD_GRID, np.nan_to_num(f1[column]))
        panel.plot([tuned], [tuned_f1], "o", color="#c23b3b", markersize=6, label="per-axis threshold")
        panel.set_title(axis, fontsize=10)
        panel.set_xlim(0, 1)
        panel.set_ylim(0, 1.03)
        panel.grid(alpha=0.3)
    for panel in panels[GRID_SHAPE[1] :]:
        panel.set_xlabel("threshold")
    for panel in panels[:: GRID_SHAPE[1]]:
        panel.set_ylabel("F1")
    panels[0].legend(loc="upper right", fontsize=8)
    figure.suptitle(f"{model.key}: thresholds in use = {comparison['selected'].replace('_', '-')}", fontsize=11)
    return _png(figure)


def reliability_diagram(calibrations: Sequence[tuple[str, dict]]) -> bytes:
    """Observed frequency against mean score per bin (on the diagonal = calibrated), with bin counts below."""
    figure = Figure(figsize=(7.5, 6.5), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    top.plot([0, 1], [0, 1], color="#999", linestyle="--", linewidth=1, label="perfect calibration")
    width = 1 / (len(calibrations[0][1]["reliability"]) * (len(calibrations) + 1))
    for index, (key, calibration) in enumerate(calibrations):
        rows = [row for row in calibration["reliability"] if row["count"]]
        top.plot(
            [row["mean_score"] for row in rows],
            [row["observed"] for row in rows],
            "o-",
            color=_colour(index),
            linewidth=1.5,
            markersize=4,
            label=f"{key} (ECE {calibration['ece']:.3f})",
        )
        centres = [(row["low"] + row["high"]) / 2 + (index - (len(calibrations) - 1) / 2) * width for row in rows]
        bottom.bar(centres, [row["count"] for row in rows], width=width, color=_colour(index))
    top.set_ylabel("observed frequency")
    top.set_xlim(0, 1)
    top.set_ylim(0, 1.02)
    top.grid(alpha=0.3)
    top.legend(loc="upper left", fontsize=9)
    bottom.set_yscale("log")
    bottom.set_ylabel("(item, axis) pairs")
    bottom.set_xlabel("predicted score")
    bottom.grid(alpha=0.3)
    return _png(figure)


def axes_per_item(targets: np.ndarray, models: Sequence[ScoredModel]) -> bytes:
    """How many axes each item carries, true against predicted: over- or under-tagging shows at a glance."""
    figure = Figure(figsize=(7.5, 3.8), layout="constrained")
    panel = figure.subplots()
    counts = [("true", np.asarray(targets).sum(axis=1))] + [(m.key, m.predicted.sum(axis=1)) for m in models]
    bins = np.arange(0, max(int(c.max()) for _, c in counts) + 2)
    width = 0.8 / len(counts)
    for index, (label, values) in enumerate(counts):
        shares = np.bincount(values.astype(int), minlength=len(bins) - 1)[: len(bins) - 1] / max(len(values), 1)
        colour = "#999" if index == 0 else _colour(index - 1)
        mean = values.mean() if len(values) else 0.0
        panel.bar(
            bins[:-1] + (index - (len(counts) - 1) / 2) * width,
            shares,
            width,
            color=colour,
            label=f"{label} (mean {mean:.2f})",
        )
    panel.set_xticks(bins[:-1])
    panel.set_xlabel("axes per item")
    panel.set_ylabel("share of items")
    panel.grid(axis="y", alpha=0.3)
    panel.legend(fontsize=9)
    return _png(figure)


def cooccurrence(targets: np.ndarray, models: Sequence[ScoredModel], axes: Sequence[str]) -> bytes:
    """How often two axes are given together: the true labels, then each model's decisions.

    The diagonal (items carrying the axis) is shown in grey so that it does not wash out the pairs.
    """
    matrices = [("true labels", targets), *((f"predicted: {m.key}", m.predicted) for m in models)]
    counts = [matrix.T @ matrix for _, matrix in matrices]
    off_diagonal = ~np.eye(len(axes), dtype=bool)
    top = max(1, max(int(c[off_diagonal].max(initial=0)) for c in counts))
    colours = ListedColormap(np.linspace([1, 1, 1, 1], [0.12, 0.44, 0.71, 1], 256)).with_extremes(bad="#e6e6e6")
    rows = -(-len(matrices) // COOCCURRENCE_COLUMNS)
    figure = Figure(figsize=(12.5, 5.9 * rows), layout="constrained")
    panels = figure.subplots(rows, COOCCURRENCE_COLUMNS, squeeze=False).ravel()
    for panel in panels[len(matrices) :]:
        panel.set_visible(False)
    for (title, _), count, panel in zip(matrices, counts, panels, strict=False):
        image = panel.imshow(np.ma.masked_where(~off_diagonal, count), cmap=colours, vmin=0, vmax=top)
        for row in range(len(axes)):
            for column in range(len(axes)):
                value = int(count[row, column])
                dark = off_diagonal[row, column] and value > 0.6 * top
                panel.text(
                    column,
                    row,
                    str(value),
                    ha="center",
                    va="center",
                    fontsize=9,
                    color="white" if dark else "#222",
                    fontweight="normal" if off_diagonal[row, column] else "bold",
                )
        panel.set_xticks(range(len(axes)), axes, rotation=40, ha="right", fontsize=9)
        panel.set_yticks(range(len(axes)), axes, fontsize=9)
        panel.set_title(title, fontsize=11)
    figure.colorbar(image, ax=list(panels[: len(matrices)]), shrink=0.6, label="items with both axes")
    return _png(figure)


def slice_bars(
    family: str, blocks: Sequence[dict], figure_name: str = "macro_f1", figure_label: str = "macro F1"
) -> bytes:
    """One figure across the slices of a family, a bar per model with its 95% interval."""
    names = list(blocks[0]["slices"][family])
    bar_width = 0.8 / len(blocks)
    width = min(MAX_WIDTH, max(6.5, 0.75 * len(names) * max(2, len(blocks)) + 1.5))
    figure = Figure(figsize=(width, 3.6), layout="constrained")
    panel = figure.subplots()
    positions = np.arange(len(names))
    for index, block in enumerate(blocks):
        values, low_errors, high_errors = [], [], []
        for name in names:
            value = block["slices"][family][name][figure_name]
            interval = block["intervals"].get(f"slices.{family}.{name}.{figure_name}")
            values.append(np.nan if value is None else value)
            low_errors.append(value - interval[0] if value is not None and interval else 0)
            high_errors.append(interval[1] - value if value is not None and interval else 0)
        panel.bar(
            positions + (index - (len(blocks) - 1) / 2) * bar_width,
            values,
            width=bar_width,
            color=_colour(index),
            yerr=[np.maximum(low_errors, 0), np.maximum(high_errors, 0)],
            capsize=3,
            error_kw={"elinewidth": 1, "ecolor": "#333"},
            label=block["model"]["key"],
        )
    sizes = [blocks[0]["slices"][family][name]["items"] for name in names]
    panel.set_xticks(positions, [f"{name}\nn={n}" for name, n in zip(names, sizes, strict=True)], fontsize=9)
    for position, name in zip(positions, names, strict=True):
        if all(block["slices"][family][name][figure_name] is None for block in blocks):
            panel.text(position, 0.02, "n/a", ha="center", va="bottom", fontsize=8, color="#777")
    panel.set_ylim(0, 1.05)
    panel.set_ylabel(figure_label)
    panel.grid(axis="y", alpha=0.3)
    panel.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _png(figure)


SLICE_FAMILIES: tuple[str, ...] = ("language_group", "language", "kind", "length")


def report_plots(targets: np.ndarray, models: Sequence[ScoredModel], blocks: Sequence[dict]) -> dict[str, Plot]:
    """Every figure of the report, by id; sections refer to them by these ids."""
    axes = models[0].predictor.axes
    names = ", ".join(model.key for model in models)
    plots = [
        Plot(
            "pr_curves",
            "Precision-recall curves per axis",
            f"Each line is a model ({names}); the dotted line is the share of positives (a random ranking).",
            pr_curves(targets, models, axes),
        ),
        Plot(
            "reliability",
            "Reliability diagram",
            "Points on the diagonal are calibrated: among pairs scored 0.7, 70% carry the axis. "
            "Below: how many (item, axis) pairs fall in each score bin (log scale).",
            reliability_diagram([(block["model"]["key"], block["calibration"]) for block in blocks]),
        ),
        Plot(
            "axes_per_item",
            "Axes per item, true vs predicted",
            "Share of items carrying 0, 1, 2... axes: true labels in grey, each model's predictions in colour.",
            axes_per_item(targets, models),
        ),
        Plot(
            "cooccurrence",
            "Axis co-occurrence, true vs predicted",
            "Items carrying both axes; grey diagonal: items carrying the axis at all.",
            cooccurrence(targets, models, axes),
        ),
    ]
    for model, block in zip(models, blocks, strict=True):
        plots.append(
            Plot(
                f"threshold_curves.{model.key}",
                f"F1 against threshold: {model.key}",
                "Red dot: the tuned per-axis threshold; dashed line: the global threshold.",
                threshold_curves(targets, model, block["thresholds_comparison"], axes),
            )
        )
    for family in SLICE_FAMILIES:
        if family in blocks[0]["slices"]:
            plots.append(
                Plot(
                    f"slices.{family}",
                    f"Macro F1 by {family.replace('_', ' ')}",
                    "Bars: macro F1; whiskers: its 95% bootstrap interval; n/a: no true axis in the slice.",
                    slice_bars(family, blocks),
                )
            )
    return {plot.id: plot for plot in plots}
