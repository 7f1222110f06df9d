"""From a labelled file to a finished model folder: fit, tune on validation, write the folder."""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from safetensors.torch import save_file

from axistag import __version__
from model.axes import AXES, AXIS_DESCRIPTIONS
from model.backbone import backbone_identity
from model.baseline import PIPELINE_FILE, TfidfScorer, build_tfidf_pipeline, save_tfidf_pipeline
from model.classifier import trainable_state
from model.folder import write_model_folder
from model.transformer_scorer import WEIGHTS_FILE, TransformerScorer
from model.windowing import aggregate, encode_windows, first_window_positions
from training.config import TrainConfig
from training.model_card import render_model_card
from training.training_data import TrainingData, load_training_data
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


def train_tfidf(data: TrainingData, config: TrainConfig, out: Path, name: str) -> dict:
    started = time.time()
    pipeline = build_tfidf_pipeline(c=config.tfidf_c, seed=config.seed)
    pipeline.fit(data.train.texts, data.train.targets)
    logits = TfidfScorer(pipeline).logits(data.validation.texts)
    manifest = {
        **base_manifest(name, "tfidf", data, config),
        **tune_on_validation(logits, data.validation.targets, config.seed),
        "training_seconds": round(time.time() - started, 1),
    }
    write_model_folder(
        out,
        manifest,
        {PIPELINE_FILE: lambda p: save_tfidf_pipeline(pipeline, p)},
        render_model_card(manifest),
    )
    return manifest


def train_transformer(data: TrainingData, config: TrainConfig, out: Path, name: str, checkpoint_dir: Path) -> dict:
    from training.finetune import fine_tune

    result = fine_tune(data, config, checkpoint_dir)
    scorer = TransformerScorer(result.classifier, result.tokenizer, result.windows)
    targets = data.validation.targets
    texts = data.validation.texts
    # One pass over the validation windows serves every way of reading a long text.
    encoded = encode_windows(result.tokenizer, texts, result.windows)
    per_window = scorer.window_logits(encoded.input_ids)
    candidates = {how: aggregate(per_window, encoded.owner, len(texts), how) for how in ("max", "mean")}
    window_report = {how: macro_f1_at_best_threshold(logits, targets) for how, logits in candidates.items()}
    window_report["first_window_only"] = macro_f1_at_best_threshold(
        per_window[first_window_positions(encoded.owner)], targets
    )
    chosen = max(("max", "mean"), key=lambda a: window_report[a])
    windows = replace(result.windows, aggregation=chosen)
    identity = backbone_identity(config.backbone)
    manifest = {
        **base_manifest(name, "transformer", data, config),
        "backbone": {"name": identity.name, "sha256": identity.sha256},
        "lora": result.lora.to_dict(),
        "windows": windows.to_dict(),
        "window_comparison_validation_macro_f1": window_report,
        **tune_on_validation(candidates[chosen], targets, config.seed),
        "history": result.history,
        "best_epoch": result.best_epoch,
        "training_seconds": round(result.seconds, 1),
    }
    weights = trainable_state(result.classifier)
    write_model_folder(out, manifest, {WEIGHTS_FILE: lambda p: save_file(weights, str(p))}, render_model_card(manifest))
    return manifest


def train_model(data_path: Path, out: Path, config: TrainConfig, checkpoint_dir: Path | None = None) -> dict:
    data = load_training_data(data_path, config)
    name = Path(out).name
    if config.kind == "tfidf":
        return train_tfidf(data, config, out, name)
    if config.kind != "transformer":
        raise ValueError(f"unknown model kind {config.kind!r}: use 'transformer' or 'tfidf'")
    checkpoint_dir = checkpoint_dir or Path(out).parent / f".{name}.checkpoint"
    return train_transformer(data, config, out, name, checkpoint_dir)
