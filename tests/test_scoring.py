"""Scores and decisions come from the predictor, unchanged."""

from __future__ import annotations

import numpy as np

from eval.scoring import score_model, unique_keys

TEXTS = [
    "AI optimises the radio access network and puts cells to sleep at night to save energy.",
    "The village bakery renovates its shop and buys a new oven.",
    "Wir kuratieren und dokumentieren einen hochwertigen Datensatz für die Industrie.",
]


def test_scores_and_decisions_match_the_predictor(tiny_predictor, tiny_model):
    scored = score_model(tiny_predictor, TEXTS, "tiny", tiny_model, batch_size=2, progress=False)
    np.testing.assert_allclose(scored.scores, tiny_predictor.probabilities(TEXTS), atol=1e-6)
    expected = [[int(a in p.labels) for a in tiny_predictor.axes] for p in tiny_predictor.predict(TEXTS)]
    assert scored.predicted.tolist() == expected
    assert len(scored.predictions) == 3
    assert scored.describe()["name"] == tiny_predictor.name


def test_no_items_gives_empty_matrices(tiny_predictor, tiny_model):
    scored = score_model(tiny_predictor, [], "tiny", tiny_model, progress=False)
    assert scored.scores.shape == (0, 8)
    assert scored.predicted.shape == (0, 8)


def test_keys_are_numbered_only_when_names_repeat():
    assert unique_keys(["default", "tfidf"]) == ["default", "tfidf"]
    assert unique_keys(["default", "tfidf", "default"]) == ["default #1", "tfidf", "default #2"]
