"""The review flag ranks texts by their expected number of wrong axis decisions."""

from __future__ import annotations

import numpy as np

from model.review import expected_mistakes, review_cut, review_yield


def test_expected_mistakes_sums_the_doubt_of_every_decision():
    scores = np.array([[0.9, 0.1, 0.4], [0.55, 0.45, 0.5]])
    selected = scores >= 0.5
    np.testing.assert_allclose(expected_mistakes(scores, selected), [0.1 + 0.1 + 0.4, 0.45 + 0.45 + 0.5])


def test_the_cut_sends_the_chosen_share_to_review():
    rng = np.random.default_rng(0)
    scores = rng.random((1000, 8))
    selected = scores >= 0.5
    cut = review_cut(scores, selected, share=0.3)
    assert abs((expected_mistakes(scores, selected) >= cut).mean() - 0.3) < 0.01


def test_the_yield_counts_wrong_decisions_inside_flagged_texts():
    selected = np.array([[1, 0], [0, 0], [1, 1], [0, 1]])
    targets = np.array([[0, 0], [0, 1], [1, 1], [0, 1]])
    flagged = np.array([True, False, False, False])
    result = review_yield(flagged, selected, targets)
    assert result == {"flagged_share": 0.25, "errors_caught": 0.5, "texts_with_an_error_caught": 0.5}
