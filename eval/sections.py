"""What the report says, independent of how it is rendered: sections of paragraphs, tables and plot slots.

Built from the metrics document alone (the content of metrics.json), so the HTML and Markdown reports
cannot disagree with each other or with the machine-readable figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eval.metrics import figure_value

SMALL_SLICE = 30
SLICE_COLUMNS: tuple[tuple[str, str], ...] = (("macro_f1", "macro F1"), ("samples_f1", "samples F1"))

# (dotted name, label, meaning, True when lower is better / None when neither)
HEADLINE_FIGURES: tuple[tuple[str, str, str, bool | None], ...] = (
    (
        "macro_f1",
        "macro F1",
        "F1 of each axis averaged with equal weight: rare axes count as much as common ones",
        False,
    ),
    ("micro_f1", "micro F1", "F1 over all (item, axis) decisions pooled: driven by the frequent axes", False),
    ("weighted_f1", "weighted F1", "per-axis F1 averaged with weights = true items per axis", False),
    ("samples_f1", "samples F1", "F1 of each item's set of axes, averaged over items", False),
    ("subset_accuracy", "subset accuracy", "share of items whose axes are all exactly right", False),
    ("hamming_loss", "Hamming loss", "share of wrong (item, axis) decisions", True),
    ("label_cardinality_true", "axes per item, true", "mean number of axes per item in the labels", None),
    ("label_cardinality_predicted", "axes per item, predicted", "mean number of axes the model gives an item", None),
    (
        "no_label_false_positive_rate",
        "false alarms on unlabelled items",
        "share of items with no true axis that still get one",
        True,
    ),
    ("calibration.ece", "calibration error (ECE)", "mean gap between score and observed frequency, 15 bins", True),
)
PER_AXIS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("precision", "precision"),
    ("recall", "recall"),
    ("f1", "F1"),
    ("roc_auc", "ROC-AUC"),
    ("average_precision", "avg. precision"),
)


@dataclass(frozen=True)
class Cell:
    text: str
    interval: str = ""
    numeric: bool = False
    tone: str = ""  # "better" / "worse": a difference whose interval excludes zero


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Cell]]
    title: str = ""
    note: str = ""


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class PlotSlot:
    plot_id: str


@dataclass
class Group:
    """Content a reader opens on demand (collapsed in HTML)."""

    summary: str
    items: list = field(default_factory=list)


@dataclass
class Section:
    id: str
    title: str
    items: list = field(default_factory=list)


def number(value: float | int | None, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def _signed(value: float, digits: int) -> str:
    """Typographic minus, so negative bounds read clearly next to each other."""
    return f"{value:.{digits}f}".replace("-", "\u2212")


def interval_text(interval: list[float] | None, digits: int = 3) -> str:
    return "" if interval is None else f"{_signed(interval[0], digits)} to {_signed(interval[1], digits)}"


def figure_cell(block: dict, name: str) -> Cell:
    """A figure with its interval underneath."""
    return Cell(number(figure_value(block, name)), interval_text(block["intervals"].get(name)), numeric=True)


def difference_cell(entry: dict, lower_is_better: bool | None) -> Cell:
    """A model-minus-reference difference, toned when its interval excludes zero and a direction is better."""
    difference, interval = entry["difference"], entry["interval"]
    tone = ""
    excludes_zero = interval is not None and (interval[0] > 0 or interval[1] < 0)
    if difference is not None and lower_is_better is not None and excludes_zero:
        tone = "worse" if (difference > 0) == lower_is_better else "better"
    text = "n/a" if difference is None else _signed(difference, 3) if difference < 0 else f"+{difference:.3f}"
    return Cell(text, interval_text(interval), numeric=True, tone=tone)


def _keys(document: dict) -> list[str]:
    return [block["model"]["key"] for block in document["models"]]


def _text(value: object) -> Cell:
    return Cell("" if value is None else str(value))


def _comparison_sentence(entry: dict, resamples: int) -> str:
    test = entry["test"]
    if test["difference"] is None:
        return f"Macro F1 of {entry['model']} and {entry['reference']} cannot be compared on these items."
    direction = "higher" if test["difference"] > 0 else "lower"
    verdict = (
        "a difference unlikely to be chance"
        if test["p_value"] is not None and test["p_value"] < 0.05
        else "a difference these items cannot tell apart from chance"
    )
    return (
        f"Macro F1 of {entry['model']} is {abs(test['difference']):.3f} {direction} than {entry['reference']}'s "
        f"(95% interval of the difference {interval_text(test['interval'])}; paired bootstrap over {resamples} "
        f"resamples, p = {test['p_value']:.3f}): {verdict}."
    )


def summary_section(document: dict) -> Section:
    keys = _keys(document)
    data = document["data"]
    split = f", split {data['split']}" if data["split"] else ""
    lead = document["models"][0]
    items = [
        f"{len(keys)} model(s) evaluated on {data['items']} labelled items from {data['path']}{split}. "
        f"Every figure comes with its 95% bootstrap interval (grey, {document['bootstrap']['resamples']} resamples "
        "of the items).",
        f"{lead['model']['key']}: macro F1 {number(lead['macro_f1'])}, micro F1 {number(lead['micro_f1'])}, "
        f"{number(lead['subset_accuracy'] * 100, 1)}% of items with exactly the right axes.",
    ]
    items += [_comparison_sentence(entry, document["bootstrap"]["resamples"]) for entry in document["comparison"]]
    if data.get("scores"):
        items.append(
            f"Scores were not computed by this report: they were read from {data['scores']}, each item's scores "
            "and thresholds coming from a model fitted without it (out-of-fold)."
        )
    headers = ["figure", *keys, *(f"{c['model']} − {c['reference']}" for c in document["comparison"]), "meaning"]
    rows = []
    for name, label, meaning, lower in HEADLINE_FIGURES:
        row = [Cell(label), *(figure_cell(block, name) for block in document["models"])]
        row += [
            difference_cell(entry["figures"][name], lower) if name in entry["figures"] else Cell("")
            for entry in document["comparison"]
        ]
        rows.append([*row, Cell(meaning)])
    items.append(Table(headers, rows))
    return Section("summary", "Summary", items)


def provenance_section(document: dict) -> Section:
    data = document["data"]
    model_rows = [
        [
            _text(m["key"]),
            _text(m["version"]),
            _text(m["kind"]),
            _text(m["created"]),
            _text(m["code_version"]),
            _text(m["threshold_mode"]),
            _text(m["path"]),
        ]
        for m in (block["model"] for block in document["models"])
    ]
    data_rows = [
        [Cell("file"), _text(data["path"])],
        [Cell("file sha256"), _text(data["sha256"])],
        [Cell("items sha256 (id, text, labels)"), _text(data["items_sha256"])],
        [Cell("split"), _text(data["split"] or "all items (no split column)")],
        [Cell("items"), _text(data["items"])],
        [Cell("items with no axis"), _text(data["unlabelled_items"])],
        [Cell("items per axis"), _text(", ".join(f"{axis} {n}" for axis, n in data["axis_support"].items()))],
        [Cell("report created"), _text(document["created"])],
        [Cell("evaluation code"), _text(document["code_version"])],
    ]
    return Section(
        "provenance",
        "Models and data",
        [
            Table(["model", "version", "kind", "trained", "code", "thresholds", "folder"], model_rows, title="Models"),
            Table([], data_rows, title="Data"),
        ],
    )


def per_axis_section(document: dict) -> Section:
    items: list = []
    for block in document["models"]:
        rows = []
        for axis, figures in block["per_axis"].items():
            row = [
                Cell(axis),
                Cell(str(figures["support"]), numeric=True),
                Cell(str(figures["predicted"]), numeric=True),
            ]
            row += [figure_cell(block, f"per_axis.{axis}.{name}") for name, _ in PER_AXIS_COLUMNS]
            rows.append([*row, Cell(number(figures["threshold"]), numeric=True)])
        headers = ["axis", "true items", "predicted", *(label for _, label in PER_AXIS_COLUMNS), "threshold"]
        items.append(Table(headers, rows, title=block["model"]["key"]))
    for entry in document["comparison"]:
        rows = []
        for axis in document["models"][0]["per_axis"]:
            figures = entry["figures"][f"per_axis.{axis}.f1"]
            rows.append(
                [
                    Cell(axis),
                    Cell(number(figures["model"]), numeric=True),
                    Cell(number(figures["reference"]), numeric=True),
                    difference_cell(figures, lower_is_better=False),
                ]
            )
        items.append(
            Table(
                ["axis", f"F1 {entry['model']}", f"F1 {entry['reference']}", "difference"],
                rows,
                title=f"F1 per axis: {entry['model']} against {entry['reference']}",
            )
        )
    items.append(PlotSlot("pr_curves"))
    return Section("per-axis", "Per axis", items)


def thresholds_section(document: dict) -> Section:
    items: list = [
        "Each model stores a tuned threshold per axis and one global threshold, both chosen on its validation "
        "split; it uses the scheme that won there out of fold. Both are applied below to the same scores."
    ]
    if document["data"].get("scores"):
        items.append(
            "Here the scores were read from a file, with thresholds of their own per item, which the figures above "
            "apply; this section applies the model's stored thresholds instead. Where those were chosen on these "
            "same texts' out-of-fold scores (as the default stack's were, on its real texts), its F1s are optimistic."
        )
    for block in document["models"]:
        comparison = block["thresholds_comparison"]
        key = block["model"]["key"]
        rows = []
        for axis, threshold in comparison["per_axis"]["thresholds"].items():
            rows.append(
                [
                    Cell(axis),
                    Cell(number(threshold), numeric=True),
                    figure_cell(block, f"thresholds_comparison.per_axis.per_axis_f1.{axis}"),
                    Cell(number(comparison["global_threshold"]), numeric=True),
                    figure_cell(block, f"thresholds_comparison.global.per_axis_f1.{axis}"),
                ]
            )
        for name, label in (("macro_f1", "macro F1"), ("micro_f1", "micro F1")):
            rows.append(
                [
                    Cell(label),
                    Cell(""),
                    figure_cell(block, f"thresholds_comparison.per_axis.{name}"),
                    Cell(""),
                    figure_cell(block, f"thresholds_comparison.global.{name}"),
                ]
            )
        in_use = comparison["selected"].replace("_", "-")
        items.append(
            Table(
                ["axis", "per-axis threshold", "F1", "global threshold", "F1"],
                rows,
                title=f"{key} (in use: {in_use})",
            )
        )
        items.append(PlotSlot(f"threshold_curves.{key}"))
    return Section("thresholds", "Per-axis thresholds against one global threshold", items)


def calibration_section(document: dict) -> Section:
    blocks = document["models"]
    reliability = [block["calibration"]["reliability"] for block in blocks]
    headers = ["score bin"]
    for block in blocks:
        key = block["model"]["key"]
        headers += [f"pairs ({key})", f"mean score ({key})", f"observed ({key})"]
    rows = []
    for index, first in enumerate(reliability[0]):
        row = [Cell(f"{first['low']:.2f} – {first['high']:.2f}")]
        for table in reliability:
            entry = table[index]
            row += [
                Cell(str(entry["count"]), numeric=True),
                Cell(number(entry["mean_score"]), numeric=True),
                Cell(number(entry["observed"]), numeric=True),
            ]
        rows.append(row)
    ece = "; ".join(f"{b['model']['key']} {number(b['calibration']['ece'])}" for b in blocks)
    return Section(
        "calibration",
        "Calibration",
        [
            f"Expected calibration error over every (item, axis) pair, 15 equal-width bins: {ece}.",
            PlotSlot("reliability"),
            Group("Reliability table", [Table(headers, rows)]),
        ],
    )


def cooccurrence_section() -> Section:
    return Section(
        "cooccurrence",
        "Which axes go together",
        [
            "A model that tags too many or too few axes per item, or invents or misses typical combinations, "
            "shows it here: compare each prediction with the truth.",
            PlotSlot("axes_per_item"),
            PlotSlot("cooccurrence"),
        ],
    )


FAMILY_TITLES = {
    "language_group": "Language groups",
    "language": "Languages",
    "kind": "Kinds of item",
    "length": "Text length",
}


def slices_section(document: dict) -> Section:
    blocks = document["models"]
    items: list = [
        f"Figures on subsets of the items, each with its own bootstrap interval. Slices under {SMALL_SLICE} items "
        "are marked * and are indicative only. Samples F1 also credits items rightly left without an axis; on a "
        "slice with no true axis (off-topic items) only it can be computed."
    ]
    for family, title in FAMILY_TITLES.items():
        if family not in blocks[0]["slices"]:
            continue
        headers = ["slice", "items", "labels"]
        headers += [f"{label} ({b['model']['key']})" for b in blocks for _, label in SLICE_COLUMNS]
        rows = []
        for name, figures in blocks[0]["slices"][family].items():
            marker = " *" if figures["items"] < SMALL_SLICE else ""
            row = [
                Cell(name + marker),
                Cell(str(figures["items"]), numeric=True),
                Cell(str(figures["labels"]), numeric=True),
            ]
            for block in blocks:
                row += [figure_cell(block, f"slices.{family}.{name}.{figure}") for figure, _ in SLICE_COLUMNS]
            rows.append(row)
        items += [Table(headers, rows, title=title), PlotSlot(f"slices.{family}")]
    return Section("slices", "Slices", items)


def _evidence_text(mistake: dict) -> str:
    return "\n".join(f"{e['score']:.2f}: {e['sentence']}" for e in mistake["evidence"]) or "(no sentence)"


def _mistake_rows(mistakes: list[dict]) -> list[list[Cell]]:
    return [
        [
            Cell(m["id"]),
            Cell(f"{m['score']:.3f}", f"threshold {m['threshold']:.2f}", numeric=True),
            Cell(", ".join(m["true_labels"]) or "(none)"),
            Cell(", ".join(m["predicted_labels"]) or "(none)"),
            Cell(m["opening"]),
            Cell(_evidence_text(m)),
        ]
        for m in mistakes
    ]


def _shown(count: int, listed: int, what: str) -> str:
    """'3 false positives (2 shown)', '1 false negative'."""
    return f"{count} {what}{'' if count == 1 else 's'}" + (f" ({listed} shown)" if listed < count else "")


def errors_section(document: dict) -> Section:
    headers = ["id", "score", "true axes", "predicted axes", "text opening", "evidence sentences (score)"]
    items: list = [
        "For each axis, the false positives with the highest scores and the false negatives with the lowest: "
        "the model's most confident mistakes. Evidence: the sentences scoring highest for the axis on their own."
    ]
    for block in document["models"]:
        items.append(Heading(block["model"]["key"]))
        for axis, found in block["errors"].items():
            positives, negatives = found["false_positives"], found["false_negatives"]
            summary = (
                f"{axis}: {_shown(found['false_positive_count'], len(positives), 'false positive')}, "
                f"{_shown(found['false_negative_count'], len(negatives), 'false negative')}"
            )
            group = Group(summary)
            if positives:
                group.items.append(Table(headers, _mistake_rows(positives), title="False positives"))
            if negatives:
                group.items.append(Table(headers, _mistake_rows(negatives), title="False negatives"))
            if not positives and not negatives:
                group.items.append("No mistakes on this axis.")
            items.append(group)
    return Section("errors", "Most confident mistakes", items)


def method_section(document: dict) -> Section:
    bootstrap = document["bootstrap"]
    return Section(
        "method",
        "How the figures are computed",
        [
            "Scores come from the models' predictor, the same code the service uses; an axis is given when its "
            "score reaches the model's threshold. Point estimates use scikit-learn.",
            f"Intervals: percentile bootstrap, {bootstrap['resamples']} resamples of the items with replacement "
            f"(seed {bootstrap['seed']}), {int(bootstrap['confidence'] * 100)}% central range. Models are resampled "
            "on the same draws, so differences get paired intervals; the p-value on macro F1 is the share of "
            "resampled differences, centred on the observed one, at least as far from zero as the observed one.",
            "n/a marks a figure that does not exist on these items: recall and average precision of an axis with no "
            "true item, precision of an axis never predicted, ROC-AUC without both classes. Macro F1 averages the "
            "axes where F1 exists. Samples F1 counts an item with no true and no predicted axis as right (1.0).",
        ],
    )


def report_sections(document: dict) -> list[Section]:
    return [
        summary_section(document),
        provenance_section(document),
        per_axis_section(document),
        thresholds_section(document),
        calibration_section(document),
        cooccurrence_section(),
        slices_section(document),
        errors_section(document),
        method_section(document),
    ]
