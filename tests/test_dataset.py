"""Which items a report is about: the corpus's test split by default, or any labelled file whole."""

from __future__ import annotations

import json

import pytest

from eval.dataset import load_evaluation_data
from training.corpus import file_sha256


def test_corpus_defaults_to_its_test_split(tiny_corpus):
    data = load_evaluation_data(tiny_corpus)
    rows = [json.loads(line) for line in tiny_corpus.read_text().splitlines()]
    expected = [row["id"] for row in rows if row["split"] == "test"]
    assert data.split == "test"
    assert data.ids == expected
    assert data.targets.shape == (len(expected), 8)
    assert data.kinds is not None and data.languages[0]
    assert data.sha256 == file_sha256(tiny_corpus)


def test_every_split_or_another_one(tiny_corpus):
    everything = load_evaluation_data(tiny_corpus, split="all")
    validation = load_evaluation_data(tiny_corpus, split="validation")
    assert everything.split == "all"
    assert len(everything) > len(validation) > 0
    assert everything.items_sha256 != validation.items_sha256


def test_a_file_without_splits_is_used_whole(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("ref,summary,tags\nA1,Un cloud souverain pour l'IA,cloud;data\nA2,Une boulangerie,\n")
    data = load_evaluation_data(path, text_column="summary", labels_column="tags", id_column="ref")
    assert data.split is None
    assert data.ids == ["A1", "A2"]
    assert data.targets.sum(axis=1).tolist() == [2, 0]
    assert data.languages == ["", ""]
    assert data.kinds is None


def test_asking_for_a_split_the_file_does_not_have(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps({"id": "1", "text": "Un texte", "labels": []}) + "\n")
    with pytest.raises(ValueError, match="no 'split' column"):
        load_evaluation_data(path, split="test")
    with pytest.raises(ValueError, match="unknown split"):
        load_evaluation_data(path, split="dev")


def test_an_empty_selection_is_an_error(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps({"id": "1", "text": "Un texte", "labels": [], "split": "train"}) + "\n")
    with pytest.raises(ValueError, match="no items to evaluate in split 'test'"):
        load_evaluation_data(path)
