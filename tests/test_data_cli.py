"""`axistag data check` and `axistag data merge`, run as a user would."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.test_data_check import clean_records, write_jsonl
from training.data_cli import data_app

runner = CliRunner()


def staged(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "split"} for r in records]


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_check_clean_corpus_exits_0(tmp_path):
    corpus = write_jsonl(tmp_path / "proposals.jsonl", clean_records())
    empty = write_jsonl(tmp_path / "rw.jsonl", [])
    result = runner.invoke(data_app, ["check", str(corpus), "--realworld", str(empty)])
    assert result.exit_code == 0, result.output
    assert "Positives per axis" in result.output
    assert "0 error(s), 0 warning(s)" in result.output


def test_check_prints_each_problem_with_its_line_and_exits_1(tmp_path):
    records = clean_records()
    records[3] = {**records[3], "kind": "weird"}
    corpus = write_jsonl(tmp_path / "proposals.jsonl", records)
    empty = write_jsonl(tmp_path / "rw.jsonl", [])
    result = runner.invoke(data_app, ["check", str(corpus), "--realworld", str(empty)])
    assert result.exit_code == 1
    assert f"{corpus}:4: error [kind]" in result.output


def test_check_staged_file(tmp_path):
    path = write_jsonl(tmp_path / "xx.jsonl", staged(clean_records()))
    empty = write_jsonl(tmp_path / "rw.jsonl", [])
    assert runner.invoke(data_app, ["check", str(path), "--staged", "--realworld", str(empty)]).exit_code == 0


def test_merge_appends_with_splits_and_never_moves_existing(tmp_path):
    records = clean_records()
    corpus = tmp_path / "proposals.jsonl"
    first = write_jsonl(tmp_path / "a.jsonl", staged(records[:6]))
    second = write_jsonl(tmp_path / "b.jsonl", staged(records[6:]))
    assert runner.invoke(data_app, ["merge", str(first), "--into", str(corpus)]).exit_code == 0
    before = corpus.read_text(encoding="utf-8")
    result = runner.invoke(data_app, ["merge", str(second), "--into", str(corpus)])
    assert result.exit_code == 0, result.output
    assert corpus.read_text(encoding="utf-8").startswith(before)
    merged = read(corpus)
    assert [r["id"] for r in merged] == [r["id"] for r in records]
    assert all(r["split"] in ("train", "validation", "test") for r in merged)


def test_merge_refuses_existing_ids_and_bad_lines_without_writing(tmp_path):
    records = clean_records()
    corpus = write_jsonl(tmp_path / "proposals.jsonl", records[:3])
    before = corpus.read_bytes()
    clash = write_jsonl(tmp_path / "clash.jsonl", staged(records[2:4]))
    result = runner.invoke(data_app, ["merge", str(clash), "--into", str(corpus)])
    assert result.exit_code == 1
    assert "'t-0003' already in the corpus" in result.output
    bad = write_jsonl(tmp_path / "bad.jsonl", [*staged(records[3:5]), {**staged(records)[5], "kind": "weird"}])
    result = runner.invoke(data_app, ["merge", str(bad), "--into", str(corpus)])
    assert result.exit_code == 1
    assert f"{bad}:3: kind must be one of" in result.output
    with_split = write_jsonl(tmp_path / "split.jsonl", records[3:4])
    assert runner.invoke(data_app, ["merge", str(with_split), "--into", str(corpus)]).exit_code == 1
    assert corpus.read_bytes() == before
