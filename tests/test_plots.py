"""Each plot is a real PNG with something drawn on it, including on degenerate data."""

from __future__ import annotations

import io
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from eval.plots import (
    COLOURS,
    Plot,
    axes_per_item,
    cooccurrence,
    pr_curves,
    reliability_diagram,
    slice_bars,
    threshold_curves,
)
from model.axes import AXES
from model.calibration import reliability_table

FIRST_COLOUR = tuple(int(COLOURS[0][i : i + 2], 16) for i in (1, 3, 5))


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(0)
    targets = (rng.random((40, 8)) < 0.3).astype(int)
    targets[:, AXES.index("telecom")] = 0  # an axis with no positives
    scores = np.clip(0.5 * targets + 0.5 * rng.random((40, 8)), 0, 1)
    return targets, SimpleNamespace(key="m", scores=scores, predicted=(scores >= 0.5).astype(int))


def _image(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _draws_first_colour(png: bytes) -> bool:
    pixels = _image(png).reshape(-1, 3).astype(int)
    return bool((np.abs(pixels - FIRST_COLOUR).sum(axis=1) < 30).sum() > 200)


def test_pr_curves(model):
    targets, scored = model
    assert _draws_first_colour(pr_curves(targets, [scored], AXES))


def test_threshold_curves(model):
    targets, scored = model
    comparison = {"selected": "global", "global_threshold": 0.5, "per_axis": {"thresholds": dict.fromkeys(AXES, 0.4)}}
    assert _draws_first_colour(threshold_curves(targets, scored, comparison, AXES))


def test_reliability_diagram(model):
    targets, scored = model
    calibration = {"ece": 0.1, "reliability": reliability_table(scored.scores, targets, bins=15)}
    assert _draws_first_colour(reliability_diagram([("m", calibration)]))


def test_cooccurrence_with_one_and_three_models(model):
    targets, scored = model
    one = _image(cooccurrence(targets, [scored], AXES))
    three = _image(cooccurrence(targets, [scored, scored, scored], AXES))
    assert one.shape[1] == three.shape[1]  # two panels a row, more rows for more models
    assert three.shape[0] > 1.8 * one.shape[0]


def test_axes_per_item_draws_the_truth_and_each_model(model):
    targets, scored = model
    assert _draws_first_colour(axes_per_item(targets, [scored]))


def test_slice_bars_with_an_undefined_value():
    block = {
        "model": {"key": "m"},
        "slices": {"language": {"fr": {"items": 30, "macro_f1": 0.7}, "pl": {"items": 2, "macro_f1": None}}},
        "intervals": {"slices.language.fr.macro_f1": [0.6, 0.8], "slices.language.pl.macro_f1": None},
    }
    assert _draws_first_colour(slice_bars("language", [block]))


def test_data_uri():
    assert Plot("p", "t", "c", b"\x89PNG").data_uri == "data:image/png;base64,iVBORw=="
