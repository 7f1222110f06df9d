"""The stack combines three members' logits with a few shared numbers, and loads as one model folder."""

from __future__ import annotations

import json

import numpy as np
import pytest

from model.baseline import TFIDF_FILES
from model.folder import read_manifest
from model.predictor import Predictor
from model.probe import PROBE_FILE, fit_probe
from model.stack import MEMBERS, Combiner, StackScorer, check_probe_layer, fit_combiner
from tests.fixtures import THREE_LANGUAGES, TINY_TRAINING
from training.real_tuning import CORPUS_WEIGHTS_FILE

TEXTS = THREE_LANGUAGES


def test_the_combiner_is_a_weighted_sum_shared_by_the_axes():
    rng = np.random.default_rng(0)
    logits = {name: rng.normal(size=(4, 8)) for name in MEMBERS}
    combiner = Combiner({"transformer": 0.5, "tfidf": 2.0, "probe": 0.0}, bias=-1.0)
    expected = 0.5 * logits["transformer"] + 2.0 * logits["tfidf"] - 1.0
    np.testing.assert_allclose(combiner.combine(logits), expected, rtol=1e-5, atol=1e-5)


def test_the_fitted_combiner_trusts_the_member_that_knows_the_labels():
    rng = np.random.default_rng(1)
    targets = (rng.random((300, 8)) < 0.3).astype(int)
    logits = {
        "transformer": rng.normal(size=targets.shape),
        "tfidf": (targets * 2 - 1) * 3 + rng.normal(size=targets.shape),
        "probe": rng.normal(size=targets.shape),
    }
    combiner = fit_combiner(logits, targets, np.ones(len(targets)))
    assert combiner.weights["tfidf"] > 0.5
    assert abs(combiner.weights["transformer"]) < 0.2 and abs(combiner.weights["probe"]) < 0.2


def test_the_probe_tells_how_unlike_its_training_states_a_text_reads():
    rng = np.random.default_rng(2)
    states = rng.normal(size=(400, 16))
    targets = (states[:, :8] > 0).astype(int)
    probe = fit_probe(states, targets, np.ones(len(states)), layer=1, c=1.0)
    assert abs(float(np.median(probe.unusualness(states))) - 1.0) < 0.1
    assert (probe.unusualness(states[:20] * 3 + 5) > 2.5).all()


def test_a_probe_above_the_adapters_is_refused():
    manifest = {"lora": {"layers": [9, 10, 11]}}
    check_probe_layer(manifest, 9, "m")
    with pytest.raises(ValueError, match="above the adapters"):
        check_probe_layer(manifest, 10, "m")
    with pytest.raises(ValueError, match="above the adapters"):
        check_probe_layer({"lora": {"layers": None}}, 1, "m")


def test_the_folder_holds_three_members_and_the_out_of_fold_real_figures(tiny_stack):
    folder, manifest, _ = tiny_stack
    assert manifest["kind"] == "stack"
    encoders = {"adapter_and_head.safetensors", CORPUS_WEIGHTS_FILE}
    assert set(read_manifest(folder)["files"]) == {*encoders, *TFIDF_FILES, PROBE_FILE}
    assert set(manifest["stack"]["combiner"]["weights"]) == set(MEMBERS)
    crossfit = manifest["real_sample"]["cross_fitted"]
    assert crossfit["folds"] == 5 and 0.0 <= crossfit["macro_f1"] <= 1.0
    assert manifest["real_sample"]["items"] == manifest["stack"]["combiner_fitted_on"]["real_items_out_of_fold"]
    assert set(crossfit["needs_review"]) == {"flagged_share", "errors_caught", "texts_with_an_error_caught"}
    assert manifest["review"]["chosen_on"] == "real texts, out-of-fold"


def test_the_out_of_fold_predictions_make_a_report(tiny_stack, tiny_corpus, tmp_path):
    from typer.testing import CliRunner

    from axistag.cli import app

    folder, manifest, predictions = tiny_stack
    lines = [json.loads(line) for line in predictions.read_text().splitlines()]
    assert len(lines) == manifest["real_sample"]["items"] and len(lines[0]["scores"]) == 8
    arguments = ["evaluate", "--model", str(folder), "--data", str(tiny_corpus), "--split", "all"]
    arguments += ["--bootstrap", "20", "--no-quote-texts"]
    result = CliRunner().invoke(app, [*arguments, "--scores", str(predictions), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["data"]["scores"] == str(predictions)
    expected = np.array([[s >= t for s, t in zip(line["scores"], line["thresholds"], strict=True)] for line in lines])
    assert metrics["label_cardinality_predicted"] == pytest.approx(expected.sum(axis=1).mean())
    assert not (tmp_path / "predictions.jsonl").exists()
    assert "this section applies the model's stored thresholds instead" in (tmp_path / "report.md").read_text()
    truncated = tmp_path / "short.jsonl"
    truncated.write_text("".join(line + "\n" for line in predictions.read_text().splitlines()[:-1]))
    refused = CliRunner().invoke(app, [*arguments, "--scores", str(truncated), "--out", str(tmp_path / "r")])
    assert refused.exit_code == 2 and "no scores for 1 item" in refused.output


def test_the_predictor_scores_through_the_combined_members(tiny_stack):
    predictor = Predictor.load(tiny_stack[0])
    scorer = predictor.scorer
    assert isinstance(scorer, StackScorer)
    assert predictor.encoder is scorer.transformer
    members = scorer.member_logits(TEXTS)
    np.testing.assert_allclose(members["transformer"], scorer.transformer.logits(TEXTS), rtol=1e-5, atol=1e-5)
    expected = 1 / (1 + np.exp(-scorer.combiner.combine(members)))
    np.testing.assert_allclose(predictor.probabilities(TEXTS), expected, rtol=1e-5, atol=1e-6)


def test_a_text_unlike_the_training_texts_needs_review(tiny_stack, monkeypatch):
    predictor = Predictor.load(tiny_stack[0])
    assert predictor.unusual_above == tiny_stack[1]["review"]["unusual_above"] > 0
    reason = "unlike the proposals the model learned from"
    monkeypatch.setattr(predictor, "unusual_above", float("inf"))
    assert all(reason not in p.review_reasons for p in predictor.predict(TEXTS))
    monkeypatch.setattr(predictor, "unusual_above", 0.0)
    assert all(reason in p.review_reasons and p.needs_review for p in predictor.predict(TEXTS))


def test_a_stack_reuses_an_encoder_only_from_the_same_corpus(tiny_stack, tiny_corpus, tmp_path):
    import torch
    from safetensors.torch import load_file

    from training.config import TrainConfig
    from training.train import train_model

    config = TrainConfig(kind="stack", lora_top_layers=1, probe_layer=1, **TINY_TRAINING)
    manifest = train_model(tiny_corpus, tmp_path / "reused", config, encoder_from=tiny_stack[0])
    assert manifest["encoder_from"]["version"] == tiny_stack[1]["version"]
    # the encoder before its continuation on the real texts, which have seen every fold
    assert "real_tuning" in tiny_stack[1] and "real_tuning" not in manifest
    reused = load_file(str(tmp_path / "reused" / "adapter_and_head.safetensors"))
    started_from = load_file(str(tiny_stack[0] / CORPUS_WEIGHTS_FILE))
    assert all(torch.equal(reused[name], started_from[name]) for name in started_from)
    assert manifest["review"]["chosen_on"] == "the validation split"
    assert "real_sample" not in manifest
    assert f"encoder reused from `{tiny_stack[1]['name']}`" in (tmp_path / "reused" / "README.md").read_text()
    other = tmp_path / "other.jsonl"
    other.write_text("".join(tiny_corpus.read_text().splitlines(keepends=True)[1:]))
    with pytest.raises(ValueError, match="another corpus file"):
        train_model(other, tmp_path / "refused", config, encoder_from=tiny_stack[0])


def test_real_texts_are_for_stacks_only(tiny_corpus, tmp_path):
    from training.config import TrainConfig
    from training.train import train_model

    with pytest.raises(ValueError, match="stacks only"):
        train_model(tiny_corpus, tmp_path / "m", TrainConfig(kind="tfidf"), encoder_from=tmp_path)
