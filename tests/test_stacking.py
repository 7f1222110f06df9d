"""Cross-fitting a stack's cheap members and head, and scoring the held folds from other readings."""

from __future__ import annotations

import numpy as np

from training.config import TrainConfig
from training.recalibrate import LabelledSample
from training.stacking import Corpus, Readings, cross_fit, out_of_fold

WORDS = ["model", "cloud", "energy", "health", "network", "data", "robot", "language"]


def labelled(n: int, seed: int) -> tuple[list[str], np.ndarray, Readings]:
    generator = np.random.default_rng(seed)
    targets = (generator.random((n, len(WORDS))) < 0.3).astype(int)
    targets[np.arange(n), np.arange(n) % len(WORDS)] = 1
    texts = [
        " ".join(word for word, on in zip(WORDS, row, strict=True) if on) + f" item{i}" for i, row in enumerate(targets)
    ]
    logits = (2 * targets - 1 + generator.normal(0, 1, targets.shape)).astype(np.float32)
    states = np.hstack([targets, generator.normal(0, 1, (n, 4))]).astype(np.float32)
    return texts, targets, Readings(logits, states)


def test_held_folds_are_scored_from_their_own_readings_with_everything_fitted_on_the_others():
    config = TrainConfig(probe_layer=1, probe_c=1.0, crossfit_folds=2)
    texts, targets, readings = labelled(80, 0)
    corpus_texts, corpus_targets, corpus_readings = labelled(60, 1)
    corpus = Corpus(corpus_texts, corpus_readings, corpus_targets)
    real = LabelledSample([str(i) for i in range(80)], texts, targets, [str(i // 4) for i in range(80)], [])
    plain = cross_fit(corpus, real, readings, config)
    assert all(a is b for a, b in zip(plain.real_logits, plain.scored_logits, strict=True))
    shifted = Readings(readings.logits + 3.0, readings.states)
    other = cross_fit(corpus, real, readings, config, held_readings=shifted)
    for fitted, again, scored in zip(plain.real_logits, other.real_logits, other.scored_logits, strict=True):
        np.testing.assert_array_equal(fitted["transformer"], again["transformer"])
        np.testing.assert_array_equal(scored["transformer"], fitted["transformer"] + 3.0)
        np.testing.assert_array_equal(scored["tfidf"], fitted["tfidf"])
    plain_oof, other_oof = out_of_fold(plain, real, 0), out_of_fold(other, real, 0)
    np.testing.assert_array_equal(plain_oof.thresholds, other_oof.thresholds)
    assert (other_oof.scores >= plain_oof.scores).all() and (other_oof.scores > plain_oof.scores).any()
