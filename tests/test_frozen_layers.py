"""Training through the cached bottom layers computes what the full model computes."""

from __future__ import annotations

import numpy as np
import torch

from model.windowing import WindowSettings, pad_batch
from training.config import TrainConfig
from training.finetune import build_classifier, first_windows
from training.frozen_layers import LayerCache


def test_cached_path_equals_the_full_forward(tiny_backbone):
    classifier, tokenizer, lora = build_classifier(TrainConfig(backbone=str(tiny_backbone), lora_top_layers=1))
    assert lora.layers == (1,)
    adapted = {name.split(".layer.")[1].split(".")[0] for name, _ in classifier.named_parameters() if "lora_" in name}
    assert adapted == {"1"}
    texts = ["We pre-train a foundation model.", "AI optimises the radio access network at night to save energy."]
    windows = first_windows(tokenizer, texts, WindowSettings(max_tokens=48))
    cache = LayerCache(classifier, split_at=1)
    cache.fill(windows, tokenizer.pad_token_id)
    with torch.no_grad():
        for module in classifier.modules():  # LoRA's B starts at zero: perturb it so the adapters matter
            if hasattr(module, "lora_B"):
                for weight in module.lora_B.values():
                    weight.weight.normal_(0, 0.5)
        classifier.eval()
        torch.testing.assert_close(cache.logits([0, 1]), classifier(*pad_batch(windows, tokenizer.pad_token_id)))


def test_gradients_reach_only_the_top_adapters_and_head(tiny_backbone):
    classifier, tokenizer, _ = build_classifier(TrainConfig(backbone=str(tiny_backbone), lora_top_layers=1))
    windows = first_windows(tokenizer, ["We build a data space for farms."], WindowSettings(max_tokens=48))
    cache = LayerCache(classifier, split_at=1)
    cache.fill(windows, tokenizer.pad_token_id)
    cache.logits([0]).sum().backward()
    with_grad = {name for name, p in classifier.named_parameters() if p.grad is not None}
    assert any(name.startswith("head.") for name in with_grad)
    assert all(".layer.1." in name for name in with_grad if "lora_" in name)


def test_cached_validation_scores_equal_the_scorer_in_eval_mode(tiny_backbone):
    from model.transformer_scorer import TransformerScorer
    from model.windowing import encode_windows

    classifier, tokenizer, _ = build_classifier(TrainConfig(backbone=str(tiny_backbone), lora_top_layers=1))
    settings = WindowSettings(max_tokens=24, overlap=4)
    texts = ["A data space for hospitals, " * 6, "Energy metering of inference.", "Edge AI in base stations."]
    encoded = encode_windows(tokenizer, texts, settings)
    cache = LayerCache(classifier, split_at=1)
    cache.fill(encoded.input_ids, tokenizer.pad_token_id)
    classifier.train()
    cached = cache.scores(batch_size=2)
    assert classifier.training, "scoring must hand the classifier back in train mode"
    direct = TransformerScorer(classifier, tokenizer, settings).window_logits(encoded.input_ids)
    assert len(encoded) > len(texts)
    np.testing.assert_allclose(cached, direct, atol=1e-5)
    # a subset of the cached windows, in the order asked
    chosen = [len(encoded) - 1, 0]
    np.testing.assert_allclose(cache.scores(chosen, batch_size=2), direct[chosen], atol=1e-5)


def test_pooled_states_are_the_heads_input(tiny_backbone):
    classifier, tokenizer, _ = build_classifier(TrainConfig(backbone=str(tiny_backbone), lora_top_layers=1))
    windows = first_windows(tokenizer, ["Open weights under Apache-2.0.", "A GPU scheduler."], WindowSettings(48))
    cache = LayerCache(classifier, split_at=1)
    cache.fill(windows, tokenizer.pad_token_id)
    states = cache.pooled_states()
    assert states.shape == (2, classifier.head.in_features)
    with torch.no_grad():
        from_states = classifier.head(torch.from_numpy(states)).numpy()
    np.testing.assert_allclose(from_states, cache.scores(), atol=1e-5)
