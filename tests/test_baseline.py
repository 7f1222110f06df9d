"""The TF-IDF baseline loads only scikit-learn, numpy and scipy types from its skops file."""

from __future__ import annotations

import json

import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from model.baseline import PIPELINE_FILE, TfidfScorer, load_tfidf_scorer


def test_a_stored_pipeline_loads_back(tiny_baseline):
    scorer = load_tfidf_scorer(tiny_baseline)
    assert isinstance(scorer, TfidfScorer)
    assert scorer.logits(["A data space for farms.", "Edge AI in base stations."]).shape == (2, 8)


def test_a_file_holding_foreign_code_is_refused(tmp_path):
    import skops.io as sio

    sio.dump(Pipeline([("call", FunctionTransformer(json.dumps))]), tmp_path / PIPELINE_FILE)
    with pytest.raises(ValueError, match=r"outside scikit-learn/numpy/scipy.*json"):
        load_tfidf_scorer(tmp_path)
