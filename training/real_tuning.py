"""Continue the corpus-trained encoder on labelled real texts, cross-fitted like the stack's cheap members.

Trained on our corpus alone, the encoder ranks real proposals worst of the stack's members. Here its adapters
and head continue for a few epochs on the real texts (each weighted `real_weight`), mixed with a fixed sample
of corpus items so that it keeps the corpus' axes. Every run starts from the same corpus-trained weights: one
run per fold, on the other folds' texts, gives that fold's logits from an encoder that never saw it, and one
last run on every real text gives the encoder that ships. The adapters sit in the top layers only, so the
frozen bottom layers' outputs are computed once for all runs (`training.frozen_layers`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from model.backbone import load_backbone
from model.classifier import AxisClassifier, LoraSettings, add_lora, trainable_state
from model.windowing import WindowSettings, aggregate, encode_windows, first_window_positions
from training.config import TrainConfig
from training.finetune import adapter_and_head_optimizer, epoch_batches, positive_weights, warmup_then_linear
from training.frozen_layers import LayerCache

# Beside the continued encoder's weights, a model folder keeps those it started from, for `--encoder-from`.
CORPUS_WEIGHTS_FILE = "adapter_and_head.corpus.safetensors"


@dataclass
class TrainingItems:
    """The items one continuation run may draw from: their first window's row in the cache, targets, loss weights."""

    rows: np.ndarray
    targets: np.ndarray
    weights: np.ndarray


class RealTextTuner:
    """The corpus-trained encoder, ready to continue on any subset of the real texts and to score them all."""

    def __init__(
        self,
        manifest: dict,
        weights: dict[str, torch.Tensor],
        real_texts: list[str],
        real_targets: np.ndarray,
        corpus_texts: list[str],
        corpus_targets: np.ndarray,
        config: TrainConfig,
    ) -> None:
        if not manifest.get("lora", {}).get("layers"):
            raise ValueError("continuing on real texts needs adapters in the top layers only (lora_top_layers > 0)")
        self.config = config
        encoder, tokenizer = load_backbone(manifest["backbone"]["name"])
        self.classifier = AxisClassifier(encoder, n_labels=real_targets.shape[1], dropout=config.head_dropout)
        lora = LoraSettings.from_dict(manifest["lora"])
        add_lora(self.classifier, lora)
        self.start = {name: tensor.clone() for name, tensor in weights.items()}
        self.windows = WindowSettings(**manifest["windows"])
        self.n_real = len(real_texts)
        corpus_count = min(config.real_encoder_corpus_items, len(corpus_texts))
        sampled = np.sort(np.random.default_rng(config.seed).choice(len(corpus_texts), corpus_count, replace=False))
        self.real = encode_windows(tokenizer, real_texts, self.windows)
        corpus = encode_windows(tokenizer, [corpus_texts[i] for i in sampled], self.windows)
        # One cache: every real window (all are scored; the first ones also train), then the corpus' first ones.
        self.cache = LayerCache(self.classifier, min(lora.layers))
        corpus_firsts = [corpus.input_ids[i] for i in first_window_positions(corpus.owner)]
        self.cache.fill(self.real.input_ids + corpus_firsts, tokenizer.pad_token_id)
        self.items = TrainingItems(
            np.concatenate([first_window_positions(self.real.owner), len(self.real) + np.arange(corpus_count)]),
            np.vstack([real_targets, corpus_targets[sampled]]).astype(np.float32),
            np.concatenate([np.full(self.n_real, config.real_weight), np.ones(corpus_count)]).astype(np.float32),
        )

    def continued(self, chosen: np.ndarray, run: int) -> dict[str, torch.Tensor]:
        """The adapters and head after continuing from the corpus-trained ones on the `chosen` real texts."""
        config = self.config
        torch.manual_seed(config.seed + run)
        self.classifier.load_state_dict(self.start, strict=False)
        items = np.concatenate([np.flatnonzero(chosen), np.arange(self.n_real, len(self.items.rows))])
        rows = self.items.rows[items]
        targets = torch.from_numpy(self.items.targets[items])
        weights = torch.from_numpy(self.items.weights[items])
        loss = nn.BCEWithLogitsLoss(
            pos_weight=positive_weights(self.items.targets[items], config.pos_weight_power), reduction="none"
        )
        lengths = [len(self.cache.states[row]) for row in rows]
        plan = [
            epoch_batches(lengths, config.batch_size, config.seed, epoch, config.max_tokens_per_batch)
            for epoch in range(config.real_encoder_epochs)
        ]
        optimizer = adapter_and_head_optimizer(
            self.classifier,
            config.real_encoder_learning_rate,
            config.real_encoder_head_learning_rate,
            config.weight_decay,
        )
        schedule = warmup_then_linear(optimizer, sum(len(batches) for batches in plan), 0.0)
        self.classifier.train()
        for batches in plan:
            for batch in batches:
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.real_encoder_bf16):
                    logits = self.cache.logits(rows[batch].tolist())
                per_item = loss(logits.float(), targets[batch]).mean(dim=1)
                (per_item * weights[batch]).sum().div(weights[batch].sum()).backward()
                torch.nn.utils.clip_grad_norm_(self.classifier.parameters(), 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad(set_to_none=True)
        self.classifier.eval()
        return trainable_state(self.classifier)

    def real_logits(self) -> np.ndarray:
        """Every real text's logits (all its windows, aggregated as at inference) with the current weights."""
        per_window = self.cache.scores(list(range(len(self.real))))
        return aggregate(per_window, self.real.owner, self.n_real, self.windows.aggregation)


@dataclass
class RealTuning:
    """Per fold, the held texts' logits from an encoder continued without them; the encoder continued on all."""

    fold_logits: list[np.ndarray]
    weights: dict[str, torch.Tensor]
    seconds: float

    def record(self, config: TrainConfig) -> dict:
        """What the manifest says of the continuation."""
        return {
            "epochs": config.real_encoder_epochs,
            "learning_rate": config.real_encoder_learning_rate,
            "head_learning_rate": config.real_encoder_head_learning_rate,
            "corpus_items": config.real_encoder_corpus_items,
            "real_weight": config.real_weight,
            "bf16": config.real_encoder_bf16,
            "folds": len(self.fold_logits),
            "seconds": round(self.seconds, 1),
        }


def tune_on_real(tuner: RealTextTuner, held: list[np.ndarray]) -> RealTuning:
    """One continuation per held-out fold (scoring that fold), then one on every real text."""
    started = time.time()
    fold_logits = []
    with tqdm(total=len(held) + 1, desc="encoder on real texts", unit="run") as progress:
        for run, held_mask in enumerate(held):
            tuner.continued(~held_mask, run)
            fold_logits.append(tuner.real_logits()[held_mask])
            progress.update(1)
        weights = tuner.continued(np.ones(tuner.n_real, dtype=bool), len(held))
        progress.update(1)
    return RealTuning(fold_logits, weights, time.time() - started)
