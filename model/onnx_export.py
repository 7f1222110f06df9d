"""The merged encoder classifier as an ONNX graph, checked against torch before anything trusts it.

One graph gives both readings the stack needs from an encoder pass: the axis logits and the mean-pooled
hidden state at the probe's layer. Batch and sequence lengths stay dynamic, as windows vary in both.

The encoder is traced with transformers' plain ("eager") attention, not its default scaled-dot-product one:
traced, the latter adds a NaN guard (IsNaN, Where) after every softmax that ONNX Runtime runs node by node.
Without it, on 2 cores shared with other work, the fp32 graph ran 1.2x and its int8 version 1.5x faster.
ONNX Runtime's transformer optimizer (`onnxruntime.transformers.optimizer`) does fuse the eager graph's
attention, normalisations and GELUs, but the fused graph ran slower than this one (fp32 0.92x, int8 0.79x),
so it is not used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from model.classifier import AxisClassifier, bert_of

INPUTS = ("input_ids", "attention_mask")
OUTPUTS = ("logits", "states")
TOLERANCE = 1e-4  # largest absolute difference from torch, on logits and states, that the export may show
OPSET = 17
TRACED_ATTENTION = "eager"  # what the graph is traced with
SERVED_ATTENTION = "sdpa"  # what transformers loads BERT with, and the torch model runs with afterwards


class OnnxExportError(RuntimeError):
    """The exported graph does not compute what the torch model computes."""


class LogitsAndStates(nn.Module):
    """The classifier with its probe layer fixed, so that tracing sees a plain two-output function."""

    def __init__(self, classifier: AxisClassifier, layer: int) -> None:
        super().__init__()
        self.classifier = classifier
        self.layer = layer

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.classifier.logits_and_pooled_state(input_ids, attention_mask, self.layer)


def check_inputs(vocab_size: int, pad_id: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    """Two fixed small batches of seeded token ids: three padded windows, then one unpadded of another length.

    Tracing sees the first; the second shows that no batch size, length or padding was baked into the graph.
    """
    generator = np.random.default_rng(0)
    batches = []
    for lengths in ((37, 12, 5), (20,)):
        ids = np.full((len(lengths), max(lengths)), pad_id, dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, length in enumerate(lengths):
            ids[row, :length] = generator.integers(5, vocab_size, size=length)
            ids[row, 0], ids[row, length - 1] = 0, 2
            mask[row, :length] = 1
        batches.append((ids, mask))
    return batches


def export_classifier(classifier: AxisClassifier, layer: int, path: Path) -> None:
    """Trace the classifier (eval mode, fp32, eager attention) into `path` with dynamic batch and sequence axes."""
    ids, mask = check_inputs(classifier.encoder.config.vocab_size)[0]
    dynamic = {0: "batch", 1: "tokens"}
    bert = bert_of(classifier)
    bert.set_attn_implementation(TRACED_ATTENTION)
    try:
        trace(classifier, layer, path, ids, mask, dynamic)
    finally:
        bert.set_attn_implementation(SERVED_ATTENTION)


def trace(classifier: AxisClassifier, layer: int, path: Path, ids: np.ndarray, mask: np.ndarray, dynamic: dict) -> None:
    with torch.inference_mode(False), torch.no_grad():
        torch.onnx.export(
            LogitsAndStates(classifier.eval(), layer),
            (torch.from_numpy(ids), torch.from_numpy(mask)),
            str(path),
            input_names=list(INPUTS),
            output_names=list(OUTPUTS),
            dynamic_axes={
                "input_ids": dynamic,
                "attention_mask": dynamic,
                "logits": {0: "batch"},
                "states": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )


def torch_outputs(classifier: AxisClassifier, layer: int, ids: np.ndarray, mask: np.ndarray) -> list[np.ndarray]:
    with torch.inference_mode():
        logits, states = classifier.eval().logits_and_pooled_state(torch.from_numpy(ids), torch.from_numpy(mask), layer)
    return [logits.float().numpy(), states.float().numpy()]


def check_export(classifier: AxisClassifier, layer: int, path: Path) -> float:
    """The largest difference from torch on the fixed inputs; raises `OnnxExportError` above `TOLERANCE`."""
    import onnxruntime

    batches = check_inputs(classifier.encoder.config.vocab_size)
    expected = [torch_outputs(classifier, layer, ids, mask) for ids, mask in batches]
    try:
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        found = [session.run(list(OUTPUTS), {"input_ids": ids, "attention_mask": mask}) for ids, mask in batches]
    except Exception as error:
        raise OnnxExportError(f"{path} cannot be run by ONNX Runtime ({error}): refusing the ONNX path") from error
    differences = [
        max(
            float(np.abs(a - b).max()) if a.shape == b.shape else float("inf") for a, b in zip(wanted, got, strict=True)
        )
        for wanted, got in zip(zip(*expected, strict=True), zip(*found, strict=True), strict=True)
    ]
    worst = max(differences)
    if not worst <= TOLERANCE:
        raise OnnxExportError(
            f"{path} differs from the torch model by up to {worst:.2g} (logits {differences[0]:.2g}, states "
            f"{differences[1]:.2g}; at most {TOLERANCE:g} allowed): refusing the ONNX path"
        )
    return worst
