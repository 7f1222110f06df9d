"""The TF-IDF member: stored as plain arrays, it scores exactly as the scikit-learn pipeline it came from;
folders that still hold the pipeline (skops) load, only with scikit-learn, numpy and scipy types."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from model.baseline import (
    LEGACY_PIPELINE_FILE,
    TFIDF_FILES,
    TfidfScorer,
    build_tfidf_pipeline,
    convert_legacy_member,
    load_tfidf_scorer,
)
from model.folder import read_manifest, write_model_folder
from training.corpus import load_corpus, multi_hot

# Accents, capitals, apostrophes, digits, runs of spaces and tabs, one-letter words, non-Latin scripts,
# a word shorter than the n-grams, unknown words only, and nothing at all.
AWKWARD = [
    "Nous pré-entraînons un modèle de fondation souverain pour le droit français.",
    "An operator uses AI to put   radio cells\tto sleep at night; 20% less energy.",
    "Wir bauen einen Datenraum für Krankenhäuser auf – DSGVO-konform, ÄÖÜ ß.",
    "Το έργο αναπτύσσει ανοιχτό μοντέλο θεμελίωσης. Ĳ ﬁ ① Å",
    "a b c",
    "zzqx",
    "",
]


@pytest.fixture(scope="module")
def fitted(tiny_corpus) -> Pipeline:
    corpus = load_corpus(tiny_corpus)
    pipeline = build_tfidf_pipeline()
    pipeline.fit(list(corpus["text"]), multi_hot(corpus))
    return pipeline


def test_the_arrays_score_as_the_pipeline(fitted, tiny_corpus):
    texts = list(load_corpus(tiny_corpus)["text"]) + AWKWARD
    expected = fitted.decision_function(texts)
    np.testing.assert_allclose(TfidfScorer.from_pipeline(fitted).logits(texts), expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", ["words", "chars"])
def test_each_reader_finds_the_vectorizers_terms(fitted, name):
    vectorizer = fitted.named_steps["features"].get_params()[name]
    reader = TfidfScorer.from_pipeline(fitted).blocks[["words", "chars"].index(name)].reader
    analyse = vectorizer.build_analyzer()
    for text in AWKWARD:
        assert sorted(reader.terms(text)) == sorted(analyse(text))


def test_the_member_written_and_read_back_scores_the_same(fitted, tmp_path):
    member = TfidfScorer.from_pipeline(fitted)
    write_model_folder(tmp_path / "m", {"kind": "tfidf"}, member.writers(), "card")
    assert set(read_manifest(tmp_path / "m")["files"]) == set(TFIDF_FILES)
    loaded = load_tfidf_scorer(tmp_path / "m")
    np.testing.assert_array_equal(loaded.logits(AWKWARD), member.logits(AWKWARD))
    assert loaded.logits([]).shape == (0, 8)


def test_a_legacy_folder_loads_and_converts_to_the_same_scores(fitted, tmp_path):
    import skops.io as sio

    folder = tmp_path / "legacy"
    write_model_folder(
        folder, {"kind": "tfidf", "name": "x"}, {LEGACY_PIPELINE_FILE: lambda p: sio.dump(fitted, p)}, "card"
    )
    expected = fitted.decision_function(AWKWARD)
    np.testing.assert_allclose(load_tfidf_scorer(folder).logits(AWKWARD), expected, rtol=0, atol=1e-6)
    convert_legacy_member(folder)
    manifest = read_manifest(folder)
    assert set(manifest["files"]) == set(TFIDF_FILES) and manifest["name"] == "x"
    assert not (folder / LEGACY_PIPELINE_FILE).exists() and (folder / "README.md").read_text() == "card"
    np.testing.assert_allclose(load_tfidf_scorer(folder).logits(AWKWARD), expected, rtol=0, atol=1e-6)


def test_training_writes_the_array_format(tiny_baseline):
    assert set(read_manifest(tiny_baseline)["files"]) == set(TFIDF_FILES)
    logits = load_tfidf_scorer(tiny_baseline).logits(["A data space for farms.", "Edge AI in base stations."])
    assert logits.shape == (2, 8)


def test_a_legacy_file_holding_foreign_code_is_refused(tmp_path):
    import skops.io as sio

    sio.dump(Pipeline([("call", FunctionTransformer(json.dumps))]), tmp_path / LEGACY_PIPELINE_FILE)
    with pytest.raises(ValueError, match=r"outside scikit-learn/numpy/scipy.*json"):
        load_tfidf_scorer(tmp_path)


def test_settings_the_reader_does_not_reproduce_are_refused():
    pipeline = build_tfidf_pipeline().set_params(features__words__binary=True)
    with pytest.raises(ValueError, match="binary"):
        TfidfScorer.from_pipeline(pipeline)
