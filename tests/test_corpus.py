"""One loader for the corpus and for users' JSONL, CSV and Parquet files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from model.axes import AXES
from training.corpus import (
    append_to_corpus,
    corpus_hash,
    file_sha256,
    load_corpus,
    load_labelled_file,
    multi_hot,
)

RECORDS = [
    {"id": "a-1", "text": "First text.", "lang": "en", "labels": ["cloud", "data"], "kind": "multi", "split": "train"},
    {"id": "a-2", "text": "Deuxième.", "lang": "fr", "labels": [], "kind": "offtopic", "split": "test"},
    {"id": "a-3", "text": "Third text.", "lang": "en", "labels": ["telecom"], "kind": "typical", "split": "train"},
]


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path) -> Path:
    return write_jsonl(tmp_path / "proposals.jsonl", RECORDS)


def test_load_corpus(corpus):
    dataset = load_corpus(corpus)
    assert dataset.column_names == ["id", "text", "lang", "labels", "kind", "split"]
    assert dataset["labels"] == [["cloud", "data"], [], ["telecom"]]
    assert load_corpus(corpus, split="train")["id"] == ["a-1", "a-3"]
    assert len(load_corpus(corpus, split="validation")) == 0


def test_load_corpus_errors_name_the_line(tmp_path):
    with pytest.raises(ValueError, match="unknown split"):
        load_corpus(write_jsonl(tmp_path / "c.jsonl", RECORDS), split="dev")
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps(RECORDS[0]) + "\n{oops\n")
    with pytest.raises(ValueError, match=r"broken.jsonl:2: invalid JSON"):
        load_corpus(broken)
    missing = [RECORDS[0], {k: v for k, v in RECORDS[1].items() if k != "split"}]
    with pytest.raises(ValueError, match=r":2: missing field\(s\) \['split'\]"):
        load_corpus(write_jsonl(tmp_path / "m.jsonl", missing))
    unknown = [{**RECORDS[0], "labels": ["robots"]}]
    with pytest.raises(ValueError, match=r":1: unknown axis id"):
        load_corpus(write_jsonl(tmp_path / "u.jsonl", unknown))


def user_frame() -> pd.DataFrame:
    return pd.DataFrame([{k: r[k] for k in ("id", "text", "labels", "split")} for r in RECORDS])


def expected_rows() -> list[dict]:
    return [{k: r[k] for k in ("id", "text", "labels", "split")} for r in RECORDS]


def test_same_data_in_three_formats_loads_the_same(tmp_path):
    frame = user_frame()
    write_jsonl(tmp_path / "d.jsonl", frame.to_dict("records"))
    frame.to_parquet(tmp_path / "d.parquet")
    frame.assign(labels=frame["labels"].map(";".join)).to_csv(tmp_path / "d.csv", index=False)
    for name in ("d.jsonl", "d.parquet", "d.csv"):
        dataset = load_labelled_file(tmp_path / name)
        assert dataset.column_names == ["id", "text", "labels", "split"], name
        assert dataset.to_list() == expected_rows(), name


def test_custom_columns_and_generated_ids(tmp_path):
    path = tmp_path / "mine.csv"
    pd.DataFrame({"body": ["one", "two"], "tags": ["aiaas", "adoption|aiaas"]}).to_csv(path, index=False)
    dataset = load_labelled_file(path, text_column="body", labels_column="tags")
    assert dataset.to_list() == [
        {"id": "row-1", "text": "one", "labels": ["aiaas"]},
        {"id": "row-2", "text": "two", "labels": ["adoption", "aiaas"]},
    ]


def test_csv_ids_stay_strings(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("id,text,labels\n007,hello,data\n")
    assert load_labelled_file(path)["id"] == ["007"]


def test_missing_column_lists_available_ones(tmp_path):
    path = tmp_path / "mine.csv"
    pd.DataFrame({"body": ["one"], "tags": ["aiaas"]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"\['text'\] not found; available columns: body, tags"):
        load_labelled_file(path, labels_column="tags")


def test_unknown_axis_names_the_row(tmp_path):
    path = tmp_path / "mine.csv"
    pd.DataFrame({"id": ["p1", "p2"], "text": ["a", "b"], "labels": ["data", "data;robots"]}).to_csv(path)
    with pytest.raises(ValueError, match=r"row 2 \(id 'p2'\): unknown axis id\(s\) \['robots'\]"):
        load_labelled_file(path)


def test_empty_text_and_duplicate_ids_are_refused(tmp_path):
    empty = write_jsonl(tmp_path / "empty.jsonl", [{"text": " ", "labels": []}])
    with pytest.raises(ValueError, match=r"row 1.*empty or missing text"):
        load_labelled_file(empty)
    twice = write_jsonl(tmp_path / "twice.jsonl", [{"id": "x", "text": "a", "labels": []}] * 2)
    with pytest.raises(ValueError, match=r"duplicate ids.*\['x'\]"):
        load_labelled_file(twice)


def test_format_override_and_unknown_extension(tmp_path):
    path = tmp_path / "data.txt"
    path.write_text("text,labels\nhello,data\n")
    with pytest.raises(ValueError, match="format='jsonl'"):
        load_labelled_file(path)
    assert load_labelled_file(path, format="csv")["labels"] == [["data"]]


def test_multi_hot_follows_axes_order(corpus):
    matrix = multi_hot(load_corpus(corpus))
    assert matrix.shape == (3, len(AXES))
    assert matrix[0].tolist() == [int(a in ("cloud", "data")) for a in AXES]
    assert matrix[1].sum() == 0
    assert matrix[2, AXES.index("telecom")] == 1


def test_hashes(tmp_path, corpus):
    assert file_sha256(corpus) == hashlib.sha256(corpus.read_bytes()).hexdigest()
    as_csv = tmp_path / "c.csv"
    user_frame().assign(labels=lambda f: f["labels"].map("|".join)).to_csv(as_csv, index=False)
    assert corpus_hash(load_corpus(corpus)) == corpus_hash(load_labelled_file(as_csv))
    relabelled = write_jsonl(tmp_path / "r.jsonl", [{**RECORDS[0], "labels": ["cloud"]}, *RECORDS[1:]])
    assert corpus_hash(load_corpus(relabelled)) != corpus_hash(load_corpus(corpus))


def test_append_keeps_existing_bytes(tmp_path):
    path = tmp_path / "proposals.jsonl"
    path.write_text('{"kept":   "as is"}')
    append_to_corpus(path, [RECORDS[1]])
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == '{"kept":   "as is"}'
    assert json.loads(lines[1]) == RECORDS[1]
    assert list(json.loads(lines[1])) == ["id", "text", "lang", "labels", "kind", "split"]
    assert "Deuxième" in lines[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["proposals.jsonl"]
