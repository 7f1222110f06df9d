"""Fine-tuning helpers: batches bounded in texts and tokens, class weights, smoothed targets, the head fitted alone."""

from __future__ import annotations

import numpy as np
import torch

from training.finetune import epoch_batches, fit_head_alone, positive_weights, smoothed

LENGTHS = [12, 500, 40, 510, 33, 256, 480, 90, 64, 300, 20, 505, 128, 77, 450, 60, 200, 15, 499, 350]


def test_every_text_appears_once_per_epoch():
    batches = epoch_batches(LENGTHS, batch_size=4, seed=1, epoch=0, max_tokens_per_batch=1024)
    assert sorted(i for batch in batches for i in batch) == list(range(len(LENGTHS)))


def test_batches_respect_both_limits():
    for epoch in range(3):
        for batch in epoch_batches(LENGTHS, batch_size=4, seed=1, epoch=epoch, max_tokens_per_batch=1024):
            assert len(batch) <= 4
            assert max(LENGTHS[i] for i in batch) * len(batch) <= 1024
    long_batches = [b for b in epoch_batches(LENGTHS, 4, 1, 0, 1024) if max(LENGTHS[i] for i in b) > 400]
    assert long_batches and all(len(b) <= 2 for b in long_batches)


def test_a_text_longer_than_the_budget_still_gets_a_batch():
    batches = epoch_batches([2000, 10, 10], batch_size=4, seed=0, epoch=0, max_tokens_per_batch=512)
    assert [0] in batches


def test_order_is_a_function_of_seed_and_epoch():
    first = epoch_batches(LENGTHS, 4, seed=3, epoch=2, max_tokens_per_batch=2048)
    assert first == epoch_batches(LENGTHS, 4, seed=3, epoch=2, max_tokens_per_batch=2048)
    assert first != epoch_batches(LENGTHS, 4, seed=3, epoch=3, max_tokens_per_batch=2048)


def test_rare_axes_weigh_more():
    targets = np.array([[1, 0], [1, 0], [1, 1], [1, 0]])
    weights = positive_weights(targets, power=0.5).numpy()
    assert weights[1] > weights[0]
    np.testing.assert_allclose(weights, [np.sqrt(1 / 4), np.sqrt(3 / 1)], rtol=1e-6)


def test_smoothing_pulls_targets_toward_one_half():
    targets = torch.tensor([[0.0, 1.0]])
    torch.testing.assert_close(smoothed(targets, 0.1), torch.tensor([[0.05, 0.95]]))
    torch.testing.assert_close(smoothed(targets, 0.0), targets)


def test_the_head_fitted_alone_separates_what_a_linear_head_can():
    rng = np.random.default_rng(0)
    states = rng.normal(size=(200, 16)).astype(np.float32)
    targets = torch.tensor(np.stack([states[:, 0] > 0, states[:, 1] + states[:, 2] > 0], axis=1), dtype=torch.float32)
    classifier = torch.nn.Module()
    classifier.head = torch.nn.Linear(16, 2)
    loss = fit_head_alone(classifier, states, targets, torch.nn.BCEWithLogitsLoss())
    with torch.no_grad():
        predicted = classifier.head(torch.from_numpy(states)) > 0
    assert loss < 0.2
    assert (predicted == targets.bool()).float().mean() > 0.97
