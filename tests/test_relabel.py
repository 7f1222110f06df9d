"""Relabelling whole files: every row once and in order, bad rows flagged, interrupted runs finished exactly."""

from __future__ import annotations

import csv
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from axistag.cli import app
from model.axes import AXES
from model.predictor import Predictor
from relabel.engine_local import relabel_file
from relabel.plan import PARTS_MANIFEST, RelabelError, RelabelRequest, plan_relabel, work_directory
from relabel.rows import added_columns
from tests.fixtures import FailsOn, tiny_corpus_rows

FORMATS = ("csv", "jsonl", "parquet")
SCORE_COLUMNS = [f"score_{axis}" for axis in AXES]
ADDED = added_columns(AXES, explain=False, compare=False)
INPUT_COLUMNS = ["id", "text", "labels", "kind"]
# Bad rows each format can hold, by id: the reason their `error` must give.
BAD_ROWS = {
    "csv": {"bad-empty": "empty text", "bad-fields": "fields where the header has", "bad-bytes": "undecodable"},
    "jsonl": {"bad-empty": "empty text", "bad-number": "non-text value (int)", "bad-bytes": "undecodable"},
    "parquet": {"bad-empty": "empty text", "bad-null": "missing text"},
}


def proposals(count: int) -> list[dict]:
    corpus = tiny_corpus_rows()
    return [
        {"id": f"p-{i:04d}", "text": row["text"], "labels": row["labels"], "kind": row["kind"]}
        for i, row in enumerate(corpus[i % len(corpus)] for i in range(count))
    ]


def write_input(path: Path, fmt: str, rows: list[dict], bad: bool = True) -> list[str]:
    """Write `rows` with this format's bad rows spread among them; return every row's id in file order."""
    rows = [dict(row) for row in rows]
    bad_ids = list(BAD_ROWS[fmt]) if bad else []
    for position, bad_id in zip((1, len(rows) // 2, len(rows)), bad_ids, strict=False):
        rows.insert(position, {"id": bad_id, "text": "", "labels": [], "kind": "bad"})
    if fmt == "csv":
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(INPUT_COLUMNS)
            for row in rows:
                if row["id"] == "bad-fields":
                    writer.writerow([row["id"], "A text with no labels or kind column after it"])
                else:
                    writer.writerow([row["id"], row["text"], ";".join(row["labels"]), row["kind"]])
        text = path.read_bytes().replace(b"bad-bytes,,", b"bad-bytes,R\xe9seau \xff IA pour l'op\xe9rateur,")
        path.write_bytes(text)
    elif fmt == "jsonl":
        lines = []
        for row in rows:
            if row["id"] == "bad-number":
                row["text"] = 42
            line = json.dumps(row, ensure_ascii=False).encode("utf-8")
            if row["id"] == "bad-bytes":
                line = line.replace(b'"text": ""', b'"text": "caf\xe9 r\xe9seau"')
            lines.append(line)
        path.write_bytes(b"\n".join(lines) + b"\n")
    else:
        for row in rows:
            if row["id"] == "bad-null":
                row["text"] = None
        pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=7)
    return [row["id"] for row in rows]


def read_output(path: Path, fmt: str) -> list[dict]:
    if fmt == "csv":
        with open(path, newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return pq.read_table(path).to_pylist()


def output_columns(path: Path, fmt: str) -> list[str]:
    if fmt == "csv":
        with open(path, newline="", encoding="utf-8") as handle:
            return next(csv.reader(handle))
    if fmt == "parquet":
        return pq.read_schema(path).names
    return list(json.loads(path.read_text(encoding="utf-8").splitlines()[0]))


class InterruptedAfter(Predictor):
    """The real predictor, stopped by Ctrl+C once it has scored `chunks` chunks."""

    def __init__(self, predictor: Predictor, chunks: int) -> None:
        super().__init__(predictor.scorer, predictor.manifest)
        self.chunks_left = chunks

    def predict(self, texts, explain=False, deadline=None):
        if self.chunks_left == 0:
            raise KeyboardInterrupt
        self.chunks_left -= 1
        return super().predict(texts, explain, deadline)


def relabel(tmp_path: Path, predictor: Predictor, fmt: str, rows: list[dict], **options):
    source = tmp_path / f"in.{fmt}"
    ids = write_input(source, fmt, rows)
    output = tmp_path / f"out.{fmt}"
    summary = relabel_file(RelabelRequest(source, output, chunk_rows=8, **options), predictor, progress=False)
    return ids, output, summary


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_row_once_in_order_with_the_predictors_scores(tmp_path, tiny_predictor, fmt):
    rows = proposals(30)
    ids, output, summary = relabel(tmp_path, tiny_predictor, fmt, rows)
    bad = BAD_ROWS[fmt]
    assert output_columns(output, fmt) == INPUT_COLUMNS + ADDED
    written = read_output(output, fmt)
    assert [row["id"] for row in written] == ids
    assert (summary.rows, summary.scored, summary.errors) == (len(ids), len(rows), len(bad))
    assert not work_directory(output).exists()

    expected = dict(zip([r["id"] for r in rows], tiny_predictor.predict([r["text"] for r in rows]), strict=True))
    for row in written:
        if row["id"] in bad:
            assert bad[row["id"]] in row["error"]
            assert row["score_cloud"] in (None, "")
            continue
        prediction = expected[row["id"]]
        assert row["error"] in (None, "")
        assert row["text"] == next(r["text"] for r in rows if r["id"] == row["id"])
        scores = [float(row[column]) for column in SCORE_COLUMNS]
        assert scores == pytest.approx(list(prediction.scores.values()), abs=1e-5)
        labels = row["pred_labels"].split(";") if fmt == "csv" and row["pred_labels"] else row["pred_labels"]
        assert labels == prediction.labels
        assert row["needs_review"] in (prediction.needs_review, str(prediction.needs_review).lower())
        assert row["language"] == prediction.language
        assert row["model_version"] == f"{tiny_predictor.name}@{tiny_predictor.version}"
    assert summary.label_counts == dict(Counter(axis for p in expected.values() for axis in p.labels))


@pytest.mark.parametrize("fmt", FORMATS)
def test_interrupted_run_finishes_exactly_on_the_same_command(tmp_path, tiny_predictor, fmt):
    rows = proposals(40)
    reference_dir, resumed_dir = tmp_path / "reference", tmp_path / "resumed"
    reference_dir.mkdir()
    resumed_dir.mkdir()
    _, reference, _ = relabel(reference_dir, tiny_predictor, fmt, rows)
    with pytest.raises(KeyboardInterrupt):
        relabel(resumed_dir, InterruptedAfter(tiny_predictor, chunks=2), fmt, rows)
    output = resumed_dir / f"out.{fmt}"
    assert not output.exists()
    assert len(list(work_directory(output).glob("done-*.json"))) == 2

    request = RelabelRequest(resumed_dir / f"in.{fmt}", output, chunk_rows=8)
    summary = relabel_file(request, tiny_predictor, progress=False)
    assert summary.resumed_rows == 16
    assert summary.processed_rows == summary.rows - 16
    assert read_output(output, fmt) == read_output(reference, fmt)
    assert not work_directory(output).exists()


def test_changed_input_is_not_mixed_with_the_interrupted_run(tmp_path, tiny_predictor):
    rows = proposals(30)
    with pytest.raises(KeyboardInterrupt):
        relabel(tmp_path, InterruptedAfter(tiny_predictor, chunks=1), "jsonl", rows)
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    ids = write_input(source, "jsonl", proposals(31))
    with pytest.raises(RelabelError, match="input file changed"):
        relabel_file(RelabelRequest(source, output, chunk_rows=8), tiny_predictor, progress=False)
    notes = []
    request = RelabelRequest(source, output, chunk_rows=8, overwrite=True)
    summary = relabel_file(request, tiny_predictor, progress=False, notify=notes.append)
    assert any("discarding the unfinished run" in note for note in notes)
    assert summary.resumed_rows == 0
    assert [row["id"] for row in read_output(output, "jsonl")] == ids


def test_kill_during_publishing_is_finished_by_the_next_run(tmp_path, tiny_predictor, monkeypatch):
    from relabel import engine_local

    original = engine_local.shutil.rmtree

    def killed(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(engine_local.shutil, "rmtree", killed)
    with pytest.raises(KeyboardInterrupt):
        relabel(tmp_path, tiny_predictor, "csv", proposals(10))
    output = tmp_path / "out.csv"
    assert output.exists() and (work_directory(output) / "finished.json").exists()
    monkeypatch.setattr(engine_local.shutil, "rmtree", original)
    summary = relabel_file(RelabelRequest(tmp_path / "in.csv", output), tiny_predictor, progress=False)
    assert (summary.rows, summary.processed_rows) == (13, 0)
    assert not work_directory(output).exists()


def test_a_second_concurrent_run_is_refused(tmp_path, tiny_predictor):
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_input(source, "jsonl", proposals(5))
    workdir = work_directory(output)
    workdir.mkdir()
    with open(workdir / "lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(RelabelError, match="another relabel run"):
            relabel_file(RelabelRequest(source, output), tiny_predictor, progress=False)


def test_a_text_that_breaks_the_model_costs_one_row(tmp_path, tiny_predictor):
    rows = proposals(10)
    rows[4]["text"] = "POISON " + rows[4]["text"]
    _, output, summary = relabel(tmp_path, FailsOn(tiny_predictor, "POISON"), "jsonl", rows)
    written = read_output(output, "jsonl")
    failed = [row for row in written if row["error"] and "scoring failed" in row["error"]]
    assert [row["id"] for row in failed] == ["p-0004"]
    assert failed[0]["error"] == "scoring failed: ValueError: cannot tokenise"
    assert summary.scored == 9


def decisive(predictor: Predictor, texts: list[str]) -> Predictor:
    """The same model with thresholds set far from every score: `foundation_models` always on, others off.

    Only short or foreign texts then need review, so the review file is a real subset.
    """
    scores = predictor.probabilities(texts)
    thresholds = [max(0.0, scores[:, 0].min() - 0.1)] + [min(1.0, scores[:, i].max() + 0.1) for i in range(1, 8)]
    manifest = {**predictor.manifest, "thresholds": {**predictor.manifest["thresholds"], "selected": thresholds}}
    return Predictor(predictor.scorer, manifest)


def test_disagreement_report_and_review_file(tmp_path, tiny_predictor):
    rows = proposals(24)
    rows[3]["text"] = "Réseau IA"  # too short: needs review
    rows[5]["text"] = "Проект обучает языковую модель для государственных больниц региона и города."
    model = decisive(tiny_predictor, [r["text"] for r in rows])
    review = tmp_path / "review.jsonl"
    ids, output, summary = relabel(tmp_path, model, "csv", rows, compare_column="labels", review_out=review)

    written = read_output(output, "csv")
    assert output_columns(output, "csv") == INPUT_COLUMNS + added_columns(AXES, explain=False, compare=True)
    old = {r["id"]: set(r["labels"]) for r in rows}
    added = sum("foundation_models" not in labels for labels in old.values())
    removed = {axis: sum(axis in labels for labels in old.values()) for axis in AXES[1:]}
    differing = [i for i, labels in old.items() if labels != {"foundation_models"}]
    assert summary.differing_rows == len(differing)
    markdown, table = tmp_path / "out.disagreement.md", tmp_path / "out.disagreement.csv"
    report = markdown.read_text()
    assert f"| foundation_models | {24 - added} | 24 | {added} | 0 |" in report
    for axis, count in removed.items():
        assert f"| {axis} | {count} | 0 | 0 | {count} |" in report
    with open(table, newline="") as handle:
        changes = list(csv.DictReader(handle))
    assert len(changes) == added + sum(removed.values())
    margins = [float(c["margin"]) for c in changes]
    assert margins == sorted(margins, reverse=True)
    assert {c["item"] for c in changes} == set(differing)

    needing = {row["id"] for row in written if row["needs_review"] == "true"}
    predictions = model.predict([r["text"] for r in rows])
    assert needing == {r["id"] for r, p in zip(rows, predictions, strict=True) if p.needs_review}
    assert {"p-0003", "p-0005"} <= needing
    expected_review = [r["id"] for r in written if r["id"] in needing or r["error"] or r["label_changes"]]
    reviewed = read_output(review, "jsonl")
    assert [row["id"] for row in reviewed] == expected_review
    assert len(expected_review) < len(ids)
    assert all(isinstance(row["pred_labels"], list | None) for row in reviewed)
    assert summary.review_rows == len(expected_review)


def test_explain_adds_evidence_in_each_format(tmp_path, tiny_predictor):
    rows = proposals(6)
    for fmt in ("csv", "parquet"):
        folder = tmp_path / fmt
        folder.mkdir()
        _, output, _ = relabel(folder, tiny_predictor, fmt, rows, explain=True)
        for row in read_output(output, fmt):
            if row["error"]:
                continue
            evidence = json.loads(row["evidence"]) if fmt == "csv" else row["evidence"]
            labels = row["pred_labels"].split(";") if fmt == "csv" else row["pred_labels"]
            assert {item["axis"] for item in evidence} == set(labels)
            assert all(row["text"][item["start"] : item["end"]] == item["sentence"] for item in evidence)


def test_a_broken_jsonl_line_keeps_its_place(tmp_path, tiny_predictor):
    source = tmp_path / "in.jsonl"
    good = [json.dumps(row) for row in proposals(3)]
    source.write_text("\n".join([good[0], '{"id": "p-x", "text": ', good[1], "", good[2]]) + "\n")
    summary = relabel_file(RelabelRequest(source, tmp_path / "out.jsonl"), tiny_predictor, progress=False)
    written = read_output(tmp_path / "out.jsonl", "jsonl")
    assert [row.get("id") for row in written] == ["p-0000", None, "p-0001", "p-0002"]
    assert written[1]["error"].startswith("line 2: invalid JSON")
    assert (summary.rows, summary.errors) == (4, 1)


def test_header_only_file_gives_an_empty_output(tmp_path, tiny_predictor):
    source = tmp_path / "in.csv"
    source.write_text("id,text\n")
    summary = relabel_file(RelabelRequest(source, tmp_path / "out.csv"), tiny_predictor, progress=False)
    assert summary.rows == 0
    assert output_columns(tmp_path / "out.csv", "csv") == ["id", "text", *ADDED]


# ---------------------------------------------------------------- the command


def run_cli(*args: str):
    return CliRunner().invoke(app, ["relabel", *args, "--no-progress"])


def test_existing_output_is_kept_without_overwrite(tmp_path, tiny_model):
    source, output = tmp_path / "in.jsonl", tmp_path / "out.csv"
    write_input(source, "jsonl", proposals(5), bad=False)
    output.write_text("precious\n")
    result = run_cli(str(source), "-o", str(output), "--model", str(tiny_model))
    assert result.exit_code == 2
    assert "already exists; pass --overwrite" in result.stderr
    assert output.read_text() == "precious\n"
    result = run_cli(str(source), "-o", str(output), "--model", str(tiny_model), "--overwrite")
    assert result.exit_code == 0, result.output
    assert [row["id"] for row in read_output(output, "csv")] == [f"p-{i:04d}" for i in range(5)]
    assert "wrote" in result.stdout and "5 scored" in result.stdout


@pytest.mark.parametrize(
    ("content", "options", "message"),
    [
        (b'{"id": "a", "body": "text"}\n', [], "text column 'text' not found; available: 'id', 'body'"),
        (b'{"id": "a", "text": "t"}\n', ["--id-column", "ref"], "id column 'ref' not found"),
        (b'{"id": "a", "text": "t"}\n', ["--compare-column", "old"], "compare column 'old' not found"),
        (b'{"id": "a", "text": "t"}\n', ["--format", "xlsx"], "unknown format 'xlsx'"),
        (b'{"id": "a", "text": "t"}\n', ["--input-format", "parquet"], "cannot read it as parquet"),
        (b'{"id": "a", "text": "t"}\n', ["--workers", "3"], "--address and --workers are for --engine ray"),
    ],
)
def test_file_level_faults_stop_before_the_model_is_loaded(tmp_path, content, options, message):
    source = tmp_path / "in.jsonl"
    source.write_bytes(content)
    result = run_cli(str(source), "-o", str(tmp_path / "out.jsonl"), "--model", str(tmp_path / "no-model"), *options)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "cannot load the model" not in result.stderr


def test_the_ray_engine_writes_a_folder_and_replaces_only_its_own(tmp_path):
    source = tmp_path / "in.jsonl"
    write_input(source, "jsonl", proposals(3), bad=False)
    assert plan_relabel(RelabelRequest(source, tmp_path / "parts", engine="ray")).output_format == "parquet"
    assert plan_relabel(RelabelRequest(source, tmp_path / "parts.jsonl", engine="ray")).output_format == "jsonl"
    (tmp_path / "taken").write_text("a file\n")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("not ours\n")
    refusals = [
        (tmp_path / "out.csv", {}, "writes parquet or jsonl parts, not csv"),
        (tmp_path / "taken", {}, "is a file; the ray engine writes a folder of parts"),
        (tmp_path / "other", {}, "already exists; pass --overwrite"),
        (tmp_path / "other", {"overwrite": True}, f"a folder this command did not write (no {PARTS_MANIFEST})"),
    ]
    for output, options, message in refusals:
        with pytest.raises(RelabelError, match=message.replace("(", r"\(").replace(")", r"\)")):
            plan_relabel(RelabelRequest(source, output, engine="ray", **options))
    (tmp_path / "other" / PARTS_MANIFEST).write_text("{}\n")
    assert plan_relabel(RelabelRequest(source, tmp_path / "other", engine="ray", overwrite=True))


def test_unknown_extension_and_missing_file_exit_2(tmp_path):
    result = run_cli(str(tmp_path / "in.txt"), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 2 and "cannot tell the format of in.txt" in result.stderr
    result = run_cli(str(tmp_path / "gone.csv"), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_rows_without_an_id_column_are_named_by_number(tmp_path, tiny_model):
    source = tmp_path / "in.csv"
    source.write_text('text\nA GPU cluster scheduler pools compute across data centres.\n""\n')
    result = run_cli(str(source), "-o", str(tmp_path / "out.csv"), "--model", str(tiny_model))
    assert result.exit_code == 0, result.output
    assert "rows are named by their number" in result.stderr
    assert "error: row 2: empty text in 'text'" in result.stdout


def test_disagreements_of_id_less_rows_name_the_row(tmp_path, tiny_predictor):
    texts = ["A GPU cluster scheduler pools compute across data centres.", "Wir trainieren ein großes Sprachmodell."]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"text": t, "old": ["foundation_models"]}) + "\n" for t in texts))
    request = RelabelRequest(source, tmp_path / "out.jsonl", compare_column="old")
    summary = relabel_file(request, decisive(tiny_predictor, texts), progress=False)
    assert summary.differing_rows == 0
    source.write_text("".join(json.dumps({"text": t, "old": ["cloud"]}) + "\n" for t in texts))
    request = RelabelRequest(source, tmp_path / "again.jsonl", compare_column="old")
    relabel_file(request, decisive(tiny_predictor, texts), progress=False)
    with open(tmp_path / "again.disagreement.csv", newline="") as handle:
        changes = [(row["item"], row["axis"], row["change"]) for row in csv.DictReader(handle)]
    assert sorted(changes) == [
        ("row 1", "cloud", "removed"),
        ("row 1", "foundation_models", "added"),
        ("row 2", "cloud", "removed"),
        ("row 2", "foundation_models", "added"),
    ]


def test_killed_process_then_same_command_finishes_exactly(tmp_path, tiny_model):
    """SIGKILL in the middle of a real run; running the same command again completes the output exactly."""
    source, output, review = tmp_path / "in.csv", tmp_path / "out.csv", tmp_path / "review.csv"
    ids = write_input(source, "csv", proposals(600))
    args = [str(source), "-o", str(output), "--model", str(tiny_model), "--batch-size", "10"]
    args += ["--compare-column", "labels", "--review-out", str(review)]
    command = [sys.executable, "-m", "axistag", "relabel", *args, "--no-progress"]
    workdir = work_directory(output)
    with open(tmp_path / "first-run.log", "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 240
        while process.poll() is None and not list(workdir.glob("done-*.json")) and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL, (tmp_path / "first-run.log").read_text()
    assert not output.exists() and not review.exists()
    done_before = len(list(workdir.glob("done-*.json")))
    assert done_before >= 1

    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    assert "resuming:" in result.stderr
    written = read_output(output, "csv")
    assert [row["id"] for row in written] == ids
    assert sum(1 for row in written if row["error"]) == len(BAD_ROWS["csv"])
    expected_review = [r["id"] for r in written if r["needs_review"] == "true" or r["error"] or r["label_changes"]]
    assert [row["id"] for row in read_output(review, "csv")] == expected_review
    assert (tmp_path / "out.disagreement.md").exists()
    assert not workdir.exists()


def test_lone_surrogates_deep_nesting_and_huge_integers_cost_their_own_rows(tmp_path, tiny_predictor):
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = [
        '{"id": "ok", "text": "The hospital deploys AI triage with nurses and indicators."}',
        '{"id": "surrogate", "text": "x \\ud800 y", "note": "\\udc00"}',
        '{"id": "deep", "text": ' + "[" * 3000 + "]" * 3000 + "}",
        '{"id": "huge", "text": "a text", "n": ' + "7" * 5000 + "}",
    ]
    source.write_text("\n".join(lines) + "\n", encoding="ascii")
    for _ in range(2):  # a second run must not crash either
        summary = relabel_file(RelabelRequest(source, output, overwrite=True), tiny_predictor, progress=False)
        written = read_output(output, "jsonl")
        assert len(written) == 4
        assert (summary.scored, summary.errors) == (1, 3)
        assert "undecodable" in written[1]["error"]
        assert written[1]["note"] == "\ufffd"
        assert "nested deeper" in written[2]["error"]
        assert "more than 4300 digits" in written[3]["error"]
