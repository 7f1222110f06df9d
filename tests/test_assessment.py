"""A model's block: figures, intervals named by their paths, and the paired comparison."""

from __future__ import annotations

import pytest

from eval.assessment import assess, compare
from eval.bootstrap import draw_resamples
from eval.dataset import load_evaluation_data
from eval.metrics import figure_value
from eval.scoring import score_model
from eval.slices import item_languages, slice_masks


@pytest.fixture(scope="module")
def assessed(tiny_corpus, tiny_predictor, tiny_model):
    data = load_evaluation_data(tiny_corpus, split="all")
    model = score_model(tiny_predictor, data.texts, "tiny", tiny_model, progress=False)
    languages = item_languages(data.languages, [p.language for p in model.predictions])
    draws = draw_resamples(len(data), 40, seed=0)
    return assess(data, model, slice_masks(data.texts, languages, data.kinds), draws, seed=0)


def test_every_interval_belongs_to_a_figure(assessed):
    block = assessed.block
    for name in block["intervals"]:
        figure_value(block, name)
    per_axis = [name for name in block["intervals"] if name.startswith("per_axis.")]
    assert len(per_axis) == 8 * 5
    assert "thresholds_comparison.global.per_axis_f1.cloud" in block["intervals"]


def test_samples_are_kept_for_comparisons(assessed):
    assert assessed.samples["macro_f1"].shape == (40,)
    assert set(assessed.samples) <= set(assessed.block["intervals"])


def test_a_model_compared_with_itself(assessed):
    entry = compare(assessed, assessed)
    assert entry["test"]["difference"] == 0.0
    assert entry["test"]["p_value"] == 1.0
    assert all(f["difference"] in (0.0, None) for f in entry["figures"].values())
