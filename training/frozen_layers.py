"""Train only the top encoder layers, reading the frozen bottom layers' output from a cache.

When adapters sit in the top k layers only, the layers below never change during training: their output
for a given text is computed once, and every training step runs (and back-propagates through) the top k
layers alone. On two CPU cores this makes an epoch several times cheaper.
"""

from __future__ import annotations

import numpy as np
import torch

from model.classifier import AxisClassifier, bert_of, mean_pool


class LayerCache:
    """Hidden states after the first `split_at` layers, one tensor per text (no padding stored)."""

    def __init__(self, classifier: AxisClassifier, split_at: int) -> None:
        self.classifier = classifier
        self.bert = bert_of(classifier)
        self.split_at = split_at
        self.states: list[torch.Tensor] = []

    @staticmethod
    def _mask(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Additive (batch, 1, 1, keys) mask that every BERT attention implementation accepts: 0 on tokens,
        the dtype's minimum on padding. Built here rather than borrowed from the model's private helpers."""
        keep = attention_mask[:, None, None, :].to(hidden.dtype)
        return (1.0 - keep) * torch.finfo(hidden.dtype).min

    def fill(self, windows: list[list[int]], pad_id: int, batch_size: int = 32) -> None:
        """Run embeddings and the bottom layers once per window, in eval mode (no dropout)."""
        from tqdm.auto import tqdm

        from model.windowing import length_batches, pad_batch

        self.states = [torch.empty(0)] * len(windows)
        self.bert.eval()
        with torch.inference_mode():
            batches = length_batches([len(w) for w in windows], batch_size, batch_size * 256)
            for batch in tqdm(batches, desc="caching frozen layers", unit="batch"):
                ids, mask = pad_batch([windows[i] for i in batch], pad_id)
                hidden = self.bert.embeddings(input_ids=ids)
                extended = self._mask(hidden, mask)
                for layer in self.bert.encoder.layer[: self.split_at]:
                    hidden = layer(hidden, extended)
                for row, index in enumerate(batch):
                    self.states[index] = hidden[row, : len(windows[index])].clone()
        self.bert.train()

    def logits(self, indices: list[int]) -> torch.Tensor:
        """Forward the top layers, pooling and head for cached items (with gradients, in train mode)."""
        classifier = self.classifier
        return classifier.head(classifier.dropout(self.pooled(indices)))

    def pooled(self, indices: list[int]) -> torch.Tensor:
        """Forward the top layers for cached items and mean-pool them: the head's input."""
        states = [self.states[i] for i in indices]
        width = max(len(s) for s in states)
        hidden = torch.zeros(len(states), width, states[0].shape[-1])
        mask = torch.zeros(len(states), width, dtype=torch.long)
        for row, state in enumerate(states):
            hidden[row, : len(state)] = state
            mask[row, : len(state)] = 1
        extended = self._mask(hidden, mask)
        for layer in self.bert.encoder.layer[self.split_at :]:
            hidden = layer(hidden, extended)
        return mean_pool(hidden, mask)

    def scores(self, indices: list[int] | None = None, batch_size: int = 16) -> np.ndarray:
        """Logits of the cached windows `indices` (default: all), in that order, in eval mode: validation during
        training costs only the top layers."""
        return self._in_eval_mode(self.logits, self.classifier.head.out_features, indices, batch_size)

    def pooled_states(self, indices: list[int] | None = None, batch_size: int = 16) -> np.ndarray:
        """Mean-pooled top-layer states of the cached windows `indices` (default: all), in eval mode: the
        features a linear probe of the current encoder reads."""
        width = bert_of(self.classifier).config.hidden_size
        return self._in_eval_mode(self.pooled, width, indices, batch_size)

    def _in_eval_mode(self, forward, width: int, indices: list[int] | None, batch_size: int) -> np.ndarray:
        from model.windowing import length_batches

        chosen = list(range(len(self.states))) if indices is None else list(indices)
        result = np.zeros((len(chosen), width), dtype=np.float32)
        self.classifier.eval()
        try:
            with torch.inference_mode():
                for batch in length_batches([len(self.states[i]) for i in chosen], batch_size, batch_size * 256):
                    result[batch] = forward([chosen[i] for i in batch]).float().numpy()
        finally:
            self.classifier.train()
        return result
