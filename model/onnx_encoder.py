"""The encoder classifier run by ONNX Runtime: an fp32 graph checked against torch, then quantised to int8.

Built from the merged torch classifier once; the graphs are cached (`model.onnx_cache`), so later loads only
re-check the fp32 graph against torch and open the int8 one. The caller drops the torch model afterwards.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from model.classifier import AxisClassifier, bert_of
from model.onnx_cache import cached_file, onnx_cache_dir, weights_key
from model.onnx_export import OUTPUTS, check_export, export_classifier
from model.onnx_quantise import RECIPES, quantise


@dataclass
class OnnxEncoder:
    """An ONNX Runtime session giving each window's logits and its pooled state at `layer`."""

    session: object
    layer: int
    n_labels: int
    hidden_size: int
    config: object  # the encoder's configuration, for figures that count its operations

    def run(self, ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        logits, states = self.session.run(list(OUTPUTS), {"input_ids": ids, "attention_mask": mask})
        return logits, states


def open_session(path: Path, threads: int):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def graph_paths(classifier: AxisClassifier, layer: int, recipe: str) -> tuple[Path, Path]:
    """The fp32 and int8 graph files of this classifier, written into the cache unless already there."""
    if recipe not in RECIPES:
        raise ValueError(f"unknown int8 recipe {recipe!r}; choose one of {', '.join(RECIPES)}")
    folder = onnx_cache_dir() / weights_key(classifier.state_dict(), layer)
    fp32 = cached_file(folder / "fp32.onnx", lambda path: export_classifier(classifier, layer, path))
    check_export(classifier, layer, fp32)
    definition = hashlib.sha256(repr(RECIPES[recipe]).encode()).hexdigest()[:12]  # a changed recipe: a new file
    int8 = cached_file(folder / f"{recipe}-{definition}.onnx", lambda path: quantise(fp32, path, RECIPES[recipe]))
    return fp32, int8


def onnx_encoder(classifier: AxisClassifier, layer: int, recipe: str) -> OnnxEncoder:
    """The int8 session of a merged fp32 classifier; raises `OnnxExportError` if the export is not faithful."""
    _, int8 = graph_paths(classifier, layer, recipe)
    config = bert_of(classifier).config
    session = open_session(int8, torch.get_num_threads())
    return OnnxEncoder(session, layer, classifier.head.out_features, classifier.head.in_features, config)
