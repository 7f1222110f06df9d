"""From a labelled file to a finished model folder: fit, tune on validation, write the folder."""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from safetensors.torch import save_file

from axistag import __version__
from model.axes import AXES, AXIS_DESCRIPTIONS
from model.backbone import backbone_identity
from model.baseline import TfidfScorer, build_tfidf_pipeline
from model.calibration import fit_temperature
from model.classifier import trainable_state
from model.ensemble import Blend, blend_logits
from model.folder import write_model_folder
from model.transformer_scorer import WEIGHTS_FILE
from model.windowing import aggregate, first_window_positions
from training.config import TrainConfig
from training.model_card import render_model_card
from training.training_data import TrainingData, load_training_data

if TYPE_CHECKING:
    from training.recalibrate import LabelledSample
from training.tuning import macro_f1_at_best_threshold, tune_on_validation

MIN_ITEMS_PER_LANGUAGE = 5


def code_version() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return f"{__version__}+{commit}"


def covered_languages(data: TrainingData) -> list[str]:
    counts = Counter(data.train.languages)
    return sorted(lang for lang, n in counts.items() if n >= MIN_ITEMS_PER_LANGUAGE)


def base_manifest(name: str, kind: str, data: TrainingData, config: TrainConfig) -> dict:
    return {
        "name": name,
        "version": datetime.now(UTC).strftime("%Y%m%d.%H%M%S"),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "kind": kind,
        "axes": list(AXES),
        "axis_descriptions": AXIS_DESCRIPTIONS,
        "languages": covered_languages(data),
        "training": {
            "data": data.source,
            "data_sha256": data.sha256,
            "train_items": len(data.train.texts),
            "validation_items": len(data.validation.texts),
            "config": config.to_dict(),
        },
        "code_version": code_version(),
    }


def fitted_tfidf(data: TrainingData, config: TrainConfig) -> tuple[TfidfScorer, np.ndarray]:
    """The baseline pipeline fitted on train, as the member that is stored, and that member's validation logits."""
    pipeline = build_tfidf_pipeline(c=config.tfidf_c, seed=config.seed)
    pipeline.fit(data.train.texts, data.train.targets)
    member = TfidfScorer.from_pipeline(pipeline)
    return member, member.logits(data.validation.texts)


def train_tfidf(data: TrainingData, config: TrainConfig, out: Path, name: str) -> dict:
    started = time.time()
    member, logits = fitted_tfidf(data, config)
    manifest = {
        **base_manifest(name, "tfidf", data, config),
        **tune_on_validation(logits, data.validation.targets, config.seed),
        "training_seconds": round(time.time() - started, 1),
    }
    write_model_folder(out, manifest, member.writers(), render_model_card(manifest))
    return manifest


@dataclass
class FineTunedMember:
    """A fine-tuned encoder with what the manifest says of it, and its validation logits."""

    manifest: dict
    weights: dict
    validation_logits: np.ndarray


def fine_tuned_member(data: TrainingData, config: TrainConfig, checkpoint_dir: Path) -> FineTunedMember:
    """Fine-tune, then choose how long texts' windows are aggregated, on validation."""
    from training.finetune import fine_tune

    result = fine_tune(data, config, checkpoint_dir)
    targets = data.validation.targets
    # The best weights' validation windows, scored once, serve every way of reading a long text.
    encoded, per_window = result.validation_windows, result.validation_window_logits
    candidates = {how: aggregate(per_window, encoded.owner, len(targets), how) for how in ("max", "mean")}
    window_report = {how: macro_f1_at_best_threshold(logits, targets) for how, logits in candidates.items()}
    window_report["first_window_only"] = macro_f1_at_best_threshold(
        per_window[first_window_positions(encoded.owner)], targets
    )
    chosen = max(("max", "mean"), key=lambda a: window_report[a])
    identity = backbone_identity(config.backbone)
    manifest = {
        "backbone": {"name": identity.name, "sha256": identity.sha256},
        "lora": result.lora.to_dict(),
        "windows": replace(result.windows, aggregation=chosen).to_dict(),
        "window_comparison_validation_macro_f1": window_report,
        "history": result.history,
        "best_epoch": result.best_epoch,
        "training_seconds": round(result.seconds, 1),
    }
    return FineTunedMember(manifest, trainable_state(result.classifier), candidates[chosen])


def train_transformer(data: TrainingData, config: TrainConfig, out: Path, name: str, checkpoint_dir: Path) -> dict:
    member = fine_tuned_member(data, config, checkpoint_dir)
    manifest = {
        **base_manifest(name, "transformer", data, config),
        **member.manifest,
        **tune_on_validation(member.validation_logits, data.validation.targets, config.seed),
    }
    writers = {WEIGHTS_FILE: lambda p: save_file(member.weights, str(p))}
    write_model_folder(out, manifest, writers, render_model_card(manifest))
    return manifest


def train_ensemble(data: TrainingData, config: TrainConfig, out: Path, name: str, checkpoint_dir: Path) -> dict:
    """Both members on the same split; each is calibrated on validation before they are mixed."""
    member = fine_tuned_member(data, config, checkpoint_dir)
    started = time.time()
    tfidf, tfidf_logits = fitted_tfidf(data, config)
    targets = data.validation.targets
    blend = Blend(
        transformer_weight=config.ensemble_transformer_weight,
        transformer_temperature=fit_temperature(member.validation_logits, targets),
        tfidf_temperature=fit_temperature(tfidf_logits, targets),
    )
    tuned_members = {
        "transformer": tune_on_validation(member.validation_logits, targets, config.seed),
        "tfidf": tune_on_validation(tfidf_logits, targets, config.seed),
    }
    manifest = {
        **base_manifest(name, "ensemble", data, config),
        **member.manifest,
        "ensemble": blend.to_dict(),
        "member_validation_macro_f1": {kind: tuned["validation"]["macro_f1"] for kind, tuned in tuned_members.items()},
        **tune_on_validation(blend_logits(member.validation_logits, tfidf_logits, blend), targets, config.seed),
        "training_seconds": round(member.manifest["training_seconds"] + time.time() - started, 1),
    }
    writers = {WEIGHTS_FILE: lambda p: save_file(member.weights, str(p)), **tfidf.writers()}
    write_model_folder(out, manifest, writers, render_model_card(manifest))
    return manifest


def train_model(
    data_path: Path,
    out: Path,
    config: TrainConfig,
    checkpoint_dir: Path | None = None,
    real: LabelledSample | None = None,
    encoder_from: Path | None = None,
    real_predictions: Path | None = None,
) -> dict:
    """`real` (labelled real texts, with `real_predictions` where to write their out-of-fold predictions) and
    `encoder_from` (a folder whose fine-tuned encoder to reuse) are for stacks only."""
    if (real is not None or encoder_from is not None) and config.kind != "stack":
        raise ValueError("real texts and a reused encoder are for stacks only (--kind stack)")
    if config.real_encoder_epochs and real is None:
        raise ValueError("real_encoder_epochs continues a stack's encoder on real texts: give them with --real")
    data = load_training_data(data_path, config)
    name = Path(out).name
    if config.kind == "tfidf":
        return train_tfidf(data, config, out, name)
    checkpoint_dir = checkpoint_dir or Path(out).parent / f".{name}.checkpoint"
    if config.kind == "stack":
        from training.stacking import train_stack

        return train_stack(data, config, out, name, checkpoint_dir, real, encoder_from, real_predictions)
    trainers = {"transformer": train_transformer, "ensemble": train_ensemble}
    return trainers[config.kind](data, config, out, name, checkpoint_dir)
