"""The train and validation sets a run learns from; the test split is never read here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.config import TrainConfig
from training.corpus import file_sha256, load_labelled_file, multi_hot


@dataclass
class LabelledTexts:
    texts: list[str]
    targets: np.ndarray
    languages: list[str]


@dataclass
class TrainingData:
    train: LabelledTexts
    validation: LabelledTexts
    sha256: str
    source: str


def _subset(dataset) -> LabelledTexts:
    languages = dataset["lang"] if "lang" in dataset.column_names else []
    return LabelledTexts(list(dataset["text"]), multi_hot(dataset), list(languages))


def load_training_data(path: Path, config: TrainConfig) -> TrainingData:
    """Train and validation from the file's `split` column, or a seeded hold-out when it has none."""
    dataset = load_labelled_file(path, text_column=config.text_column, labels_column=config.labels_column)
    if "split" in dataset.column_names:
        train = dataset.filter(lambda row: row["split"] == "train")
        validation = dataset.filter(lambda row: row["split"] == "validation")
    else:
        order = np.random.default_rng(config.seed).permutation(len(dataset))
        cut = max(1, round(len(dataset) * config.validation_share))
        validation, train = dataset.select(sorted(order[:cut])), dataset.select(sorted(order[cut:]))
    if len(train) == 0 or len(validation) == 0:
        raise ValueError(f"{path}: needs both training and validation items (got {len(train)} and {len(validation)})")
    return TrainingData(_subset(train), _subset(validation), file_sha256(path), str(path))
