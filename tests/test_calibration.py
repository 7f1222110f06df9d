from __future__ import annotations

import numpy as np

from model.calibration import expected_calibration_error, fit_temperature, reliability_table, sigmoid


def test_temperature_recovers_an_overconfident_scale():
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 2, size=(4000, 1))
    targets = (rng.random(true_logits.shape) < sigmoid(true_logits)).astype(float)
    temperature = fit_temperature(true_logits * 3.0, targets)
    assert 2.5 < temperature < 3.5


def test_calibration_lowers_ece_of_overconfident_scores():
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 2, size=(3000, 8))
    targets = (rng.random(logits.shape) < sigmoid(logits)).astype(float)
    overconfident = logits * 4
    t = fit_temperature(overconfident, targets)
    assert expected_calibration_error(sigmoid(overconfident / t), targets) < expected_calibration_error(
        sigmoid(overconfident), targets
    )


def test_ece_of_a_hand_computed_case():
    probabilities = np.array([0.1, 0.1, 0.9, 0.9])
    targets = np.array([0, 1, 1, 1])
    # bin of 0.1: observed 0.5 -> gap 0.4 on 2 items; bin of 0.9: observed 1.0 -> gap 0.1 on 2 items.
    assert abs(expected_calibration_error(probabilities, targets) - 0.25) < 1e-9


def test_reliability_table_counts_everything():
    table = reliability_table(np.linspace(0, 1, 101), np.ones(101), bins=15)
    assert len(table) == 15 and sum(row["count"] for row in table) == 101
