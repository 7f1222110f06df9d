"""The encoder's continuation on real texts: each fold scored by an encoder that never learned its labels."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from model.axes import AXES
from model.folder import read_manifest
from model.transformer_scorer import WEIGHTS_FILE
from tests.fixtures import TINY_TRAINING
from training.config import TrainConfig
from training.real_tuning import CORPUS_WEIGHTS_FILE, RealTextTuner, tune_on_real

CONFIG = TrainConfig(
    kind="stack",
    lora_top_layers=1,
    probe_layer=1,
    real_encoder_epochs=2,
    real_encoder_corpus_items=8,
    real_encoder_learning_rate=5e-3,
    real_encoder_head_learning_rate=5e-3,
    **TINY_TRAINING,
)


@pytest.fixture(scope="module")
def texts_and_targets(tiny_corpus) -> tuple[list[str], np.ndarray]:
    rows = [json.loads(line) for line in tiny_corpus.read_text().splitlines()]
    return [row["text"] for row in rows], np.array([[axis in row["labels"] for axis in AXES] for row in rows], int)


def tuner_for(tiny_stack, texts: list[str], targets: np.ndarray) -> RealTextTuner:
    """A tuner starting from the tiny stack's corpus-trained encoder, with 20 'real' texts and a corpus sample."""
    folder = tiny_stack[0]
    manifest = read_manifest(folder)
    weights = load_file(str(folder / CORPUS_WEIGHTS_FILE))
    config = TrainConfig(**{**CONFIG.to_dict(), "backbone": manifest["backbone"]["name"]})
    return RealTextTuner(manifest, weights, texts[:20], targets[:20], texts[20:], targets[20:], config)


def test_a_held_fold_is_scored_the_same_whatever_its_labels(tiny_stack, texts_and_targets):
    texts, targets = texts_and_targets
    held = np.zeros(20, dtype=bool)
    held[:5] = True
    tuner = tuner_for(tiny_stack, texts, targets)
    tuner.continued(~held, run=0)
    before = tuner.real_logits()

    relabelled = targets.copy()
    relabelled[:5] = 1 - relabelled[:5]  # the held fold's labels, all flipped
    tuner = tuner_for(tiny_stack, texts, relabelled)
    tuner.continued(~held, run=0)
    np.testing.assert_allclose(tuner.real_logits(), before, atol=1e-6)

    relabelled[5:10] = 1 - relabelled[5:10]  # labels the run learns from: its scores move
    tuner = tuner_for(tiny_stack, texts, relabelled)
    tuner.continued(~held, run=0)
    assert np.abs(tuner.real_logits() - before).max() > 1e-3


def test_every_run_starts_from_the_corpus_trained_encoder(tiny_stack, texts_and_targets):
    tuner = tuner_for(tiny_stack, *texts_and_targets)
    everything = np.ones(20, dtype=bool)
    first = tuner.continued(everything, run=0)
    tuner.continued(everything[::-1] & (np.arange(20) < 10), run=1)
    again = tuner.continued(everything, run=0)
    assert all(torch.allclose(first[name], again[name]) for name in first)
    assert any(not torch.allclose(first[name], tuner.start[name]) for name in first)


def test_tuning_gives_each_fold_its_logits_and_the_encoder_trained_on_all(tiny_stack, texts_and_targets):
    tuner = tuner_for(tiny_stack, *texts_and_targets)
    held = [np.arange(20) % 4 == k for k in range(4)]
    tuning = tune_on_real(tuner, held)
    assert [len(logits) for logits in tuning.fold_logits] == [5, 5, 5, 5]
    assert set(tuning.weights) == set(tuner.start)
    assert tuning.record(CONFIG)["folds"] == 4 and tuning.record(CONFIG)["epochs"] == 2


def test_the_shipped_encoder_is_the_continued_one(tiny_stack):
    folder, manifest, _ = tiny_stack
    shipped = load_file(str(folder / WEIGHTS_FILE))
    corpus = load_file(str(folder / CORPUS_WEIGHTS_FILE))
    assert manifest["real_tuning"]["epochs"] == 1
    assert set(shipped) == set(corpus)
    assert any(not torch.equal(shipped[name], corpus[name]) for name in shipped)


def test_an_encoder_with_adapters_in_every_layer_is_refused(tiny_model, texts_and_targets):
    texts, targets = texts_and_targets
    manifest = read_manifest(tiny_model)
    weights = load_file(str(tiny_model / WEIGHTS_FILE))
    config = TrainConfig(**{**CONFIG.to_dict(), "backbone": manifest["backbone"]["name"]})
    with pytest.raises(ValueError, match="top layers only"):
        RealTextTuner(manifest, weights, texts[:4], targets[:4], texts[4:], targets[4:], config)
