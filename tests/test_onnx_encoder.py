"""The int8 encoder under ONNX Runtime: built from the torch model once, cached, and close to fp32."""

from __future__ import annotations

import numpy as np
import pytest

import model.onnx_encoder
from model.onnx_export import OnnxExportError
from model.precision import FP32_ONNX, SHIPPED_INT8
from model.predictor import Predictor
from tests.test_predictor import LONG_TEXT

TEXTS = ["AI optimises the radio access network.", "Nous construisons un cloud souverain.", LONG_TEXT]


@pytest.fixture
def fresh_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("AXISTAG_HOME", str(tmp_path))
    return tmp_path / "onnx"


def test_int8_scores_close_to_fp32_and_drops_the_torch_model(tiny_model, tiny_predictor):
    int8 = Predictor.load(tiny_model, precision="int8")
    encoder = int8.encoder
    assert encoder.classifier is None and encoder.onnx is not None
    assert encoder.config.num_hidden_layers == tiny_predictor.encoder.config.num_hidden_layers
    np.testing.assert_allclose(int8.probabilities(TEXTS), tiny_predictor.probabilities(TEXTS), atol=0.05)
    assert int8.probabilities([]).shape == (0, 8)


def test_fp32_onnx_scores_as_torch_fp32_does_without_the_torch_model(tiny_model, tiny_predictor):
    onnx = Predictor.load(tiny_model, precision=FP32_ONNX)
    assert onnx.encoder.classifier is None and onnx.encoder.onnx is not None
    # torch fp32 keeps its word-embedding table in fp16 (`with_compact_embeddings`): about 1e-4 of difference
    np.testing.assert_allclose(onnx.probabilities(TEXTS), tiny_predictor.probabilities(TEXTS), atol=1e-3)


def test_every_recipe_loads_and_scores(tiny_model, tiny_predictor):
    for recipe in model.onnx_encoder.RECIPES:
        scores = Predictor.load(tiny_model, precision=recipe).probabilities(TEXTS[:1])
        np.testing.assert_allclose(scores, tiny_predictor.probabilities(TEXTS[:1]), atol=0.05)


def test_only_the_first_load_exports_and_quantises(tiny_model, fresh_cache, monkeypatch):
    first = Predictor.load(tiny_model, precision="int8").probabilities(TEXTS)
    [folder] = fresh_cache.iterdir()
    written = {path.name: path.stat().st_mtime_ns for path in folder.iterdir()}
    assert len(written) == 2 and "fp32.onnx" in written
    assert any(name.startswith(f"{SHIPPED_INT8}-") for name in written)

    def refuse(*_):
        raise AssertionError("the cached graph should have been reused")

    monkeypatch.setattr(model.onnx_encoder, "export_classifier", refuse)
    monkeypatch.setattr(model.onnx_encoder, "quantise", refuse)
    again = Predictor.load(tiny_model, precision="int8").probabilities(TEXTS)
    np.testing.assert_array_equal(first, again)
    Predictor.load(tiny_model, precision=FP32_ONNX).probabilities(TEXTS)  # the same fp32 graph
    assert {path.name: path.stat().st_mtime_ns for path in folder.iterdir()} == written


def test_a_cached_graph_that_no_longer_matches_the_weights_is_refused(tiny_model, fresh_cache):
    Predictor.load(tiny_model, precision="int8")
    [folder] = fresh_cache.iterdir()
    other = fresh_cache / "other.onnx"
    model.onnx_encoder.export_classifier(_tiny_classifier(tiny_model), 1, other)
    other.replace(folder / "fp32.onnx")  # a graph of the states of another layer, under this model's name
    for precision in ("int8", FP32_ONNX):
        with pytest.raises(OnnxExportError, match="refusing the ONNX path"):
            Predictor.load(tiny_model, precision=precision)


def test_the_int8_graph_gives_the_states_of_the_layer_it_was_exported_for(tiny_model):
    scorer = Predictor.load(tiny_model, precision="int8").encoder
    logits, states = scorer.logits_and_states(TEXTS, scorer.config.num_hidden_layers)
    assert logits.shape == (3, 8) and states.shape == (3, scorer.hidden_size)
    with pytest.raises(ValueError, match="not 1"):
        scorer.logits_and_states(TEXTS, 1)


def _tiny_classifier(tiny_model):
    from safetensors.torch import load_file

    from model.folder import read_manifest
    from model.transformer_scorer import WEIGHTS_FILE, merged_classifier

    return merged_classifier(read_manifest(tiny_model), load_file(tiny_model / WEIGHTS_FILE), "tiny")[0]
