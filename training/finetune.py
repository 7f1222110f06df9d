"""LoRA fine-tuning of the axis classifier: a plain loop you can read top to bottom.

Trains on `train`, scores `validation` after every epoch (macro-F1 at the best single threshold),
keeps the best epoch, stops early, and checkpoints often enough that a killed run resumes where it was.
Batches hold texts of similar length (less padding); the order is a function of seed and epoch, so a
resumed epoch skips exactly the batches it had already done. With adapters in the top layers only, the
frozen bottom layers run once per text (see `training.frozen_layers`).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from model.backbone import load_backbone
from model.classifier import AxisClassifier, LoraSettings, add_lora, trainable_state
from model.transformer_scorer import TransformerScorer
from model.windowing import (
    EncodedWindows,
    WindowSettings,
    aggregate,
    encode_windows,
    first_window_positions,
    pad_batch,
)
from training.config import TrainConfig
from training.frozen_layers import LayerCache
from training.training_data import TrainingData
from training.tuning import macro_f1_at_best_threshold

CHECKPOINT_FILE = "checkpoint.pt"
LINEAR_PROBE_ITERATIONS = 300
LINEAR_PROBE_L2 = 1e-4  # on the squared head weights, next to a mean loss over ~1,800 texts


@dataclass
class FineTuneResult:
    classifier: AxisClassifier
    tokenizer: object
    windows: WindowSettings
    lora: LoraSettings
    history: list[dict]
    best_epoch: int
    seconds: float
    validation_windows: EncodedWindows
    validation_window_logits: np.ndarray  # of the best epoch's weights, one row per validation window


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def epoch_batches(
    lengths: list[int], batch_size: int, seed: int, epoch: int, max_tokens_per_batch: int
) -> list[list[int]]:
    """Length-sorted chunks of at most `batch_size` texts and `max_tokens_per_batch` padded tokens.

    The token budget keeps the longest batches' attention activations (quadratic in length) within memory:
    texts of 512 tokens come 8 at a time, short ones 16 at a time. Chunks are visited in a seeded order.
    """
    rng = np.random.default_rng(seed * 1000 + epoch)
    jittered = np.asarray(lengths) + rng.uniform(0, 8, len(lengths))
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for index in np.argsort(jittered).tolist():
        widest = max(longest, lengths[index])
        if current and (len(current) == batch_size or widest * (len(current) + 1) > max_tokens_per_batch):
            batches.append(current)
            current, widest = [], lengths[index]
        current.append(index)
        longest = widest
    if current:
        batches.append(current)
    return [batches[i] for i in rng.permutation(len(batches))]


def positive_weights(targets: np.ndarray, power: float) -> torch.Tensor:
    """(negatives / positives) ** power per axis: rare axes count more without swamping precision."""
    positives = targets.sum(axis=0).clip(min=1)
    negatives = (len(targets) - targets.sum(axis=0)).clip(min=1)
    return torch.tensor((negatives / positives) ** power, dtype=torch.float32)


def smoothed(targets: torch.Tensor, smoothing: float) -> torch.Tensor:
    """Targets pulled toward 0.5: with smoothing s the loss is lowest at scores s/2 and 1 - s/2, not 0 and 1."""
    return targets * (1.0 - smoothing) + smoothing / 2.0


def fit_head_alone(classifier: AxisClassifier, states: np.ndarray, targets: torch.Tensor, loss_fn: nn.Module) -> float:
    """LP-FT's first stage: the head fitted to convergence on the encoder's pooled states before the adapters
    move, so that fine-tuning starts from a head that already fits instead of a random one whose early
    gradients distort the pretrained features. Returns the final training loss."""
    features = torch.from_numpy(states)
    head = classifier.head
    optimizer = torch.optim.LBFGS(head.parameters(), max_iter=LINEAR_PROBE_ITERATIONS, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = loss_fn(head(features), targets) + LINEAR_PROBE_L2 * head.weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        return float(loss_fn(head(features), targets))


def first_windows(tokenizer, texts: list[str], windows: WindowSettings) -> list[list[int]]:
    """Training reads each text's first window; the longer tail is only read at inference."""
    encoded = encode_windows(tokenizer, texts, windows)
    return [encoded.input_ids[i] for i in first_window_positions(encoded.owner)]


def build_classifier(config: TrainConfig) -> tuple[AxisClassifier, object, LoraSettings]:
    encoder, tokenizer = load_backbone(config.backbone)
    classifier = AxisClassifier(encoder, dropout=config.head_dropout)
    depth = encoder.config.num_hidden_layers
    top = config.lora_top_layers
    layers = tuple(range(depth - top, depth)) if 0 < top < depth else None
    lora = LoraSettings(rank=config.lora_rank, alpha=config.lora_alpha, dropout=config.lora_dropout, layers=layers)
    add_lora(classifier, lora)
    return classifier, tokenizer, lora


def adapter_and_head_optimizer(
    classifier: AxisClassifier, adapter_rate: float, head_rate: float, weight_decay: float
) -> torch.optim.Optimizer:
    """AdamW over the trainable parameters: the adapters at one rate, the head at its own."""
    head = [p for n, p in classifier.named_parameters() if p.requires_grad and n.startswith("head.")]
    adapters = [p for n, p in classifier.named_parameters() if p.requires_grad and not n.startswith("head.")]
    return torch.optim.AdamW(
        [{"params": adapters, "lr": adapter_rate}, {"params": head, "lr": head_rate}], weight_decay=weight_decay
    )


def warmup_then_linear(optimizer: torch.optim.Optimizer, total_steps: int, warmup_ratio: float):
    """Rates rise over the first `warmup_ratio` of the steps, then fall linearly to zero."""
    warmup = max(1, int(total_steps * warmup_ratio))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def validation_window_logits(
    classifier: AxisClassifier, tokenizer, encoded: EncodedWindows, windows: WindowSettings
) -> np.ndarray:
    scorer = TransformerScorer(classifier, tokenizer, windows)
    try:
        return scorer.window_logits(encoded.input_ids)
    finally:
        classifier.train()


def fine_tune(data: TrainingData, config: TrainConfig, checkpoint_dir: Path) -> FineTuneResult:
    seed_everything(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    started = time.time()
    classifier, tokenizer, lora = build_classifier(config)
    windows = WindowSettings(max_tokens=config.max_tokens, overlap=config.overlap)
    if config.linear_probe_first and lora.layers is None:
        raise ValueError("linear_probe_first needs adapters in the top layers only (lora_top_layers)")
    train_ids = first_windows(tokenizer, data.train.texts, windows)
    cache = validation_cache = None
    validation_windows = encode_windows(tokenizer, data.validation.texts, windows)
    if lora.layers is not None:
        cache = LayerCache(classifier, split_at=lora.layers[0])
        cache.fill(train_ids, tokenizer.pad_token_id)
        validation_cache = LayerCache(classifier, split_at=lora.layers[0])
        validation_cache.fill(validation_windows.input_ids, tokenizer.pad_token_id)

    def score_validation() -> np.ndarray:
        """Per-window validation logits: through the cached bottom layers when there are any."""
        if validation_cache is not None:
            return validation_cache.scores()
        return validation_window_logits(classifier, tokenizer, validation_windows, windows)

    targets = smoothed(torch.tensor(data.train.targets, dtype=torch.float32), config.label_smoothing)
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=positive_weights(data.train.targets, config.pos_weight_power))
    lengths = [len(ids) for ids in train_ids]

    def batches_of(epoch: int) -> list[list[int]]:
        return epoch_batches(lengths, config.batch_size, config.seed, epoch, config.max_tokens_per_batch)

    total_steps = sum(len(batches_of(epoch)) for epoch in range(config.epochs))
    if config.max_steps:
        total_steps = min(total_steps, config.max_steps)
    optimizer = adapter_and_head_optimizer(
        classifier, config.learning_rate, config.head_learning_rate, config.weight_decay
    )
    scheduler = warmup_then_linear(optimizer, total_steps, config.warmup_ratio)

    state = {
        "epoch": 0,
        "step_in_epoch": 0,
        "global_step": 0,
        "history": [],
        "best_score": -1.0,
        "best_epoch": -1,
        "best_state": None,
        "bad_epochs": 0,
    }
    checkpoint_path = checkpoint_dir / CHECKPOINT_FILE
    if checkpoint_path.exists():
        saved = torch.load(checkpoint_path, weights_only=False)
        classifier.load_state_dict(saved["model"], strict=False)
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        state = saved["state"]
        torch.set_rng_state(saved["torch_rng"])
        tqdm.write(f"resuming from {checkpoint_path}: epoch {state['epoch'] + 1}, step {state['step_in_epoch']}")
    elif config.linear_probe_first:
        probe_loss = fit_head_alone(classifier, cache.pooled_states(), targets, loss_fn)
        tqdm.write(f"head fitted alone on the frozen encoder: train loss {probe_loss:.4f}")

    def save_checkpoint() -> None:
        checkpoint_dir.mkdir(parents=True, exist_ok=True)
        partial = checkpoint_path.with_suffix(".partial")
        torch.save(
            {
                "model": trainable_state(classifier),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "state": state,
                "torch_rng": torch.get_rng_state(),
            },
            partial,
        )
        partial.replace(checkpoint_path)

    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.bf16)
    classifier.train()
    while state["epoch"] < config.epochs and state["bad_epochs"] <= config.patience:
        epoch = state["epoch"]
        batches = batches_of(epoch)
        progress = tqdm(
            batches,
            desc=f"epoch {epoch + 1}/{config.epochs}",
            initial=state["step_in_epoch"],
            total=len(batches),
            unit="batch",
        )
        running = []
        for index, batch in enumerate(batches):
            if index < state["step_in_epoch"]:
                continue
            if config.max_steps and state["global_step"] >= config.max_steps:
                break
            with autocast:
                if cache is not None:
                    logits = cache.logits(batch)
                else:
                    logits = classifier(*pad_batch([train_ids[i] for i in batch], tokenizer.pad_token_id))
            loss = loss_fn(logits.float(), targets[batch])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(classifier.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            running.append(loss.item())
            state["step_in_epoch"] = index + 1
            state["global_step"] += 1
            progress.update(1)
            progress.set_postfix(loss=f"{np.mean(running[-20:]):.4f}")
            if state["global_step"] % config.checkpoint_every == 0:
                save_checkpoint()
        progress.close()

        logits = aggregate(
            score_validation(), validation_windows.owner, len(data.validation.texts), windows.aggregation
        )
        score = macro_f1_at_best_threshold(logits, data.validation.targets)
        state["history"].append(
            {
                "epoch": epoch + 1,
                "train_loss": float(np.mean(running)) if running else None,
                "validation_macro_f1": score,
            }
        )
        tqdm.write(
            f"epoch {epoch + 1}: train loss {state['history'][-1]['train_loss']}, validation macro-F1 {score:.4f}"
        )
        if score > state["best_score"]:
            state.update(best_score=score, best_epoch=epoch + 1, best_state=trainable_state(classifier), bad_epochs=0)
        else:
            state["bad_epochs"] += 1
        state.update(epoch=epoch + 1, step_in_epoch=0)
        save_checkpoint()
        if config.max_steps and state["global_step"] >= config.max_steps:
            break

    classifier.load_state_dict(state["best_state"], strict=False)
    best_window_logits = score_validation()
    classifier.eval()
    return FineTuneResult(
        classifier,
        tokenizer,
        windows,
        lora,
        state["history"],
        state["best_epoch"],
        time.time() - started,
        validation_windows,
        best_window_logits,
    )
