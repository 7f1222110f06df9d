"""The cache of exported graphs: keyed by the weights, written whole or not at all."""

from __future__ import annotations

import os
import time

import pytest
import torch

from model.onnx_cache import STALE_DAYS, cached_file, graph_key, onnx_cache_dir, use_folder

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


def test_using_a_folder_removes_the_folders_no_load_used_for_a_month(tmp_path):
    now = time.time()
    stale, recent, current = tmp_path / "stale", tmp_path / "recent", tmp_path / "current"
    for folder, days in ((stale, STALE_DAYS + 1), (recent, STALE_DAYS - 1), (current, STALE_DAYS + 5)):
        folder.mkdir()
        (folder / "fp32.onnx").write_bytes(b"graph")
        os.utime(folder, (now - days * 86_400, now - days * 86_400))
    (tmp_path / "note.txt").write_text("not a key folder")
    os.utime(tmp_path / "note.txt", (now - 400 * 86_400, now - 400 * 86_400))
    assert use_folder(current, now) == current
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current", "note.txt", "recent"]
    assert current.stat().st_mtime == pytest.approx(now)
    assert (current / "fp32.onnx").is_file()


def test_a_new_key_folder_is_created_when_used(tmp_path):
    assert use_folder(tmp_path / "onnx" / "k").is_dir()
