"""The ensemble mixes calibrated member probabilities, and loads as one model folder."""

from __future__ import annotations

import numpy as np
import pytest

from model.baseline import ARRAYS_FILE, TFIDF_FILES
from model.calibration import sigmoid
from model.ensemble import Blend, EnsembleScorer, blend_logits
from model.folder import ModelFolderError, read_manifest
from model.predictor import Predictor
from tests.fixtures import THREE_LANGUAGES

TEXTS = THREE_LANGUAGES


def test_a_full_weight_member_is_that_member_calibrated():
    rng = np.random.default_rng(0)
    encoder, tfidf = rng.normal(size=(5, 8)) * 3, rng.normal(size=(5, 8)) * 3
    blend = Blend(transformer_weight=1.0, transformer_temperature=2.0, tfidf_temperature=0.5)
    np.testing.assert_allclose(blend_logits(encoder, tfidf, blend), encoder / 2.0, rtol=1e-4, atol=1e-4)
    only_tfidf = Blend(transformer_weight=0.0, transformer_temperature=2.0, tfidf_temperature=0.5)
    np.testing.assert_allclose(blend_logits(encoder, tfidf, only_tfidf), tfidf / 0.5, rtol=1e-4, atol=1e-4)


def test_an_even_blend_averages_the_probabilities():
    encoder = np.array([[4.0, -4.0, 0.0]])
    tfidf = np.array([[-4.0, -4.0, 2.0]])
    blend = Blend(transformer_weight=0.5, transformer_temperature=1.0, tfidf_temperature=1.0)
    mixed = sigmoid(blend_logits(encoder, tfidf, blend))
    np.testing.assert_allclose(mixed, (sigmoid(encoder) + sigmoid(tfidf)) / 2, rtol=1e-5)


def test_certain_members_give_finite_logits():
    blend = Blend(transformer_weight=0.5, transformer_temperature=1.0, tfidf_temperature=1.0)
    extreme = blend_logits(np.full((1, 8), 1e4), np.full((1, 8), 1e4), blend)
    assert np.isfinite(extreme).all() and (extreme > 10).all()


def test_the_folder_holds_both_members_and_their_blend(tiny_ensemble):
    manifest = read_manifest(tiny_ensemble)
    assert manifest["kind"] == "ensemble"
    assert set(manifest["files"]) == {"adapter_and_head.safetensors", *TFIDF_FILES}
    assert set(manifest["member_validation_macro_f1"]) == {"transformer", "tfidf"}
    assert manifest["ensemble"]["transformer_weight"] == 0.5
    assert "Ensemble" in (tiny_ensemble / "README.md").read_text()


def test_the_predictor_scores_through_both_members(tiny_ensemble):
    predictor = Predictor.load(tiny_ensemble)
    scorer = predictor.scorer
    assert isinstance(scorer, EnsembleScorer)
    assert predictor.encoder is scorer.transformer
    expected = blend_logits(scorer.transformer.logits(TEXTS), scorer.tfidf.logits(TEXTS), scorer.blend)
    np.testing.assert_allclose(predictor.probabilities(TEXTS), sigmoid(expected / predictor.temperature), rtol=1e-5)
    assert [len(p.scores) for p in predictor.predict(TEXTS)] == [8, 8, 8]


def test_a_changed_member_is_refused(tiny_ensemble, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(tiny_ensemble, copy)
    with open(copy / ARRAYS_FILE, "ab") as file:
        file.write(b"\0")
    with pytest.raises(ModelFolderError, match=ARRAYS_FILE):
        Predictor.load(copy)
