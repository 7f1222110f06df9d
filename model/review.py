"""How doubtful a prediction is: the expected number of wrong axis decisions under the calibrated scores.

With calibrated scores, an axis selected at score p is wrong with probability 1 - p and an axis left out
is wrong with probability p; their sum counts every doubt of a text at once, so a text with several
middling scores (an AI text that got no axis, say) ranks above one with a single close call. The cut
above which a text goes to review is chosen on real texts out-of-fold, as a share of texts to review.
"""

from __future__ import annotations

import numpy as np

REVIEW_SHARE = 0.3  # the share of real texts the cut sends to review


def expected_mistakes(scores: np.ndarray, selected: np.ndarray) -> np.ndarray:
    """Per text (rows), the sum over axes of the probability that the axis decision is wrong."""
    scores = np.asarray(scores, dtype=float)
    return np.where(np.asarray(selected, dtype=bool), 1.0 - scores, scores).sum(axis=-1)


def review_cut(scores: np.ndarray, selected: np.ndarray, share: float = REVIEW_SHARE) -> float:
    """The expected-mistakes level above which `share` of these texts fall."""
    return float(np.quantile(expected_mistakes(scores, selected), 1.0 - share))


def review_yield(flagged: np.ndarray, selected: np.ndarray, targets: np.ndarray) -> dict:
    """Share of texts flagged, and share of the wrong axis decisions (and of texts with one) they hold."""
    wrong = np.asarray(selected, dtype=bool) != np.asarray(targets, dtype=bool)
    flagged = np.asarray(flagged, dtype=bool)
    return {
        "flagged_share": float(flagged.mean()) if len(flagged) else 0.0,
        "errors_caught": float(wrong[flagged].sum() / wrong.sum()) if wrong.any() else None,
        "texts_with_an_error_caught": float((wrong.any(1) & flagged).sum() / wrong.any(1).sum())
        if wrong.any()
        else None,
    }
