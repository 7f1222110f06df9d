"""Raw axis logits from the fine-tuned encoder, read window by window in length-sorted batches."""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from model.backbone import BackboneError, backbone_identity, load_scoring_backbone
from model.classifier import AxisClassifier, LoraSettings, add_lora, bert_of, merge_lora
from model.deadline import Deadline, check
from model.onnx_cache import graph_key
from model.onnx_encoder import OnnxEncoder, onnx_encoder
from model.precision import onnx_graph, resolve_precision
from model.windowing import WindowSettings, aggregate, encode_windows, length_batches, pad_batch

WEIGHTS_FILE = "adapter_and_head.safetensors"
# Windows per forward pass. On 2 cores, batches of 8 windows of ~200 tokens scored 12-13 proposals/s against
# 10-10.4 for batches of 32 (`axistag bench`): smaller activations stay in cache. Length sorting keeps padding low.
MAX_BATCH = 8
MAX_TOKENS_PER_BATCH = 4096


def with_compact_embeddings(classifier: AxisClassifier) -> AxisClassifier:
    """Keep the word-embedding table in fp16: it holds 96M of the encoder's 118M parameters (384 MB in fp32).

    Looked-up rows are promoted back to fp32 when the position embeddings are added, so every layer still
    computes in fp32; the rounding of the table changes scores by about 1e-4 (`axistag bench` checks labels).
    """
    bert_of(classifier).embeddings.word_embeddings.to(torch.float16)
    return classifier


def with_bf16_linears(classifier: AxisClassifier) -> AxisClassifier:
    """Store the encoder's linear weights in bf16, as autocast would cast them for every batch anyway.

    Same scores as autocasting fp32 weights (the cast is the same rounding), 42 MB less memory and no cast
    per batch. LayerNorms and the head stay fp32: autocast decides their precision as before.
    """
    for module in bert_of(classifier).encoder.modules():
        if isinstance(module, torch.nn.Linear):
            module.to(torch.bfloat16)
    return classifier


def with_own_weights(classifier: AxisClassifier) -> AxisClassifier:
    """Copy the weights out of the backbone file's memory mapping, so that the mapping can close.

    The backbone is loaded memory-mapped, and every page of the file once read stays resident while the
    mapping lives: converting the embedding table to fp16 reads it whole, which would keep about 400 MB
    of the service's memory for weights it no longer uses.
    """
    classifier.load_state_dict({name: tensor.clone() for name, tensor in classifier.state_dict().items()}, assign=True)
    return classifier


class TransformerScorer:
    """Scores texts with an `AxisClassifier` in torch, or its ONNX Runtime version (`onnx`, fp32 or int8).

    Long texts are split into overlapping windows.
    """

    def __init__(
        self,
        classifier: AxisClassifier | None,
        tokenizer,
        windows: WindowSettings,
        precision: str = "fp32",
        onnx: OnnxEncoder | None = None,
    ) -> None:
        if (classifier is None) == (onnx is None):
            raise ValueError("a transformer scorer runs either a torch classifier or an ONNX encoder")
        self.classifier = classifier.eval() if classifier is not None else None
        self.onnx = onnx
        self.tokenizer = tokenizer
        self.windows = windows
        self.precision = precision

    @property
    def n_labels(self) -> int:
        return self.onnx.n_labels if self.onnx else self.classifier.head.out_features

    @property
    def hidden_size(self) -> int:
        return self.onnx.hidden_size if self.onnx else self.classifier.head.in_features

    @property
    def config(self):
        """The encoder's configuration (layers, widths)."""
        return self.onnx.config if self.onnx else bert_of(self.classifier).config

    def window_outputs(
        self, windows: list[list[int]], deadline: Deadline | None = None, layer: int | None = None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Logits per window and, given `layer`, each window's mean-pooled hidden state at that layer.

        `deadline` is checked before each model batch, so a caller gone stops the work.
        """
        if self.onnx and layer not in (None, self.onnx.layer):
            raise ValueError(f"the ONNX encoder gives the states of layer {self.onnx.layer}, not {layer}")
        logits = np.zeros((len(windows), self.n_labels), dtype=np.float32)
        states = None if layer is None else np.zeros((len(windows), self.hidden_size), np.float32)
        lengths = [len(window) for window in windows]
        bf16 = torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16")
        with torch.inference_mode(), bf16:
            for batch in length_batches(lengths, MAX_BATCH, MAX_TOKENS_PER_BATCH):
                check(deadline)
                ids, mask = pad_batch([windows[i] for i in batch], self.tokenizer.pad_token_id)
                if self.onnx:
                    batch_logits, pooled = self.onnx.run(ids.numpy(), mask.numpy())
                    logits[batch] = batch_logits
                    if states is not None:
                        states[batch] = pooled
                elif states is None:
                    logits[batch] = self.classifier(ids, mask).float().numpy()
                else:
                    batch_logits, pooled = self.classifier.logits_and_pooled_state(ids, mask, layer)
                    logits[batch], states[batch] = batch_logits.float().numpy(), pooled.float().numpy()
        return logits, states

    def window_logits(self, windows: list[list[int]], deadline: Deadline | None = None) -> np.ndarray:
        return self.window_outputs(windows, deadline)[0]

    def logits(self, texts: list[str], deadline: Deadline | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.n_labels), dtype=np.float32)
        encoded = encode_windows(self.tokenizer, texts, self.windows)
        per_window = self.window_logits(encoded.input_ids, deadline)
        return aggregate(per_window, encoded.owner, len(texts), self.windows.aggregation)

    def logits_and_states(
        self, texts: list[str], layer: int, deadline: Deadline | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per text, its logits and its windows' pooled hidden states at `layer`, averaged: one forward pass."""
        if not texts:
            return np.zeros((0, self.n_labels), dtype=np.float32), np.zeros((0, self.hidden_size), dtype=np.float32)
        encoded = encode_windows(self.tokenizer, texts, self.windows)
        per_window, states = self.window_outputs(encoded.input_ids, deadline, layer)
        logits = aggregate(per_window, encoded.owner, len(texts), self.windows.aggregation)
        return logits, aggregate(states, encoded.owner, len(texts), "mean")


def load_transformer_scorer(
    folder: Path, manifest: dict, precision: str = "fp32", state_layer: int | None = None
) -> TransformerScorer:
    """Rebuild the classifier on its recorded backbone, refusing a backbone that is not the same one."""
    weights = load_file(Path(folder) / WEIGHTS_FILE)
    return build_transformer_scorer(manifest, weights, precision, str(folder), state_layer)


def build_transformer_scorer(
    manifest: dict,
    weights: dict[str, torch.Tensor],
    precision: str = "fp32",
    source: str = "the model",
    state_layer: int | None = None,
) -> TransformerScorer:
    """The scorer from a manifest's backbone, adapter and window settings and the trained weights.

    `precision` may be `auto` (see `model.precision`). An ONNX Runtime scorer's graph gives the pooled states
    of `state_layer` (default: the last layer) along with the logits; its torch model is freed once it is built.
    """
    precision = resolve_precision(precision)
    classifier, tokenizer = merged_classifier(manifest, weights, source)
    windows = WindowSettings(**manifest["windows"])
    graph = onnx_graph(precision)
    if graph is None:
        with_compact_embeddings(classifier)
        if precision == "bf16":
            with_bf16_linears(classifier)
        with_own_weights(classifier)
        return TransformerScorer(classifier, tokenizer, windows, precision)
    layer = bert_of(classifier).config.num_hidden_layers if state_layer is None else state_layer
    key = graph_key(manifest["backbone"]["sha256"], manifest.get("lora"), weights, layer)
    encoder = onnx_encoder(classifier, layer, graph, key)
    del classifier
    gc.collect()  # the torch model and its memory-mapped backbone file go now, not at some later collection
    return TransformerScorer(None, tokenizer, windows, precision, onnx=encoder)


def merged_classifier(manifest: dict, weights: dict[str, torch.Tensor], source: str) -> tuple[AxisClassifier, object]:
    """The classifier in fp32 with its adapters folded in, and the backbone's tokenizer."""
    recorded = manifest["backbone"]
    identity = backbone_identity(recorded["name"])
    if identity.sha256 != recorded["sha256"]:
        raise BackboneError(
            f"{source} was trained on backbone {recorded['name']} with fingerprint {recorded['sha256'][:12]}..., "
            f"but {identity.path} has {identity.sha256[:12]}...: refusing to load"
        )
    encoder, tokenizer = load_scoring_backbone(recorded["name"])
    classifier = AxisClassifier(encoder, n_labels=len(manifest["axes"]))
    lora = manifest.get("lora")
    if lora:
        add_lora(classifier, LoraSettings.from_dict(lora))
    missing, unexpected = classifier.load_state_dict(weights, strict=False)
    absent = [name for name in missing if "lora_" in name or name.startswith("head.")]
    if unexpected or absent:
        raise BackboneError(
            f"{source}: weights do not fit the classifier (unexpected {unexpected[:3]}, missing {absent[:3]})"
        )
    if lora:
        merge_lora(classifier)
    return classifier.eval(), tokenizer
