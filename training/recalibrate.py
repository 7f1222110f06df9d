"""Refit a model folder's calibration and thresholds to a user's labelled sample, without retraining.

A model tuned on one domain's validation data is often over- or under-confident on another (real proposals
score lower than the corpus it was trained on). The sample's raw logits are computed once; Platt scaling
shared by all axes and the thresholds (global, or per axis shrunk toward it) are then refitted. Grouped
K-fold cross-fitting measures the gain before anything is written: what is fitted on a fold never scores it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sklearn.model_selection import GroupKFold

from eval.bootstrap import draw_resamples, paired_difference, percentile_interval, summary_samples
from model.calibration import apply_calibration, expected_calibration_error, fit_scale_and_bias, sigmoid
from model.folder import write_model_folder
from model.predictor import Predictor
from model.thresholds import ThresholdChoice, choose_thresholds, macro_f1
from training.corpus import file_sha256, load_labelled_file, multi_hot
from training.model_card import render_model_card

MIN_ITEMS = 40
MIN_POSITIVES = 20
MIN_AXES_WITH_POSITIVES = 4
RESAMPLES = 1000


class CalibrationRefusedError(ValueError):
    """The sample cannot support a refit: too small, too one-sided, or no better than the current one."""


@dataclass
class Refit:
    """What a refit learned and how it scored out-of-fold against the model as it stands."""

    calibration: dict
    thresholds: dict
    before: dict
    after: dict
    difference: dict
    folds: int
    seed: int


def check_sample(targets: np.ndarray) -> None:
    """Refuse a sample that cannot say anything reliable about calibration or thresholds."""
    items, positives = len(targets), int(targets.sum())
    axes_seen = int((targets.sum(axis=0) > 0).sum())
    if items < MIN_ITEMS:
        raise CalibrationRefusedError(f"the sample has {items} labelled texts; at least {MIN_ITEMS} are needed")
    if positives < MIN_POSITIVES or axes_seen < MIN_AXES_WITH_POSITIVES:
        raise CalibrationRefusedError(
            f"the sample is too one-sided: {positives} axis labels over {axes_seen} axes; at least "
            f"{MIN_POSITIVES} labels on {MIN_AXES_WITH_POSITIVES} axes are needed"
        )
    if positives == targets.size:
        raise CalibrationRefusedError("every text carries every axis: nothing to calibrate against")


def fit_calibration(logits: np.ndarray, targets: np.ndarray, seed: int) -> tuple[float, float, ThresholdChoice]:
    """Temperature and bias on the logits, then thresholds on the calibrated scores."""
    scale, bias = fit_scale_and_bias(logits, targets)
    scale = max(scale, 1e-3)  # a non-positive scale would invert the ranking: keep the model's order
    choice = choose_thresholds(sigmoid(logits * scale + bias), targets, seed=seed)
    return 1.0 / scale, bias, choice


def _figure(targets: np.ndarray, predicted: np.ndarray, samples: np.ndarray) -> dict:
    return {"macro_f1": macro_f1(predicted, targets, 0.5), "interval": percentile_interval(samples)}


def cross_fitted_refit(predictor: Predictor, logits: np.ndarray, targets: np.ndarray, groups, folds: int, seed: int):
    """Out-of-fold predictions of the current model and of the refit, compared on the same resamples."""
    check_sample(targets)
    folds = min(folds, len(set(groups)))
    refit_predicted = np.zeros_like(targets)
    for fit, held in GroupKFold(folds, shuffle=True, random_state=seed).split(logits, targets, groups):
        temperature, bias, choice = fit_calibration(logits[fit], targets[fit], seed)
        refit_predicted[held] = apply_calibration(logits[held], temperature, bias) >= np.asarray(choice.selected)
    current_predicted = (predictor.calibrated(logits) >= predictor.thresholds).astype(targets.dtype)
    resamples = draw_resamples(len(targets), RESAMPLES, seed, "calibrate")
    before_samples = summary_samples(targets, current_predicted, resamples.counts)["macro_f1"]
    after_samples = summary_samples(targets, refit_predicted, resamples.counts)["macro_f1"]
    before = _figure(targets, current_predicted, before_samples)
    after = _figure(targets, refit_predicted, after_samples)
    difference = paired_difference(after_samples, before_samples, after["macro_f1"] - before["macro_f1"])
    return before, after, difference, folds


def refit(predictor: Predictor, texts: list[str], targets: np.ndarray, groups, folds: int = 5, seed: int = 0) -> Refit:
    logits = predictor.scorer.logits(texts)
    before, after, difference, folds = cross_fitted_refit(predictor, logits, targets, groups, folds, seed)
    temperature, bias, choice = fit_calibration(logits, targets, seed)
    calibration = {
        "method": "Platt scaling shared by all axes, fitted on a labelled sample",
        "temperature": temperature,
        "bias": bias,
        "ece_before": expected_calibration_error(predictor.calibrated(logits), targets),
        "ece_after": expected_calibration_error(apply_calibration(logits, temperature, bias), targets),
    }
    thresholds = choice.to_manifest()
    return Refit(calibration, thresholds, before, after, difference, folds, seed)


@dataclass
class LabelledSample:
    """Labelled texts from one or more files; `groups` keeps texts about one project in one fold."""

    ids: list[str]
    texts: list[str]
    targets: np.ndarray
    groups: list[str]
    record: list[dict]


def read_sample(files: list[Path], text_column: str, labels_column: str, group_column: str) -> LabelledSample:
    """Texts, targets and groups of one or more labelled files; a row without a group is its own group."""
    ids, texts, targets, groups, record = [], [], [], [], []
    for file in files:
        dataset = load_labelled_file(file, text_column=text_column, labels_column=labels_column)
        column = dataset[group_column] if group_column in dataset.column_names else [None] * len(dataset)
        ids += [(str(file), str(item_id)) for item_id in dataset["id"]]
        texts += list(dataset["text"])
        targets.append(multi_hot(dataset))
        groups += [f"{file}:{g}" if g not in (None, "") else f"{file}#{i}" for i, g in enumerate(column)]
        record.append({"file": str(file), "sha256": file_sha256(file), "items": len(dataset)})
    plain = [item_id for _, item_id in ids]
    unique = len(set(plain)) == len(plain)  # else ids are told apart by their file
    named = plain if unique else [f"{file}:{item_id}" for file, item_id in ids]
    return LabelledSample(named, texts, np.concatenate(targets), groups, record)


def calibrate_model(
    model: Path,
    data: list[Path],
    out: Path,
    folds: int = 5,
    seed: int = 0,
    force: bool = False,
    text_column: str = "text",
    labels_column: str = "labels",
    group_column: str = "group",
) -> Refit:
    """Refit `model` on the labelled files `data`; write `out` only if the refit wins out-of-fold (or `force`)."""
    if Path(out).resolve() == Path(model).resolve():
        raise CalibrationRefusedError("the output folder must differ from the model folder")
    predictor = Predictor.load(model)
    sample = read_sample(list(data), text_column, labels_column, group_column)
    result = refit(predictor, sample.texts, sample.targets, sample.groups, folds, seed)
    if result.difference["difference"] <= 0 and not force:
        raise CalibrationRefusedError(
            f"the refit does not beat the current calibration out-of-fold (macro-F1 {result.after['macro_f1']:.3f} "
            f"against {result.before['macro_f1']:.3f}); nothing written (--force writes it anyway)"
        )
    _write(predictor.manifest, sample.record, result, Path(model), Path(out))
    return result


def _write(manifest: dict, record: list[dict], result: Refit, model: Path, out: Path) -> None:
    """A new self-describing folder: the model's files unchanged, calibration and thresholds replaced."""
    now = datetime.now(UTC)
    new_manifest = {
        **{key: value for key, value in manifest.items() if key != "files"},
        "name": out.name,
        "version": now.strftime("%Y%m%d.%H%M%S"),
        "created": now.isoformat(timespec="seconds"),
        "calibration": result.calibration,
        "thresholds": result.thresholds,
        "calibrated_on": {
            "files": record,
            "items": sum(entry["items"] for entry in record),
            "from_model": {"name": manifest["name"], "version": manifest["version"]},
            "cross_fitted": {
                "folds": result.folds,
                "seed": result.seed,
                "before": result.before,
                "after": result.after,
                "difference": result.difference,
            },
        },
    }
    writers = {
        name: (lambda target, name=name: shutil.copyfile(Path(model) / name, target)) for name in manifest["files"]
    }
    write_model_folder(out, new_manifest, writers, render_model_card(new_manifest))
