"""The vectorised resampled figures agree with scikit-learn, and the intervals behave as intervals."""

from __future__ import annotations

import numpy as np
import pytest

from eval.bootstrap import (
    draw_resamples,
    ece_samples,
    paired_difference,
    per_axis_samples,
    percentile_interval,
    summary_samples,
    weighted_roc_auc,
)
from eval.metrics import decide, per_axis_metrics, summary_metrics
from model.calibration import expected_calibration_error

AXES = tuple(f"axis{i}" for i in range(5))


@pytest.fixture(scope="module")
def scored():
    """200 items, 5 axes, scores rounded to create ties; the last axis has no positives."""
    rng = np.random.default_rng(3)
    targets = (rng.random((200, 5)) < 0.3).astype(int)
    targets[:, -1] = 0
    scores = np.round(np.clip(0.45 * targets + 0.55 * rng.random((200, 5)), 0, 1), 2)
    return targets, scores, decide(scores, 0.5)


def _as_array(values: dict, axis_figure: str) -> np.ndarray:
    return np.array([np.nan if values[a][axis_figure] is None else values[a][axis_figure] for a in AXES])


def test_unit_weights_reproduce_the_point_estimates(scored):
    targets, scores, predicted = scored
    ones = np.ones((1, len(targets)))
    expected = summary_metrics(targets, predicted)
    resampled = summary_samples(targets, predicted, ones)
    for name, value in expected.items():
        assert resampled[name][0] == pytest.approx(np.nan if value is None else value, nan_ok=True), name
    expected_axes = per_axis_metrics(targets, scores, predicted, [0.5] * len(AXES), AXES)
    resampled_axes = per_axis_samples(targets, scores, predicted, ones)
    for figure, values in resampled_axes.items():
        np.testing.assert_allclose(values[0], _as_array(expected_axes, figure), equal_nan=True, err_msg=figure)


def test_each_resample_equals_scikit_learn_on_the_drawn_items(scored):
    targets, scores, predicted = scored
    draws = draw_resamples(len(targets), 5, seed=1)
    summaries = summary_samples(targets, predicted, draws.counts)
    per_axis = per_axis_samples(targets, scores, predicted, draws.counts)
    for b, drawn in enumerate(draws.indices):
        expected = summary_metrics(targets[drawn], predicted[drawn])
        for name, value in expected.items():
            assert summaries[name][b] == pytest.approx(np.nan if value is None else value, nan_ok=True), name
        expected_axes = per_axis_metrics(targets[drawn], scores[drawn], predicted[drawn], [0.5] * 5, AXES)
        for figure, values in per_axis.items():
            np.testing.assert_allclose(values[b], _as_array(expected_axes, figure), equal_nan=True, err_msg=figure)


def test_counts_match_the_drawn_indices():
    draws = draw_resamples(7, 4, seed=0)
    for row, drawn in zip(draws.counts, draws.indices, strict=True):
        np.testing.assert_array_equal(row, np.bincount(drawn, minlength=7))
    assert draws.counts.sum(axis=1).tolist() == [7] * 4


def test_draws_are_reproducible_and_streams_independent():
    first = draw_resamples(50, 20, seed=5, stream="items")
    np.testing.assert_array_equal(first.indices, draw_resamples(50, 20, seed=5, stream="items").indices)
    assert not np.array_equal(first.indices, draw_resamples(50, 20, seed=5, stream="slices.fr").indices)
    assert not np.array_equal(first.indices, draw_resamples(50, 20, seed=6, stream="items").indices)


def test_intervals_contain_the_point_estimates(scored):
    targets, scores, predicted = scored
    draws = draw_resamples(len(targets), 400, seed=0)
    resampled = summary_samples(targets, predicted, draws.counts)
    for name, value in summary_metrics(targets, predicted).items():
        if value is None:
            continue
        low, high = percentile_interval(resampled[name])
        assert low <= value <= high, name
        assert low < high, name
    low, high = percentile_interval(ece_samples(targets, scores, draws, bins=15))
    assert low <= expected_calibration_error(scores, targets, bins=15) <= high


def test_an_undefined_figure_has_no_interval():
    assert percentile_interval(np.full(10, np.nan)) is None
    assert percentile_interval(np.array([np.nan, 0.2, 0.4])) == pytest.approx([0.205, 0.395])


def test_roc_auc_with_ties_counts_half():
    counts = np.ones((1, 4))
    auc = weighted_roc_auc(np.array([1, 0, 1, 0]), np.array([0.5, 0.5, 0.9, 0.1]), counts)
    # pairs: (0.5+, 0.5-) tie 0.5; (0.5+, 0.1-) 1; (0.9+, 0.5-) 1; (0.9+, 0.1-) 1
    assert auc[0] == pytest.approx(3.5 / 4)


def test_paired_difference_of_a_model_with_itself():
    samples = np.random.default_rng(0).random(200)
    result = paired_difference(samples, samples, observed=0.0)
    assert result["difference"] == 0.0
    assert result["interval"] == [0.0, 0.0]
    assert result["p_value"] == 1.0


def test_paired_difference_detects_a_consistent_gap():
    rng = np.random.default_rng(0)
    reference = rng.normal(0.6, 0.05, 1000)
    better = reference + rng.normal(0.05, 0.01, 1000)
    result = paired_difference(better, reference, observed=0.05)
    assert result["p_value"] < 0.01
    low, high = result["interval"]
    assert 0 < low < 0.05 < high


def test_paired_difference_without_an_observed_value():
    assert paired_difference(np.ones(5), np.ones(5), observed=None) == {
        "difference": None,
        "interval": None,
        "p_value": None,
    }
