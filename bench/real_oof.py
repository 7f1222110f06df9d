"""Macro-F1 on the real texts out-of-fold, with the held folds read at the precision measured.

Each fold's cheap members, combiner and thresholds learn from fp32 readings of the other folds and of the
corpus training split, exactly as `training.stacking` fitted the shipped stack; the held fold is scored from
the readings of the precision measured, which is what shipping that precision does. The real texts are read
where the model's manifest says it learned from them (beside the repository, never inside it); when they are
absent or changed, or when the encoder itself learned from them, the figures are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

from model.hashing import sha256_file
from model.transformer_scorer import TransformerScorer
from training.config import TrainConfig
from training.recalibrate import LabelledSample, read_sample
from training.stacking import Corpus, Readings, cross_fit, out_of_fold
from training.training_data import load_training_data

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class RealTexts:
    """What the out-of-fold figures need besides the readings: the sample, the corpus, the training settings."""

    sample: LabelledSample
    corpus_texts: list[str]
    corpus_targets: np.ndarray
    config: TrainConfig

    def readings(self, encoder: TransformerScorer, texts: list[str]) -> Readings:
        return Readings(*encoder.logits_and_states(texts, self.config.probe_layer))

    def fp32_readings(self, encoder: TransformerScorer) -> tuple[Corpus, Readings]:
        """The corpus training split and the real texts as the fp32 encoder reads them."""
        corpus = Corpus(self.corpus_texts, self.readings(encoder, self.corpus_texts), self.corpus_targets)
        return corpus, self.readings(encoder, self.sample.texts)

    def macro_f1(self, corpus: Corpus, fp32: Readings, held: Readings) -> float:
        crossfit = cross_fit(corpus, self.sample, fp32, self.config, held_readings=held)
        predictions = out_of_fold(crossfit, self.sample, self.config.seed)
        predicted = predictions.scores >= predictions.thresholds
        return float(f1_score(self.sample.targets, predicted, average="macro", zero_division=0))


def real_texts(manifest: dict, corpus: Path) -> RealTexts | str:
    """The stack's real sample and training corpus as recorded in its manifest, or why they cannot be had."""
    record = manifest.get("real_sample", {}).get("files")
    if manifest.get("kind") != "stack" or not record:
        return "the model is not a stack fitted on real texts"
    if "real_tuning" in manifest:
        # Its held folds would need each fold's own continued encoder, at the precision measured.
        return "the encoder learned from the real texts (its fp32 out-of-fold figures are in the manifest)"
    files = [REPO_ROOT / item["file"] for item in record]
    if not all(file.is_file() for file in files):
        return f"the real texts are absent ({', '.join(item['file'] for item in record)})"
    if any(sha256_file(file) != item["sha256"] for file, item in zip(files, record, strict=True)):
        return "the real texts differ from those the model learned from"
    if sha256_file(corpus) != manifest["training"]["data_sha256"]:
        return f"{corpus} is not the corpus the model learned from"
    config = TrainConfig(**manifest["training"]["config"])
    data = load_training_data(corpus, config)
    sample = read_sample(files, config.text_column, config.labels_column, "group")
    return RealTexts(sample, data.train.texts, data.train.targets, config)
