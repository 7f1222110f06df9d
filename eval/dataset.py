"""The items a report is about: any labelled file, narrowed to one split when the file has splits.

The report names its data by path and by two hashes: the file's bytes, and the evaluated items themselves
(id, text, labels), so that a reader can tell whether two reports were computed on the same examples.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.corpus import SPLITS, corpus_hash, file_sha256, load_labelled_file, multi_hot

ALL_SPLITS = "all"
DEFAULT_SPLIT = "test"


@dataclass(frozen=True)
class EvaluationData:
    path: Path
    sha256: str
    items_sha256: str
    split: str | None
    ids: list[str]
    texts: list[str]
    targets: np.ndarray
    languages: list[str]
    kinds: list[str] | None

    def __len__(self) -> int:
        return len(self.ids)

    def describe(self) -> dict:
        return {
            "path": str(self.path),
            "sha256": self.sha256,
            "items_sha256": self.items_sha256,
            "split": self.split,
            "items": len(self),
        }


def _choose_split(has_split_column: bool, split: str | None, path: Path) -> str | None:
    """The corpus is judged on its test split unless told otherwise; a file without splits is used whole."""
    if split is not None and split != ALL_SPLITS and split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)} or {ALL_SPLITS!r}")
    if not has_split_column:
        if split not in (None, ALL_SPLITS):
            raise ValueError(f"{path.name} has no 'split' column; drop --split to evaluate every item")
        return None
    return DEFAULT_SPLIT if split is None else split


def load_evaluation_data(
    path: str | Path,
    split: str | None = None,
    text_column: str = "text",
    labels_column: str = "labels",
    id_column: str = "id",
) -> EvaluationData:
    """Load a labelled JSONL/CSV/Parquet file; `split=None` means `test` when the file has a split column."""
    path = Path(path)
    dataset = load_labelled_file(path, text_column=text_column, labels_column=labels_column, id_column=id_column)
    chosen = _choose_split("split" in dataset.column_names, split, path)
    if chosen not in (None, ALL_SPLITS):
        dataset = dataset.select([i for i, name in enumerate(dataset["split"]) if name == chosen])
    if len(dataset) == 0:
        raise ValueError(f"{path.name}: no items to evaluate" + (f" in split {chosen!r}" if chosen else ""))
    return EvaluationData(
        path=path,
        sha256=file_sha256(path),
        items_sha256=corpus_hash(dataset),
        split=chosen,
        ids=list(dataset["id"]),
        texts=list(dataset["text"]),
        targets=multi_hot(dataset),
        languages=list(dataset["lang"]) if "lang" in dataset.column_names else [""] * len(dataset),
        kinds=list(dataset["kind"]) if "kind" in dataset.column_names else None,
    )
