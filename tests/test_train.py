"""Training end to end on a tiny corpus with a tiny backbone: runs, selects on validation, resumes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from model.folder import read_manifest
from model.predictor import Predictor
from tests.fixtures import TINY_TRAINING
from training.config import TrainConfig, load_config
from training.train import train_model

TINY = {**TINY_TRAINING, "epochs": 2}


def test_training_never_reads_the_test_split(tiny_model, tiny_corpus):
    manifest = read_manifest(tiny_model)
    rows = [json.loads(line) for line in tiny_corpus.read_text().splitlines()]
    counts = {split: sum(r["split"] == split for r in rows) for split in ("train", "validation")}
    assert manifest["training"]["train_items"] == counts["train"]
    assert manifest["training"]["validation_items"] == counts["validation"]


def test_history_and_selection_are_recorded(tiny_model):
    manifest = read_manifest(tiny_model)
    assert len(manifest["history"]) >= 1
    assert 1 <= manifest["best_epoch"] <= len(manifest["history"])
    assert manifest["windows"]["aggregation"] in {"max", "mean"}
    assert set(manifest["window_comparison_validation_macro_f1"]) == {"max", "mean", "first_window_only"}
    card = (tiny_model / "README.md").read_text()
    assert f"**Fine-tuning**: epoch {manifest['best_epoch']} of {len(manifest['history'])} kept" in card
    assert "smoothed" not in card and "LP-FT" not in card


def test_the_card_names_the_settings_against_over_confidence(tiny_model):
    from training.model_card import render_model_card

    manifest = read_manifest(tiny_model)
    manifest["training"]["config"].update(label_smoothing=0.1, linear_probe_first=True)
    card = render_model_card(manifest)
    assert "targets smoothed by 0.1" in card and "head first fitted alone on the frozen encoder (LP-FT)" in card


def test_training_is_reproducible(tiny_backbone, tiny_corpus, tmp_path):
    config = TrainConfig(backbone=str(tiny_backbone), max_steps=4, **TINY)
    train_model(tiny_corpus, tmp_path / "a", config)
    train_model(tiny_corpus, tmp_path / "b", config)
    texts = ["We build and annotate a rights-cleared data set.", "A bank integrates AI into loan processing."]
    np.testing.assert_allclose(
        Predictor.load(tmp_path / "a").probabilities(texts),
        Predictor.load(tmp_path / "b").probabilities(texts),
        atol=1e-6,
    )


def test_interrupted_run_resumes_from_its_checkpoint(tiny_backbone, tiny_corpus, tmp_path):
    checkpoints = tmp_path / "ckpt"
    partial = TrainConfig(backbone=str(tiny_backbone), max_steps=3, checkpoint_every=1, **TINY)
    from training.finetune import CHECKPOINT_FILE

    train_model(tiny_corpus, tmp_path / "first", partial, checkpoint_dir=checkpoints)
    assert (checkpoints / CHECKPOINT_FILE).exists()
    full = TrainConfig(backbone=str(tiny_backbone), checkpoint_every=1, **TINY)
    manifest = train_model(tiny_corpus, tmp_path / "resumed", full, checkpoint_dir=checkpoints)
    assert [h["epoch"] for h in manifest["history"]][-1] == 2


def test_linear_probe_first_starts_fine_tuning_from_a_fitted_head(tiny_backbone, tiny_corpus, tmp_path):
    import torch

    from training.finetune import build_classifier, fine_tune, seed_everything
    from training.training_data import load_training_data

    settings = {**TINY, "max_steps": 1, "learning_rate": 0.0, "head_learning_rate": 0.0, "warmup_ratio": 0.0}
    data = load_training_data(tiny_corpus, TrainConfig(**settings))
    plain, probed = (
        fine_tune(data, TrainConfig(backbone=str(tiny_backbone), lora_top_layers=1, **settings, **extra), tmp_path / k)
        for k, extra in (("plain", {}), ("probed", {"linear_probe_first": True}))
    )
    # with both rates at zero, fine-tuning leaves each head where it started: the seeded initial one, or the fit
    config = TrainConfig(backbone=str(tiny_backbone), lora_top_layers=1, **settings)
    seed_everything(config.seed)
    initial = build_classifier(config)[0].head
    torch.testing.assert_close(plain.classifier.head.weight, initial.weight)
    assert not torch.allclose(probed.classifier.head.weight, initial.weight)
    with pytest.raises(ValueError, match="lora_top_layers"):
        fine_tune(data, TrainConfig(backbone=str(tiny_backbone), linear_probe_first=True, **settings), tmp_path / "x")


def test_user_file_without_split_is_held_out_by_seed(tiny_corpus, tmp_path):
    import pandas as pd

    rows = [json.loads(line) for line in tiny_corpus.read_text().splitlines()]
    frame = pd.DataFrame({"summary": [r["text"] for r in rows], "tags": [";".join(r["labels"]) for r in rows]})
    path = tmp_path / "reviewed.csv"
    frame.to_csv(path, index=False)
    config = TrainConfig(kind="tfidf", text_column="summary", labels_column="tags")
    manifest = train_model(path, tmp_path / "from-csv", config)
    assert manifest["training"]["validation_items"] == round(len(rows) * config.validation_share)


def test_config_file_and_overrides(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('epochs = 9\nbackbone = "somewhere"\n')
    config = load_config(path, {"batch_size": 4})
    assert (config.epochs, config.backbone, config.batch_size) == (9, "somewhere", 4)
    with pytest.raises(ValueError, match="unknown training setting"):
        load_config(None, {"epoch": 3})


def test_an_unknown_model_kind_is_refused_before_any_work():
    with pytest.raises(ValueError, match="unknown model kind 'bert'; known: transformer, tfidf, ensemble"):
        load_config(None, {"kind": "bert"})


def test_real_texts_on_the_command_line_are_checked_before_any_work(tiny_corpus, tmp_path):
    from typer.testing import CliRunner

    from axistag.cli import app

    base = ["train", "--data", str(tiny_corpus), "--out", str(tmp_path / "m")]
    missing = CliRunner().invoke(app, [*base, "--kind", "stack", "--real", str(tmp_path / "absent.jsonl")])
    assert missing.exit_code == 2 and "absent.jsonl does not exist" in missing.output
    not_a_stack = CliRunner().invoke(app, [*base, "--kind", "tfidf", "--real", str(tiny_corpus)])
    assert not_a_stack.exit_code == 2 and "for stacks only" in not_a_stack.output
    no_real_texts = CliRunner().invoke(app, [*base, "--kind", "stack", "--set", "real_encoder_epochs=3"])
    assert no_real_texts.exit_code == 2 and "give them with --real" in no_real_texts.output
    assert not (tmp_path / "m").exists()
