from __future__ import annotations

import numpy as np

from model.thresholds import SHRINK_STRENGTH, best_axis_thresholds, best_global_threshold, choose_thresholds


def synthetic_scores(seed: int, n: int = 600, axes: int = 4, offsets=(0.0, 0.0, 0.0, 0.0)):
    rng = np.random.default_rng(seed)
    targets = (rng.random((n, axes)) < 0.3).astype(int)
    scores = np.clip(0.35 * targets + rng.normal(0.3, 0.12, (n, axes)) + np.asarray(offsets), 0, 1)
    return scores, targets


def test_global_threshold_separates_shifted_scores():
    scores, targets = synthetic_scores(0)
    assert 0.35 < best_global_threshold(scores, targets) < 0.6


def test_axis_thresholds_follow_shifted_axes_and_shrink_toward_global():
    scores, targets = synthetic_scores(1, offsets=(0.0, 0.25, 0.0, 0.0))
    global_t = best_global_threshold(scores, targets)
    per_axis = best_axis_thresholds(scores, targets, global_t)
    assert per_axis[1] > per_axis[0] + 0.1


def test_axis_with_few_positives_stays_near_global():
    scores, targets = synthetic_scores(2, n=200)
    targets[:, 2] = 0
    targets[:3, 2] = 1
    per_axis = best_axis_thresholds(scores, targets, fallback=0.5)
    weight = 3 / (3 + SHRINK_STRENGTH)
    assert abs(per_axis[2] - 0.5) <= weight * 0.5 + 1e-9


def test_choice_is_per_axis_only_when_it_wins_out_of_fold():
    shifted, targets = synthetic_scores(3, n=1500, offsets=(0.0, 0.3, -0.15, 0.0))
    assert choose_thresholds(shifted, targets).mode == "per_axis"
    plain, targets = synthetic_scores(4, n=150)
    choice = choose_thresholds(plain, targets)
    assert choice.mode in {"global", "per_axis"}
    assert len(choice.selected) == 4
