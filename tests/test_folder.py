"""Model folders: round trip, tampering and a swapped backbone are refused with a clear error."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from model.backbone import BackboneError
from model.folder import MANIFEST, ModelFolderError, read_manifest
from model.predictor import Predictor

TEXTS = ["We pre-train a multilingual foundation model.", "Travaux de voirie rue principale."]


def test_folder_is_self_describing(tiny_model):
    manifest = read_manifest(tiny_model)
    for key in (
        "axes",
        "thresholds",
        "calibration",
        "windows",
        "backbone",
        "training",
        "validation",
        "code_version",
        "lora",
        "files",
        "languages",
    ):
        assert key in manifest
    assert manifest["training"]["data_sha256"]
    assert all(name.endswith(".safetensors") for name in manifest["files"])
    assert (tiny_model / "README.md").read_text().startswith("# axistag model")
    assert not list(tiny_model.glob("*.bin")) and not list(tiny_model.glob("*.pt"))


def test_round_trip_gives_identical_scores(tiny_model, tiny_predictor):
    again = Predictor.load(tiny_model)
    np.testing.assert_array_equal(again.probabilities(TEXTS), tiny_predictor.probabilities(TEXTS))


def test_tampered_weights_are_refused(tiny_model, tmp_path):
    copy = shutil.copytree(tiny_model, tmp_path / "copy")
    weights = next(copy.glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:-4] + b"\0\0\0\0")
    with pytest.raises(ModelFolderError, match="modified or corrupted"):
        Predictor.load(copy)


def test_missing_file_is_refused(tiny_model, tmp_path):
    copy = shutil.copytree(tiny_model, tmp_path / "copy")
    next(copy.glob("*.safetensors")).unlink()
    with pytest.raises(ModelFolderError, match="missing"):
        Predictor.load(copy)


def test_other_backbone_is_refused(tiny_model, tmp_path):
    copy = shutil.copytree(tiny_model, tmp_path / "copy")
    manifest = json.loads((copy / MANIFEST).read_text())
    manifest["backbone"]["sha256"] = "0" * 64
    (copy / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(BackboneError, match="refusing to load"):
        Predictor.load(copy)


def test_not_a_model_folder(tmp_path):
    with pytest.raises(ModelFolderError, match="not an axistag model folder"):
        Predictor.load(tmp_path)
