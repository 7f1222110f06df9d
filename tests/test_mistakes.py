"""The listed mistakes: the right items, the most confident first, with evidence from the predictor."""

from __future__ import annotations

import numpy as np

from eval.mistakes import attach_evidence, find_mistakes, opening

IDS = ["a", "b", "c", "d", "e"]
TEXTS = ["text a", "text b", "text c", "text d", "text e"]
TARGETS = np.array([[0, 1], [0, 1], [1, 1], [1, 0], [0, 0]])
SCORES = np.array([[0.6, 0.2], [0.9, 0.1], [0.3, 0.8], [0.1, 0.3], [0.7, 0.3]])
PREDICTED = (SCORES >= 0.5).astype(int)


def test_false_positives_highest_score_first_and_false_negatives_lowest_first():
    mistakes = find_mistakes(IDS, TEXTS, TARGETS, SCORES, PREDICTED, [0.5, 0.5], ["x", "y"])
    x, y = mistakes["x"], mistakes["y"]
    assert [m.id for m in x.false_positives] == ["b", "e", "a"]
    assert [m.id for m in x.false_negatives] == ["d", "c"]
    assert [m.id for m in y.false_negatives] == ["b", "a"]
    assert y.false_positives == []
    first = x.false_positives[0]
    assert (first.score, first.threshold, first.true_labels, first.predicted_labels) == (0.9, 0.5, ["y"], ["x"])


def test_limit_keeps_the_total_counts():
    mistakes = find_mistakes(IDS, TEXTS, TARGETS, SCORES, PREDICTED, [0.5, 0.5], ["x", "y"], limit=1)
    assert [m.id for m in mistakes["x"].false_positives] == ["b"]
    assert (mistakes["x"].false_positive_count, mistakes["x"].false_negative_count) == (3, 2)


def test_opening_cuts_at_a_word():
    text = "Nous entraînons un modèle de fondation   pour le droit français et européen."
    assert opening(text, limit=30) == "Nous entraînons un modèle de …"
    assert opening("short text", limit=30) == "short text"


def test_evidence_comes_from_the_text(tiny_predictor):
    text = (
        "We pre-train a multilingual foundation model on European text and release checkpoints. "
        "The village bakery renovates its shop and buys a new oven."
    )
    targets = np.zeros((1, 8), dtype=int)
    predicted = np.ones((1, 8), dtype=int)
    scores = np.full((1, 8), 0.9)
    mistakes = find_mistakes(["p"], [text], targets, scores, predicted, [0.5] * 8, tiny_predictor.axes)
    attach_evidence(mistakes, tiny_predictor, {"p": text})
    evidence = mistakes["cloud"].false_positives[0].evidence
    assert evidence
    assert all(item["sentence"] in text and 0 <= item["score"] <= 1 for item in evidence)
