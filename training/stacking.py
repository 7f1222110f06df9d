"""Training a stack (`kind = "stack"`): the fine-tuned encoder, then the TF-IDF model and the probe, then the combiner.

The encoder is fine-tuned on the corpus only (or reused from a folder trained on the same corpus). The two
cheap members also learn from labelled real texts, when given, weighted `real_weight` times a corpus item, and
so does the encoder when `real_encoder_epochs` is set: it continues on them (`training.real_tuning`).
Cross-fitting keeps the combiner and the thresholds honest: the real texts are split into folds by group,
and each fold's member logits come from members (the continued encoder included) fitted without it. The
combiner and thresholds are then fitted on those out-of-fold logits; the same procedure, repeated with one
fold held out at a time, gives the out-of-fold real-text figures recorded in the manifest. (Fitting them on
the corpus validation split as well pulled the thresholds back to the corpus' scale and cost about 0.1 real macro-F1.)
Without real texts, the members learn from the corpus and the combiner from the validation split alone.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.torch import load_file, save_file
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold

from eval.bootstrap import draw_resamples, percentile_interval, summary_samples
from eval.metrics import axis_average_precision
from model.axes import AXES
from model.baseline import TfidfScorer, build_tfidf_pipeline
from model.calibration import expected_calibration_error, sigmoid
from model.folder import read_manifest, write_model_folder
from model.probe import PROBE_FILE, LinearProbe, fit_probe
from model.review import REVIEW_SHARE, expected_mistakes, review_cut, review_yield
from model.stack import MEMBERS, Combiner, check_probe_layer, fit_combiner
from model.thresholds import ThresholdChoice, choose_thresholds
from model.transformer_scorer import WEIGHTS_FILE, build_transformer_scorer
from training.config import TrainConfig
from training.model_card import render_model_card
from training.real_tuning import CORPUS_WEIGHTS_FILE, RealTextTuner, tune_on_real
from training.recalibrate import LabelledSample
from training.train import FineTunedMember, base_manifest, fine_tuned_member
from training.training_data import TrainingData
from training.tuning import decision_figures

ENCODER_KEYS = ("backbone", "lora", "windows", "window_comparison_validation_macro_f1", "history", "best_epoch")
RESAMPLES = 1000
UNUSUAL_QUANTILE = 0.99  # texts less usual than 99% of those the members learned from go to review


@dataclass
class Readings:
    """What the encoder pass gives for a set of texts: the fine-tuned logits and the probe's states."""

    logits: np.ndarray
    states: np.ndarray


@dataclass
class CheapMembers:
    tfidf: TfidfScorer
    probe: LinearProbe

    def logits(self, texts: list[str], readings: Readings) -> dict[str, np.ndarray]:
        return {
            "transformer": readings.logits,
            "tfidf": self.tfidf.logits(texts),
            "probe": self.probe.logits(readings.states),
        }


def reused_member(folder: Path, data: TrainingData) -> FineTunedMember:
    """A fine-tuned encoder taken from a model folder trained on the same corpus file (no fine-tuning run)."""
    manifest = read_manifest(folder)
    if manifest.get("kind") not in ("transformer", "ensemble", "stack"):
        raise ValueError(f"{folder} is a {manifest.get('kind')} model: it holds no fine-tuned encoder")
    if manifest["training"]["data_sha256"] != data.sha256:
        raise ValueError(f"{folder} was trained on another corpus file than {data.source}: fine-tune instead")
    kept = {key: manifest[key] for key in ENCODER_KEYS if key in manifest}
    kept["encoder_from"] = {"name": manifest["name"], "version": manifest["version"]}
    kept["training_seconds"] = 0.0
    # An encoder that continued on real texts has seen every fold: take the one it started from.
    weights = load_file(str(Path(folder) / (CORPUS_WEIGHTS_FILE if "real_tuning" in manifest else WEIGHTS_FILE)))
    return FineTunedMember(kept, weights, validation_logits=np.zeros((0, len(AXES)), dtype=np.float32))


def fit_cheap_members(
    texts: list[str], readings: Readings, targets: np.ndarray, weights: np.ndarray, config: TrainConfig
) -> CheapMembers:
    """TF-IDF (weights as whole repeats: its vocabulary counts them too) and the probe on the same items."""
    repeats = np.maximum(np.rint(weights), 1).astype(int)
    repeated_texts = [text for text, times in zip(texts, repeats, strict=True) for _ in range(times)]
    pipeline = build_tfidf_pipeline(c=config.tfidf_c, seed=config.seed)
    pipeline.fit(repeated_texts, np.repeat(targets, repeats, axis=0))
    probe = fit_probe(readings.states, targets, weights, config.probe_layer, config.probe_c, config.seed)
    return CheapMembers(TfidfScorer.from_pipeline(pipeline), probe)


def _select(readings: Readings, mask: np.ndarray) -> Readings:
    return Readings(readings.logits[mask], readings.states[mask])


def _join(first: Readings, second: Readings) -> Readings:
    return Readings(np.vstack([first.logits, second.logits]), np.vstack([first.states, second.states]))


def _stacked(logits: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {name: np.vstack([block[name] for block in logits]) for name in MEMBERS}


def fit_head(member_logits: dict[str, np.ndarray], targets: np.ndarray, seed: int) -> tuple[Combiner, ThresholdChoice]:
    """The combiner, then thresholds on its scores, both on the same held-out items."""
    combiner = fit_combiner(member_logits, targets, np.ones(len(targets)))
    return combiner, choose_thresholds(sigmoid(combiner.combine(member_logits)), targets, seed=seed)


@dataclass
class CrossFit:
    """Per real fold: the held-out mask, and that fold's member logits from members fitted without it.

    `scored_logits` are the same members' logits from the readings the held fold is scored with: the fp32
    readings of `real_logits` unless `cross_fit` was given others (an int8 encoder's, say).
    """

    held: list[np.ndarray]
    real_logits: list[dict[str, np.ndarray]]
    scored_logits: list[dict[str, np.ndarray]]

    def use_member_logits(self, member: str, per_fold: list[np.ndarray]) -> None:
        """One member's held-fold logits replaced, fold by fold (as fitted and as scored)."""
        for fitted, scored, logits in zip(self.real_logits, self.scored_logits, per_fold, strict=True):
            fitted[member] = scored[member] = logits


@dataclass
class Corpus:
    """The corpus training split as the cheap members see it."""

    texts: list[str]
    readings: Readings
    targets: np.ndarray


def fit_with_real(
    corpus: Corpus, real: LabelledSample, real_readings: Readings, chosen: np.ndarray, config: TrainConfig
) -> CheapMembers:
    """The cheap members on the corpus and the `chosen` real texts, each of those weighted `real_weight`."""
    return fit_cheap_members(
        corpus.texts + [real.texts[i] for i in np.flatnonzero(chosen)],
        _join(corpus.readings, _select(real_readings, chosen)),
        np.vstack([corpus.targets, real.targets[chosen]]),
        np.concatenate([np.ones(len(corpus.texts)), np.full(int(chosen.sum()), config.real_weight)]),
        config,
    )


def cross_fit(
    corpus: Corpus,
    real: LabelledSample,
    real_readings: Readings,
    config: TrainConfig,
    held_readings: Readings | None = None,
) -> CrossFit:
    """Members fitted on `real_readings` of the other folds; each held fold also scored from `held_readings`."""
    folds = min(config.crossfit_folds, len(set(real.groups)))
    splitter = GroupKFold(folds, shuffle=True, random_state=config.crossfit_seed)
    result = CrossFit([], [], [])
    for _, held in splitter.split(real.texts, real.targets, real.groups):
        held_mask = np.zeros(len(real.texts), dtype=bool)
        held_mask[held] = True
        members = fit_with_real(corpus, real, real_readings, ~held_mask, config)
        held_texts = [real.texts[i] for i in held]
        result.held.append(held_mask)
        result.real_logits.append(members.logits(held_texts, _select(real_readings, held_mask)))
        scored = result.real_logits[-1]
        if held_readings is not None:
            scored = members.logits(held_texts, _select(held_readings, held_mask))
        result.scored_logits.append(scored)
    return result


@dataclass
class OutOfFold:
    """Each real text's scores and thresholds from members, combiner and thresholds that never saw its fold."""

    scores: np.ndarray
    thresholds: np.ndarray

    def write(self, path: Path, ids: list[str]) -> None:
        """One JSON line per text (`id`, `scores`, `thresholds`), for `axistag evaluate --scores`."""
        rows = zip(ids, self.scores.tolist(), self.thresholds.tolist(), strict=True)
        lines = [json.dumps({"id": i, "scores": s, "thresholds": t}) for i, s, t in rows]
        Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def out_of_fold(crossfit: CrossFit, real: LabelledSample, seed: int) -> OutOfFold:
    scores = np.zeros(real.targets.shape)
    thresholds = np.zeros(real.targets.shape)
    for k, held in enumerate(crossfit.held):
        others = [j for j in range(len(crossfit.held)) if j != k]
        logits = _stacked([crossfit.real_logits[j] for j in others])
        targets = np.vstack([real.targets[crossfit.held[j]] for j in others])
        combiner, choice = fit_head(logits, targets, seed)
        scores[held] = sigmoid(combiner.combine(crossfit.scored_logits[k]))
        thresholds[held] = choice.selected
    return OutOfFold(scores, thresholds)


def out_of_fold_figures(crossfit: CrossFit, predictions: OutOfFold, real: LabelledSample, seed: int) -> dict:
    """Real-text figures where neither the members nor the combiner and thresholds saw the scored fold."""
    scores = predictions.scores
    predicted = (scores >= predictions.thresholds).astype(int)
    flagged = np.zeros(len(real.targets), dtype=bool)
    for held in crossfit.held:
        cut = review_cut(scores[~held], predicted[~held])
        flagged[held] = expected_mistakes(scores[held], predicted[held]) >= cut
    draws = draw_resamples(len(real.targets), RESAMPLES, seed, "real")
    per_axis = f1_score(real.targets, predicted, average=None, zero_division=0)
    recall = [
        float(predicted[real.targets[:, a] == 1, a].mean()) if real.targets[:, a].any() else None
        for a in range(len(AXES))
    ]
    return {
        "folds": len(crossfit.held),
        "macro_f1": float(f1_score(real.targets, predicted, average="macro", zero_division=0)),
        "interval": percentile_interval(summary_samples(real.targets, predicted, draws.counts)["macro_f1"]),
        "mean_average_precision": float(
            np.mean([axis_average_precision(real.targets[:, a], scores[:, a]) for a in range(len(AXES))])
        ),
        "axes_per_text": {"predicted": float(predicted.sum(1).mean()), "true": float(real.targets.sum(1).mean())},
        "ece": expected_calibration_error(scores, real.targets),
        "per_axis_f1": {axis: float(v) for axis, v in zip(AXES, per_axis, strict=True)},
        "per_axis_recall": dict(zip(AXES, recall, strict=True)),
        "needs_review": review_yield(flagged, predicted, real.targets),
    }


def continued_on_real(
    member: FineTunedMember, corpus: Corpus, real: LabelledSample, crossfit: CrossFit, config: TrainConfig
) -> FineTunedMember:
    """The encoder continued on every real text; `crossfit` takes its per-fold logits (each fold's from an
    encoder continued without it) in place of the corpus-trained encoder's."""
    tuner = RealTextTuner(
        member.manifest, member.weights, real.texts, real.targets, corpus.texts, corpus.targets, config
    )
    tuning = tune_on_real(tuner, crossfit.held)
    crossfit.use_member_logits("transformer", tuning.fold_logits)
    manifest = {**member.manifest, "real_tuning": tuning.record(config)}
    return FineTunedMember(manifest, tuning.weights, member.validation_logits)


def train_stack(
    data: TrainingData,
    config: TrainConfig,
    out: Path,
    name: str,
    checkpoint_dir: Path,
    real: LabelledSample | None = None,
    encoder_from: Path | None = None,
    real_predictions: Path | None = None,
) -> dict:
    """`real_predictions`: where to write the real texts' out-of-fold predictions (JSONL), if anywhere."""
    started = time.time()
    member = reused_member(encoder_from, data) if encoder_from else fine_tuned_member(data, config, checkpoint_dir)
    check_probe_layer(member.manifest, config.probe_layer, "the encoder")
    corpus_member = member
    scorer = build_transformer_scorer({"axes": list(AXES), **member.manifest}, member.weights, source="the encoder")

    def read(texts: list[str]) -> Readings:
        return Readings(*scorer.logits_and_states(texts, config.probe_layer))

    corpus = Corpus(data.train.texts, read(data.train.texts), data.train.targets)
    if real:
        real_readings = read(real.texts)
        members = fit_with_real(corpus, real, real_readings, np.ones(len(real.texts), dtype=bool), config)
        learned_from = _join(corpus.readings, real_readings)
        crossfit = cross_fit(corpus, real, real_readings, config)
        if config.real_encoder_epochs:
            member = continued_on_real(member, corpus, real, crossfit, config)
            scorer = build_transformer_scorer(
                {"axes": list(AXES), **member.manifest}, member.weights, source="the encoder"
            )
    else:
        members = fit_cheap_members(corpus.texts, corpus.readings, corpus.targets, np.ones(len(corpus.texts)), config)
        learned_from = corpus.readings
    validation = (data.validation.texts, read(data.validation.texts))  # read once, by the encoder that ships
    if real:
        head_logits = _stacked(crossfit.real_logits)
        head_targets = np.vstack([real.targets[held] for held in crossfit.held])
    else:
        head_logits = members.logits(*validation)
        head_targets = data.validation.targets
    combiner, choice = fit_head(head_logits, head_targets, config.seed)
    head_scores = sigmoid(combiner.combine(head_logits))
    validation_predicted = sigmoid(combiner.combine(members.logits(*validation))) >= np.asarray(choice.selected)
    manifest = {
        **base_manifest(name, "stack", data, config),
        **member.manifest,
        "stack": _stack_block(config, combiner, data, real),
        "calibration": {
            "method": "stacked: one weight per member and a bias, shared by the axes (logistic regression)",
            "temperature": 1.0,
            "bias": 0.0,
            "ece_after": expected_calibration_error(head_scores, head_targets),
        },
        "thresholds": choice.to_manifest(),
        # without real texts the combiner and thresholds were fitted on validation: not a test then
        "validation": decision_figures(data.validation.targets, validation_predicted.astype(int)),
        "review": {
            "expected_mistakes_cut": review_cut(head_scores, head_scores >= np.asarray(choice.selected)),
            "share": REVIEW_SHARE,
            "chosen_on": "real texts, out-of-fold" if real else "the validation split",
            "unusual_above": float(np.quantile(members.probe.unusualness(learned_from.states), UNUSUAL_QUANTILE)),
            "unusual_quantile": UNUSUAL_QUANTILE,
        },
    }
    if real:
        predictions = out_of_fold(crossfit, real, config.seed)
        if real_predictions:
            predictions.write(real_predictions, real.ids)
        manifest["real_sample"] = {
            "files": real.record,
            "items": len(real.texts),
            "cross_fitted": {
                "seed": config.crossfit_seed,
                **out_of_fold_figures(crossfit, predictions, real, config.seed),
            },
        }
    manifest["training_seconds"] = round(member.manifest["training_seconds"] + time.time() - started, 1)
    writers = {
        WEIGHTS_FILE: lambda p: save_file(dict(member.weights), str(p)),
        **members.tfidf.writers(),
        PROBE_FILE: members.probe.save,
    }
    if "real_tuning" in member.manifest:  # what `--encoder-from` starts from: the encoder before the real texts
        writers[CORPUS_WEIGHTS_FILE] = lambda p: save_file(dict(corpus_member.weights), str(p))
    write_model_folder(out, manifest, writers, render_model_card(manifest))
    return manifest


def _stack_block(config: TrainConfig, combiner: Combiner, data: TrainingData, real: LabelledSample | None) -> dict:
    real_items = len(real.texts) if real else 0
    return {
        "members": list(MEMBERS),
        "probe_layer": config.probe_layer,
        "combiner": combiner.to_dict(),
        "cheap_members_trained_on": {
            "corpus_train_items": len(data.train.texts),
            "real_items": real_items,
            "real_weight": config.real_weight if real else None,
        },
        "combiner_fitted_on": (
            {"real_items_out_of_fold": real_items} if real else {"validation_items": len(data.validation.texts)}
        ),
    }
