"""One model's block of the report: every figure, its bootstrap interval, and the resamples behind them.

Figures are named by their path in the block (`macro_f1`, `per_axis.cloud.f1`, `calibration.ece`,
`thresholds_comparison.global.macro_f1`, `slices.language.fr.micro_f1`...); `intervals` maps each name to
its 95% interval. The resampled values are kept in memory (not written) for the paired model comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eval.bootstrap import (
    Resamples,
    ece_samples,
    paired_difference,
    per_axis_samples,
    percentile_interval,
    summary_samples,
)
from eval.dataset import EvaluationData
from eval.metrics import (
    CALIBRATION_BINS,
    calibration_metrics,
    decide,
    figure_value,
    per_axis_metrics,
    summary_metrics,
    thresholds_comparison,
)
from eval.scoring import ScoredModel
from eval.slices import slice_report

COMPARED_FIGURES: tuple[str, ...] = (
    "macro_f1",
    "micro_f1",
    "weighted_f1",
    "samples_f1",
    "subset_accuracy",
    "hamming_loss",
    "label_cardinality_predicted",
    "no_label_false_positive_rate",
    "calibration.ece",
)
TESTED_FIGURE = "macro_f1"


@dataclass
class Assessment:
    block: dict
    samples: dict[str, np.ndarray]


def _threshold_scheme_samples(
    data: EvaluationData, model: ScoredModel, comparison: dict, resamples: Resamples
) -> dict[str, np.ndarray]:
    axes = model.predictor.axes
    samples = {}
    for scheme in ("per_axis", "global"):
        thresholds = [comparison[scheme]["thresholds"][axis] for axis in axes]
        predicted = decide(model.scores, thresholds)
        summary = summary_samples(data.targets, predicted, resamples.counts)
        per_axis = per_axis_samples(data.targets, model.scores, predicted, resamples.counts)
        samples[f"thresholds_comparison.{scheme}.macro_f1"] = summary["macro_f1"]
        samples[f"thresholds_comparison.{scheme}.micro_f1"] = summary["micro_f1"]
        for column, axis in enumerate(axes):
            samples[f"thresholds_comparison.{scheme}.per_axis_f1.{axis}"] = per_axis["f1"][:, column]
    return samples


def assess(
    data: EvaluationData,
    model: ScoredModel,
    masks: dict,
    resamples: Resamples,
    seed: int,
) -> Assessment:
    """Point estimates (scikit-learn), intervals (bootstrap over the shared resamples) and slices."""
    axes = model.predictor.axes
    manifest_thresholds = model.predictor.manifest["thresholds"]
    targets, scores, predicted = data.targets, model.scores, model.predicted
    comparison = thresholds_comparison(
        targets,
        scores,
        manifest_thresholds["per_axis"],
        manifest_thresholds["global_threshold"],
        manifest_thresholds["mode"],
        axes,
    )
    slices, slice_intervals = slice_report(targets, predicted, masks, len(resamples), seed)
    block = {
        "model": model.describe(),
        **summary_metrics(targets, predicted),
        "per_axis": per_axis_metrics(targets, scores, predicted, model.predictor.thresholds, axes),
        "calibration": calibration_metrics(targets, scores),
        "thresholds_comparison": comparison,
        "slices": slices,
    }
    samples = dict(summary_samples(targets, predicted, resamples.counts))
    for figure, values in per_axis_samples(targets, scores, predicted, resamples.counts).items():
        for column, axis in enumerate(axes):
            samples[f"per_axis.{axis}.{figure}"] = values[:, column]
    samples["calibration.ece"] = ece_samples(targets, scores, resamples, CALIBRATION_BINS)
    samples.update(_threshold_scheme_samples(data, model, comparison, resamples))
    block["intervals"] = {name: percentile_interval(values) for name, values in samples.items()} | slice_intervals
    return Assessment(block, samples)


def compare(model: Assessment, reference: Assessment) -> dict:
    """Model minus reference on the headline and per-axis figures, with paired intervals and the macro-F1 test."""
    names = [*COMPARED_FIGURES, *(f"per_axis.{axis}.f1" for axis in model.block["per_axis"])]
    figures = {}
    for name in names:
        value, reference_value = figure_value(model.block, name), figure_value(reference.block, name)
        observed = None if value is None or reference_value is None else value - reference_value
        figures[name] = {
            "model": value,
            "reference": reference_value,
            **paired_difference(model.samples[name], reference.samples[name], observed),
        }
    return {
        "model": model.block["model"]["key"],
        "reference": reference.block["model"]["key"],
        "figures": figures,
        "test": {
            "figure": TESTED_FIGURE,
            "method": "paired bootstrap",
            "resamples": len(model.samples[TESTED_FIGURE]),
            **figures[TESTED_FIGURE],
        },
    }
