"""`axistag evaluate` end to end: load the items, score them with each model, measure, write the report.

Files written to the output folder:

- `report.html`: the reviewers' report, one self-contained page (tables and embedded plots);
- `report.md`: the same tables in Markdown;
- `metrics.json`: every figure, machine-readable (layout below);
- `predictions.jsonl` (not with `--no-quote-texts`): one line per item: `id`, `lang`, `labels` (true axes) and
  `predictions`, which maps each model's key to its `scores`, `labels`, `needs_review`, `review_reasons` and
  detected `language`.

metrics.json has one layout whether one model or several were evaluated. Its top level holds the run's
context and, for convenience, the figures of the first model, copied from `models[0]`:

- `created`, `code_version`, `bootstrap` {`resamples`, `seed`, `confidence`};
- `data` {`path`, `sha256` (file bytes), `items_sha256` (id, text, labels of the evaluated items), `split`,
  `items`, `unlabelled_items`, `axis_support` {axis: true items}, `language_source`, `scores` (the file the
  scores were read from, `--scores`, or null when the models scored the items)};
- `model` {`key`, `name`, `version`, `kind`, `path`, `created`, `code_version`, `backbone`,
  `training_data_sha256`, `threshold_mode`};
- `macro_f1`, `micro_f1`, `weighted_f1`, `samples_f1`, `subset_accuracy`, `hamming_loss`,
  `label_cardinality_true`, `label_cardinality_predicted`, `no_label_false_positive_rate`;
- `per_axis` {axis: {`precision`, `recall`, `f1`, `support`, `predicted`, `roc_auc`, `average_precision`,
  `threshold`}};
- `calibration` {`bins`, `ece`, `reliability` [{`low`, `high`, `count`, `mean_score`, `observed`}]};
- `thresholds_comparison` {`selected` ("per_axis" or "global", the scheme in use), `global_threshold`,
  `per_axis` and `global`: {`thresholds` {axis: t}, `macro_f1`, `micro_f1`, `per_axis_f1` {axis: f1}}};
- `slices` {family: {slice: {`items`, `labels`, `macro_f1`, `micro_f1`, `samples_f1`, `subset_accuracy`,
  `hamming_loss`}}} for the families `language`, `language_group` (fr, en, de, it+es, others), `length`
  and, when the data has a kind column, `kind`;
- `intervals` {figure: [low, high] or null}: the 95% bootstrap interval of every figure above, named by
  its dotted path (`macro_f1`, `per_axis.cloud.recall`, `calibration.ece`,
  `thresholds_comparison.global.per_axis_f1.data`, `slices.language_group.fr.macro_f1`);
- `errors` {axis: {`false_positive_count`, `false_negative_count` (all of them), `false_positives`,
  `false_negatives` (the most confident first, up to --errors of each): [{`id`, `axis`, `score`, `threshold`,
  `opening`, `true_labels`, `predicted_labels`, `evidence` [{`sentence`, `score`}]}]}};
- `models`: one block per model, in the order given, each with the keys from `model` to `errors` above;
- `comparison`: for each model after the first, the first model against it: {`model`, `reference`,
  `figures` {figure: {`model`, `reference`, `difference`, `interval`, `p_value`}}, `test` (the paired
  bootstrap test on macro F1: `figure`, `method`, `resamples`, `difference`, `interval`, `p_value`)};
  empty with a single model.

A figure that does not exist on the items (e.g. recall of an axis with no true item) is null.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from eval.assessment import Assessment, assess, compare
from eval.bootstrap import CONFIDENCE, draw_resamples
from eval.dataset import EvaluationData, load_evaluation_data
from eval.mistakes import ERRORS_PER_AXIS, attach_evidence, find_mistakes, mistakes_to_dict
from eval.plots import report_plots
from eval.report_html import render_html
from eval.report_md import render_markdown
from eval.scoring import ScoredModel, score_model, scored_from_file, unique_keys
from eval.slices import item_languages, slice_masks
from model.predictor import Predictor
from training.train import code_version

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0


@dataclass
class Evaluation:
    """The metrics document with what the report needs besides it: the scored models, each item's language."""

    document: dict
    models: list[ScoredModel]
    languages: list[str]


def _data_block(data: EvaluationData, axes: Sequence[str], language_source: str) -> dict:
    support = data.targets.sum(axis=0)
    return {
        **data.describe(),
        "unlabelled_items": int((data.targets.sum(axis=1) == 0).sum()),
        "axis_support": {axis: int(n) for axis, n in zip(axes, support, strict=True)},
        "language_source": language_source,
    }


def _language_source(given: Sequence[str]) -> str:
    if all(given):
        return "data"
    return "detected" if not any(given) else "data, detected where missing"


NOT_QUOTED = "(text not reproduced in this report: see the item in the evaluated file)"


def _errors(data: EvaluationData, model: ScoredModel, limit: int, quote_texts: bool) -> dict:
    """Most confident mistakes; without `quote_texts`, ids and scores only (for data that must not be copied)."""
    mistakes = find_mistakes(
        data.ids,
        data.texts if quote_texts else [NOT_QUOTED] * len(data),
        data.targets,
        model.scores,
        model.predicted,
        list(model.predictor.thresholds),
        model.predictor.axes,
        limit,
    )
    if quote_texts:
        attach_evidence(mistakes, model.predictor, dict(zip(data.ids, data.texts, strict=True)))
    return mistakes_to_dict(mistakes)


def _prediction_lines(data: EvaluationData, models: Sequence[ScoredModel], languages: Sequence[str]) -> str:
    lines = []
    for index, item_id in enumerate(data.ids):
        record = {
            "id": item_id,
            "lang": languages[index],
            "labels": [axis for axis, v in zip(models[0].predictor.axes, data.targets[index], strict=True) if v],
            "predictions": {},
        }
        for model in models:
            prediction = asdict(model.predictions[index])
            record["predictions"][model.key] = {
                key: prediction[key] for key in ("scores", "labels", "needs_review", "review_reasons", "language")
            }
        lines.append(json.dumps(record, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def evaluate_models(
    model_paths: Sequence[Path],
    data: EvaluationData,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    errors_per_axis: int = ERRORS_PER_AXIS,
    progress: bool = True,
    quote_texts: bool = True,
    scores: Path | None = None,
) -> Evaluation:
    """Score and measure every model on the same items and resamples (or report the given `scores`)."""
    if not model_paths:
        raise ValueError("no model to evaluate")
    if scores is not None and len(model_paths) != 1:
        raise ValueError("given scores belong to one model: evaluate one model with them")
    predictors = [Predictor.load(path) for path in model_paths]
    keys = unique_keys([predictor.name for predictor in predictors])
    models = [
        scored_from_file(predictor, data.ids, data.texts, key, path, scores)
        if scores is not None
        else score_model(predictor, data.texts, key, path, progress=progress)
        for predictor, key, path in zip(predictors, keys, model_paths, strict=True)
    ]
    languages = item_languages(data.languages, [p.language for p in models[0].predictions])
    masks = slice_masks(data.texts, languages, data.kinds)
    draws = draw_resamples(len(data), resamples, seed, stream="items")
    assessments: list[Assessment] = []
    for model in models:
        assessment = assess(data, model, masks, draws, seed)
        assessment.block["errors"] = _errors(data, model, errors_per_axis, quote_texts)
        assessments.append(assessment)
    blocks = [assessment.block for assessment in assessments]
    document = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "code_version": code_version(),
        "bootstrap": {"resamples": resamples, "seed": seed, "confidence": CONFIDENCE},
        "data": {
            **_data_block(data, models[0].predictor.axes, _language_source(data.languages)),
            "scores": str(scores) if scores is not None else None,
        },
        **blocks[0],
        "models": blocks,
        "comparison": [compare(assessments[0], other) for other in assessments[1:]],
    }
    return Evaluation(document, models, languages)


def write_report(out: Path, evaluation: Evaluation, data: EvaluationData, per_item: bool = True) -> None:
    """Write the files of a report into `out` (created if needed); `per_item=False` leaves out predictions.jsonl
    (each item's true labels: part of a data set that must not be copied)."""
    document = evaluation.document
    out.mkdir(parents=True, exist_ok=True)
    plots = report_plots(data.targets, evaluation.models, document["models"])
    (out / "metrics.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if per_item:
        lines = _prediction_lines(data, evaluation.models, evaluation.languages)
        (out / "predictions.jsonl").write_text(lines, encoding="utf-8")
    (out / "report.md").write_text(render_markdown(document, plots), encoding="utf-8")
    (out / "report.html").write_text(render_html(document, plots), encoding="utf-8")


def run_evaluation(
    model_paths: Sequence[Path],
    data_path: Path,
    out: Path,
    split: str | None = None,
    text_column: str = "text",
    labels_column: str = "labels",
    id_column: str = "id",
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    errors_per_axis: int = ERRORS_PER_AXIS,
    progress: bool = True,
    quote_texts: bool = True,
    scores: Path | None = None,
) -> dict:
    """Load, evaluate and write; returns the metrics document."""
    data = load_evaluation_data(data_path, split, text_column, labels_column, id_column)
    evaluation = evaluate_models(model_paths, data, resamples, seed, errors_per_axis, progress, quote_texts, scores)
    write_report(Path(out), evaluation, data, per_item=quote_texts)
    return evaluation.document
