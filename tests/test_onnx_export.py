"""The ONNX export of the merged classifier, and the check that refuses a graph that computes otherwise."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import numpy_helper
from safetensors.torch import load_file

from model.folder import read_manifest
from model.onnx_export import OUTPUTS, OnnxExportError, check_export, check_inputs, export_classifier
from model.transformer_scorer import WEIGHTS_FILE, merged_classifier


@pytest.fixture(scope="module")
def tiny_classifier(tiny_model):
    classifier, _ = merged_classifier(read_manifest(tiny_model), load_file(tiny_model / WEIGHTS_FILE), "tiny")
    return classifier


@pytest.fixture(scope="module")
def exported(tiny_classifier, tmp_path_factory):
    path = tmp_path_factory.mktemp("onnx") / "fp32.onnx"
    export_classifier(tiny_classifier, 1, path)
    return path


def test_the_export_gives_logits_and_states_as_torch_does(tiny_classifier, exported):
    assert check_export(tiny_classifier, 1, exported) <= 1e-4
    graph = onnx.load(str(exported)).graph
    assert [output.name for output in graph.output] == list(OUTPUTS)
    assert [dimension.dim_param for dimension in graph.input[0].type.tensor_type.shape.dim] == ["batch", "tokens"]


def test_attention_is_traced_without_the_nan_guard_of_scaled_dot_product_attention(tiny_classifier, exported):
    graph = onnx.load(str(exported)).graph
    kinds = [node.op_type for node in graph.node]
    assert "IsNaN" not in kinds
    assert kinds.count("Softmax") == tiny_classifier.encoder.config.num_hidden_layers


def test_batch_and_sequence_lengths_stay_free(exported, tiny_classifier):
    import onnxruntime

    session = onnxruntime.InferenceSession(str(exported), providers=["CPUExecutionProvider"])
    for ids, mask in check_inputs(tiny_classifier.encoder.config.vocab_size):
        logits, states = session.run(list(OUTPUTS), {"input_ids": ids, "attention_mask": mask})
        assert logits.shape == (len(ids), 8) and states.shape == (len(ids), tiny_classifier.head.in_features)


def test_a_tampered_export_is_refused(tiny_classifier, exported, tmp_path):
    model = onnx.load(str(exported))
    head = next(tensor for tensor in model.graph.initializer if tensor.name.endswith("head.weight"))
    head.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(head) * np.float32(1.01), head.name))
    tampered = tmp_path / "tampered.onnx"
    onnx.save(model, str(tampered))
    with pytest.raises(OnnxExportError, match="refusing the ONNX path"):
        check_export(tiny_classifier, 1, tampered)


def test_a_graph_for_another_layer_is_refused(tiny_classifier, exported):
    with pytest.raises(OnnxExportError, match="states"):
        check_export(tiny_classifier, 2, exported)


def test_a_file_that_is_no_graph_is_refused(tiny_classifier, tmp_path):
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a graph")
    with pytest.raises(OnnxExportError, match="cannot be run"):
        check_export(tiny_classifier, 1, broken)
