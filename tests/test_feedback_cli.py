"""`axistag feedback export` and `import`: labelled files that train and evaluate read, review files of
`axistag relabel`, and Label Studio tasks and exports."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from axistag.cli import app
from feedback.correction import Correction
from feedback.label_studio import CONTROL, LABELLING_CONFIG
from feedback.store import CorrectionStore
from model.axes import AXES
from training.corpus import load_labelled_file

TEXT = "Un hôpital déploie un assistant de tri <b>aux urgences</b>; ligne 2,\n avec des virgules."


@pytest.fixture
def database(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'corrections.sqlite3'}"
    store = CorrectionStore(url)
    judgements = ((TEXT, ["cloud"]), ("The operator plans its 5G network.", []), (TEXT, ["adoption", "data"]))
    for text, corrected in judgements:
        store.record(
            Correction(
                text=text,
                model_name="tiny",
                model_version="2025.1",
                model_scores=dict.fromkeys(AXES, 0.25),
                model_labels=["telecom"],
                corrected_labels=corrected,
                reviewer="Camille",
            )
        )
    store.close()
    return url


def invoke(*arguments: str) -> str:
    result = CliRunner().invoke(app, list(arguments))
    assert result.exit_code == 0, result.output
    return result.output


def stored(url: str) -> list[Correction]:
    store = CorrectionStore(url)
    try:
        return [correction for _, correction in store.corrections()]
    finally:
        store.close()


@pytest.mark.parametrize("extension", ["jsonl", "csv", "parquet"])
def test_export_writes_the_latest_correction_per_text_in_the_labelled_format(database, tmp_path, extension):
    out = tmp_path / f"corrections.{extension}"
    assert "2 corrected texts" in invoke("feedback", "export", "--out", str(out), "--database", database)
    loaded = load_labelled_file(out)
    assert [(row["text"], row["labels"]) for row in loaded] == [
        (TEXT, ["adoption", "data"]),
        ("The operator plans its 5G network.", []),
    ]
    assert len(set(loaded["id"])) == 2
    if extension == "csv":
        with out.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert rows[0]["model_version"] == "2025.1" and rows[0]["model_labels"] == "telecom"


def test_an_unknown_export_format_is_refused(database, tmp_path):
    result = CliRunner().invoke(app, ["feedback", "export", "--out", str(tmp_path / "x.xlsx"), "--database", database])
    assert result.exit_code == 2
    assert "cannot tell the format" in result.output


def test_a_reviewed_relabelling_file_comes_back_in(tiny_model, tiny_corpus, tmp_path):
    url = f"sqlite:///{tmp_path / 'corrections.sqlite3'}"
    review = tmp_path / "review.csv"
    invoke(
        "relabel", str(tiny_corpus), "-o", str(tmp_path / "relabelled.csv"), "--model", str(tiny_model),
        "--compare-column", "labels", "--review-out", str(review), "--no-progress",
    )  # fmt: skip
    with review.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 3, "the tiny model should disagree with a few corpus labels"
    rows[0]["corrected_labels"] = "cloud;data"
    rows[1]["corrected_labels"] = "none"
    for row in rows[2:]:
        row["corrected_labels"] = ""
    with review.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    output = invoke("feedback", "import", str(review), "--reviewer", "Léa", "--database", url)
    assert f"imported 2 corrections from review.csv ({len(rows) - 2} rows not reviewed" in output
    first, second = stored(url)
    assert (first.text, first.corrected_labels, first.reviewer) == (rows[0]["text"], ["cloud", "data"], "Léa")
    assert second.corrected_labels == []
    assert sorted(first.model_labels) == sorted(filter(None, rows[0]["pred_labels"].split(";")))
    assert f"{first.model_name}@{first.model_version}" == rows[0]["model_version"]
    assert first.model_scores["cloud"] == pytest.approx(float(rows[0]["score_cloud"]))
    assert first.source == "review-file"


def test_label_studio_tasks_carry_the_models_labels_and_its_export_comes_back(database, tmp_path):
    tasks_file = tmp_path / "tasks.json"
    assert "2 Label Studio tasks" in invoke("feedback", "export", "--out", str(tasks_file), "--database", database)
    assert (tmp_path / "tasks.label-config.xml").read_text() == LABELLING_CONFIG
    tasks = json.loads(tasks_file.read_text())
    assert tasks[0]["data"]["text"] == TEXT
    [prediction] = tasks[0]["predictions"]
    assert prediction["model_version"] == "tiny@2025.1"
    assert prediction["result"][0]["value"]["choices"] == ["telecom"]

    # What Label Studio exports after annotation: the tasks with their annotations, one of them cancelled.
    def annotation(choices: list[str], when: str, cancelled: bool = False) -> dict:
        result = [{"from_name": CONTROL, "to_name": "text", "type": "choices", "value": {"choices": choices}}]
        return {"result": result, "completed_by": 7, "updated_at": when, "was_cancelled": cancelled}

    tasks[0]["annotations"] = [
        annotation(["energy_efficiency"], "2025-03-01T10:00:00Z"),
        annotation(["open_source", "telecom"], "2025-03-02T10:00:00Z"),
        annotation(["cloud"], "2025-03-03T10:00:00Z", cancelled=True),
    ]
    export = tmp_path / "label-studio-export.json"
    export.write_text(json.dumps(tasks))
    target = f"sqlite:///{tmp_path / 'second.sqlite3'}"
    output = invoke("feedback", "import", str(export), "--database", target)
    assert "imported 1 corrections from label-studio-export.json (1 tasks without annotation)" in output
    [imported] = stored(target)
    assert imported.text == TEXT and imported.corrected_labels == ["open_source", "telecom"]
    assert imported.model_labels == ["telecom"] and imported.model_version == "2025.1"
    assert imported.reviewer == "label-studio:7" and imported.source == "label-studio"


def test_a_label_studio_export_with_an_unknown_axis_is_refused(tmp_path):
    export = tmp_path / "export.json"
    result = [{"from_name": CONTROL, "type": "choices", "value": {"choices": ["quantum"]}}]
    export.write_text(json.dumps([{"id": 4, "data": {"text": "x"}, "annotations": [{"result": result}]}]))
    outcome = CliRunner().invoke(app, ["feedback", "import", str(export), "--database", f"sqlite:///{tmp_path}/d.db"])
    assert outcome.exit_code == 2
    assert "task 4: unknown axis id(s) ['quantum']" in outcome.output
