"""The one scoring API shared by the service, relabelling and evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from model.deadline import Deadline, DeadlinePassedError
from model.predictor import Predictor, ScoringFailure
from model.safe_text import safe_text
from tests.fixtures import FailsOn

LONG_TEXT = " ".join(["The hospital deploys AI triage in its emergency department with nurses and indicators."] * 30)


def test_scores_every_axis_with_thresholds(tiny_predictor):
    [prediction] = tiny_predictor.predict(["We pre-train a multilingual foundation model on European text."])
    assert list(prediction.scores) == list(tiny_predictor.axes)
    assert all(0.0 <= s <= 1.0 for s in prediction.scores.values())
    assert prediction.labels == [a for a in tiny_predictor.axes if prediction.scores[a] >= prediction.thresholds[a]]
    assert prediction.evidence is None


def test_batch_order_is_kept(tiny_predictor):
    texts = ["AI optimises the radio access network.", "A music festival in the park.", LONG_TEXT]
    together = tiny_predictor.probabilities(texts)
    alone = np.vstack([tiny_predictor.probabilities([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_long_text_is_read_in_windows(tiny_predictor):
    from model.windowing import encode_windows

    encoded = encode_windows(tiny_predictor.scorer.tokenizer, [LONG_TEXT], tiny_predictor.scorer.windows)
    assert len(encoded) > 1
    assert tiny_predictor.probabilities([LONG_TEXT]).shape == (1, 8)


def test_short_text_needs_review(tiny_predictor):
    [prediction] = tiny_predictor.predict(["IA réseau"])
    assert prediction.needs_review
    assert any("too short" in reason for reason in prediction.review_reasons)


def test_unsupported_language_needs_review(tiny_predictor):
    [prediction] = tiny_predictor.predict(["Проект обучает языковую модель для государственных больниц региона."])
    assert prediction.language == "ru"
    assert any("not covered" in reason for reason in prediction.review_reasons)


def test_evidence_points_into_the_text(tiny_predictor):
    text = (
        "We pre-train a multilingual foundation model on European text and release checkpoints. "
        "The village bakery renovates its shop and buys a new oven."
    )
    [prediction] = tiny_predictor.predict([text], explain=True)
    assert set(prediction.evidence) == set(prediction.labels)
    for items in prediction.evidence.values():
        for item in items:
            assert text[item.start : item.end] == item.sentence


def test_empty_batch(tiny_predictor):
    assert tiny_predictor.predict([]) == []


def test_baseline_shares_the_api(tiny_baseline):

    baseline = Predictor.load(tiny_baseline)
    [prediction] = baseline.predict(["AI optimises the radio access network and puts cells to sleep."])
    assert set(prediction.scores) == set(baseline.axes)


def test_reduced_precisions_stay_close_to_fp32(tiny_model, tiny_predictor):

    texts = ["AI optimises the radio access network.", LONG_TEXT]
    reference = tiny_predictor.probabilities(texts)
    for precision in ("bf16", "int8"):
        scores = Predictor.load(tiny_model, precision=precision).probabilities(texts)
        np.testing.assert_allclose(scores, reference, atol=0.05)


def test_unknown_precision_is_refused(tiny_model):
    import pytest

    with pytest.raises(ValueError, match="unknown precision"):
        Predictor.load(tiny_model, precision="fp8")


def test_the_embedding_table_is_kept_in_half_precision_without_moving_scores(tiny_model, tiny_predictor, monkeypatch):
    import torch

    import model.transformer_scorer

    compact = tiny_predictor.encoder
    assert compact.classifier.encoder.embeddings.word_embeddings.weight.dtype == torch.float16
    monkeypatch.setattr(model.transformer_scorer, "with_compact_embeddings", lambda classifier: classifier)
    full = Predictor.load(tiny_model).encoder
    assert full.classifier.encoder.embeddings.word_embeddings.weight.dtype == torch.float32
    texts = ["Edge AI in base stations under a watt budget.", LONG_TEXT]
    difference = np.abs(compact.logits(texts) - full.logits(texts)).max()
    assert 0 < difference < 1e-2


def test_bf16_keeps_linear_weights_in_bf16_with_the_scores_of_autocast(tiny_model, monkeypatch):
    import torch

    import model.transformer_scorer

    stored = Predictor.load(tiny_model, precision="bf16").encoder
    encoder = stored.classifier.encoder
    assert encoder.encoder.layer[0].intermediate.dense.weight.dtype == torch.bfloat16
    assert encoder.encoder.layer[0].output.LayerNorm.weight.dtype == torch.float32
    monkeypatch.setattr(model.transformer_scorer, "with_bf16_linears", lambda classifier: classifier)
    autocast = Predictor.load(tiny_model, precision="bf16").encoder
    assert autocast.classifier.encoder.encoder.layer[0].intermediate.dense.weight.dtype == torch.float32
    texts = ["Edge AI in base stations under a watt budget.", LONG_TEXT]
    np.testing.assert_array_equal(stored.logits(texts), autocast.logits(texts))


def test_a_failing_text_costs_only_its_own_place(tiny_predictor):
    texts = ["Edge AI in base stations.", "POISON text", "A data space for farms."]
    first, failed, last = FailsOn(tiny_predictor, "POISON").predict_each(texts)
    assert failed == ScoringFailure("scoring failed: ValueError: cannot tokenise")
    assert first.scores == tiny_predictor.predict([texts[0]])[0].scores
    assert last.labels == tiny_predictor.predict([texts[2]])[0].labels


class Clock:
    """Stands in for `time`: each model batch moves it on by ten seconds."""

    def __init__(self) -> None:
        self.now = 1000.0

    def time(self) -> float:
        return self.now


def test_a_passed_deadline_stops_the_work_between_model_batches(tiny_predictor, monkeypatch):
    import model.deadline

    clock = Clock()
    monkeypatch.setattr(model.deadline, "time", clock)
    classifier = tiny_predictor.scorer.classifier
    forward = classifier.forward
    calls = []

    def counted(ids, mask):
        calls.append(len(ids))
        clock.now += 10
        return forward(ids, mask)

    monkeypatch.setattr(classifier, "forward", counted)
    texts = [f"Proposal {n}: the hospital deploys AI triage with nurses." for n in range(24)]  # three model batches
    with pytest.raises(DeadlinePassedError):
        tiny_predictor.predict_each(texts, deadline=Deadline(clock.now + 5))
    assert len(calls) == 1
    with pytest.raises(DeadlinePassedError):
        tiny_predictor.predict(texts, deadline=Deadline(clock.now - 1))
    assert len(calls) == 1


def test_a_repaired_text_is_scored_and_flagged_for_review(tiny_predictor):
    [prediction] = tiny_predictor.predict(
        [safe_text("The hospital deploys AI triage \ud800 with nurses and indicators.")]
    )
    assert prediction.needs_review
    assert "part of the text was not valid Unicode (shown as U+FFFD)" in prediction.review_reasons


def test_scores_computed_elsewhere_get_their_own_thresholds(tiny_predictor):
    text = "We pre-train a multilingual foundation model on European text and release checkpoints."
    row = np.full(8, 0.4)
    thresholds = np.full(8, 0.5)
    thresholds[2] = 0.3
    prediction = tiny_predictor.prediction_from_scores(text, row, thresholds)
    assert prediction.labels == [tiny_predictor.axes[2]]
    assert prediction.thresholds[tiny_predictor.axes[2]] == 0.3


def test_a_doubtful_text_needs_review_once_the_model_has_a_review_cut(tiny_predictor, monkeypatch):
    text = "We pre-train a multilingual foundation model on European text and release checkpoints."
    thresholds = np.full(8, 0.5)
    monkeypatch.setattr(tiny_predictor, "review_cut", 1.0)
    doubtful = tiny_predictor.prediction_from_scores(text, np.full(8, 0.3), thresholds)
    assert doubtful.needs_review and "uncertain" in doubtful.review_reasons[0]
    clear = tiny_predictor.prediction_from_scores(text, np.array([0.99] + [0.01] * 7), thresholds)
    assert not clear.needs_review
