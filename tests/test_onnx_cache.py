"""The cache of exported graphs: keyed by the weights, written whole or not at all."""

from __future__ import annotations

import pytest
import torch

from model.onnx_cache import cached_file, graph_key, onnx_cache_dir

BACKBONE = "ab" * 32
LORA = {"rank": 16, "alpha": 32, "layers": [9, 10, 11]}


def test_the_key_follows_the_backbone_the_adapters_every_trained_weight_and_the_layer():
    state = {"a": torch.zeros(3, 2), "b": torch.ones(4)}
    key = graph_key(BACKBONE, LORA, state, 9)
    assert key == graph_key(BACKBONE, dict(reversed(LORA.items())), {n: t.clone() for n, t in state.items()}, 9)
    assert key != graph_key(BACKBONE, LORA, state, 8)
    assert key != graph_key("cd" * 32, LORA, state, 9)
    assert key != graph_key(BACKBONE, {**LORA, "layers": [10, 11]}, state, 9)
    assert key != graph_key(BACKBONE, None, state, 9)
    changed = {**state, "a": state["a"].clone()}
    changed["a"][1, 1] = 1e-6
    assert key != graph_key(BACKBONE, LORA, changed, 9)
    assert key != graph_key(BACKBONE, LORA, {**state, "a": state["a"].half()}, 9)


def test_a_cached_file_is_written_once(tmp_path):
    calls = []

    def write(path):
        calls.append(path)
        path.write_text("graph")

    target = tmp_path / "key" / "fp32.onnx"
    assert cached_file(target, write).read_text() == "graph"
    assert cached_file(target, write) == target
    assert len(calls) == 1 and calls[0] != target
    assert sorted(path.name for path in target.parent.iterdir()) == ["fp32.onnx"]


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    def fail(path):
        path.write_text("half a gra")
        raise RuntimeError("disk full")

    target = tmp_path / "int8.onnx"
    with pytest.raises(RuntimeError, match="disk full"):
        cached_file(target, fail)
    assert list(tmp_path.iterdir()) == []


def test_the_cache_lives_under_axistag_home(monkeypatch, tmp_path):
    monkeypatch.setenv("AXISTAG_HOME", str(tmp_path))
    assert onnx_cache_dir() == tmp_path / "onnx"
