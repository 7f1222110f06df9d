"""`axistag evaluate` as a user runs it: one model, its summary lines, and clean errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from axistag.cli import app


def test_single_model_report(tiny_baseline, tiny_corpus, tmp_path):
    out = tmp_path / "report"
    arguments = ["evaluate", "--model", str(tiny_baseline), "--data", str(tiny_corpus), "--out", str(out)]
    result = CliRunner().invoke(app, [*arguments, "--bootstrap", "20", "--split", "validation", "--errors", "2"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert f"tiny-tfidf: macro F1 {metrics['macro_f1']:.3f}" in result.output
    assert str(out / "report.html") in result.output
    assert metrics["data"]["split"] == "validation"
    assert [block["model"]["key"] for block in metrics["models"]] == ["tiny-tfidf"]
    assert metrics["comparison"] == []
    assert all(len(found["false_positives"]) <= 2 for found in metrics["errors"].values())


def test_missing_data_file(tiny_baseline, tmp_path):
    arguments = [
        "evaluate",
        "--model",
        str(tiny_baseline),
        "--data",
        str(tmp_path / "nope.jsonl"),
        "--out",
        str(tmp_path),
    ]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 2
    assert "error:" in result.output


def test_not_a_model_folder(tiny_corpus, tmp_path):
    arguments = ["evaluate", "--model", str(tmp_path), "--data", str(tiny_corpus), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 2
    assert "not an axistag model folder" in result.output
    assert not (tmp_path / "out").exists()


def test_split_on_a_file_without_splits(tiny_baseline, tmp_path):
    data = tmp_path / "mine.jsonl"
    data.write_text(json.dumps({"id": "1", "text": "Un cloud souverain pour l'IA", "labels": ["cloud"]}) + "\n")
    arguments = ["evaluate", "--model", str(tiny_baseline), "--data", str(data), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, [*arguments, "--split", "test"])
    assert result.exit_code == 2
    assert "no 'split' column" in result.output
