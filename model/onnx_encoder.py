"""The encoder classifier run by ONNX Runtime: an fp32 graph checked against torch, and its int8 versions.

Built from the merged torch classifier once: exported, then quantised per recipe (`model.onnx_quantise`). The
graphs are cached (`model.onnx_cache`), so later loads only re-check the fp32 graph against torch and open the
graph asked for. The caller drops the torch model afterwards.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from model.classifier import AxisClassifier, bert_of
from model.onnx_cache import cached_file, onnx_cache_dir, use_folder
from model.onnx_export import OUTPUTS, check_export, export_classifier
from model.onnx_quantise import RECIPES, quantise

FP32 = "fp32"  # the name of the exported fp32 graph itself; any other is an int8 recipe's
# Whether idle intra-op threads spin waiting for work. Not spinning, on 2 cores shared with other work, the fp32
# graph ran 1.2x and the int8 one 1.3x faster: spinning threads take the cores the other threads need. On an idle
# machine the fp32 graph then ran as fast as torch fp32 (0.99x).
SPINNING = False


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
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if SPINNING else "0")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def graph_path(classifier: AxisClassifier, layer: int, graph: str, key: str) -> Path:
    """The file of graph `graph` (`FP32` or an int8 recipe), written into the cache folder `key` unless there.

    The fp32 graph is checked against torch on every call, as every other graph is derived from it.
    """
    if graph != FP32 and graph not in RECIPES:
        raise ValueError(f"unknown ONNX graph {graph!r}; choose {FP32} or one of {', '.join(RECIPES)}")
    folder = use_folder(onnx_cache_dir() / key)
    fp32 = cached_file(folder / "fp32.onnx", lambda path: export_classifier(classifier, layer, path))
    check_export(classifier, layer, fp32)
    if graph == FP32:
        return fp32
    definition = hashlib.sha256(repr(RECIPES[graph]).encode()).hexdigest()[:12]  # a changed recipe: a new file
    return cached_file(folder / f"{graph}-{definition}.onnx", lambda path: quantise(fp32, path, RECIPES[graph]))


def onnx_encoder(classifier: AxisClassifier, layer: int, graph: str, key: str) -> OnnxEncoder:
    """The session of a merged fp32 classifier's graph `graph`, cached under `key` (`model.onnx_cache.graph_key`).

    Raises `OnnxExportError` if the export is not faithful.
    """
    path = graph_path(classifier, layer, graph, key)
    config = bert_of(classifier).config
    session = open_session(path, torch.get_num_threads())
    return OnnxEncoder(session, layer, classifier.head.out_features, classifier.head.in_features, config)
