"""`axistag evaluate` end to end: the four files, and metrics.json in its documented layout."""

from __future__ import annotations

import json

import pytest

from eval.metrics import figure_value

FIGURES = (
    "macro_f1",
    "micro_f1",
    "weighted_f1",
    "samples_f1",
    "subset_accuracy",
    "hamming_loss",
    "label_cardinality_true",
    "label_cardinality_predicted",
    "no_label_false_positive_rate",
)
BLOCK_KEYS = {
    "model",
    *FIGURES,
    "per_axis",
    "calibration",
    "thresholds_comparison",
    "slices",
    "intervals",
    "errors",
}
PER_AXIS_KEYS = {"precision", "recall", "f1", "support", "predicted", "roc_auc", "average_precision", "threshold"}


@pytest.fixture(scope="module")
def metrics(tiny_evaluation) -> dict:
    return json.loads((tiny_evaluation / "metrics.json").read_text())


def test_writes_the_four_files(tiny_evaluation):
    names = {path.name for path in tiny_evaluation.iterdir()}
    assert names == {"report.html", "report.md", "metrics.json", "predictions.jsonl"}


def test_metrics_has_the_documented_keys(metrics):
    assert set(metrics) == BLOCK_KEYS | {"created", "code_version", "bootstrap", "data", "models", "comparison"}
    assert set(metrics["data"]) == {
        "path",
        "sha256",
        "items_sha256",
        "split",
        "items",
        "unlabelled_items",
        "axis_support",
        "language_source",
        "scores",
    }
    assert metrics["data"]["scores"] is None
    assert metrics["bootstrap"] == {"resamples": 60, "seed": 0, "confidence": 0.95}
    for block in metrics["models"]:
        assert set(block) == BLOCK_KEYS
        assert all(set(figures) == PER_AXIS_KEYS for figures in block["per_axis"].values())
        assert set(block["calibration"]) == {"bins", "ece", "reliability"}
        assert set(block["thresholds_comparison"]) == {"selected", "global_threshold", "per_axis", "global"}
        assert {"language", "language_group", "length", "kind"} == set(block["slices"])


def test_top_level_figures_are_the_first_model(metrics):
    first = metrics["models"][0]
    assert [block["model"]["key"] for block in metrics["models"]] == ["tiny", "tiny-tfidf"]
    assert {key: metrics[key] for key in BLOCK_KEYS} == first


def test_every_figure_has_an_interval_that_resolves_to_it(metrics):
    for block in metrics["models"]:
        for name in ("macro_f1", "per_axis.cloud.f1", "per_axis.data.roc_auc", "calibration.ece"):
            assert name in block["intervals"]
        for name, interval in block["intervals"].items():
            value = figure_value(block, name)
            if interval is not None:
                low, high = interval
                assert low <= high, name
                assert value is not None, name


def test_comparison_has_the_paired_test(metrics):
    [entry] = metrics["comparison"]
    assert (entry["model"], entry["reference"]) == ("tiny", "tiny-tfidf")
    test = entry["test"]
    assert test["figure"] == "macro_f1" and test["method"] == "paired bootstrap" and test["resamples"] == 60
    first, reference = metrics["models"]
    assert test["difference"] == pytest.approx(first["macro_f1"] - reference["macro_f1"])
    assert 0 < test["p_value"] <= 1
    assert set(entry["figures"]) >= {"macro_f1", "micro_f1", "calibration.ece", "per_axis.telecom.f1"}


def test_data_is_identified(metrics, tiny_corpus):
    from training.corpus import file_sha256

    data = metrics["data"]
    assert data["path"] == str(tiny_corpus)
    assert data["sha256"] == file_sha256(tiny_corpus)
    assert data["split"] == "test"
    assert sum(data["axis_support"].values()) == sum(f["support"] for f in metrics["per_axis"].values())


def test_predictions_file_has_one_line_per_item_and_model(tiny_evaluation, metrics):
    lines = [json.loads(line) for line in (tiny_evaluation / "predictions.jsonl").read_text().splitlines()]
    assert len(lines) == metrics["data"]["items"]
    for line in lines:
        assert set(line) == {"id", "lang", "labels", "predictions"}
        assert set(line["predictions"]) == {"tiny", "tiny-tfidf"}
        prediction = line["predictions"]["tiny"]
        assert set(prediction) == {"scores", "labels", "needs_review", "review_reasons", "language"}
        assert prediction["labels"] == [
            a for a, s in prediction["scores"].items() if s >= metrics["per_axis"][a]["threshold"]
        ]


def test_listed_errors_are_real_mistakes(tiny_evaluation, metrics):
    truth = {
        json.loads(line)["id"]: set(json.loads(line)["labels"])
        for line in (tiny_evaluation / "predictions.jsonl").read_text().splitlines()
    }
    for axis, found in metrics["errors"].items():
        for mistake in found["false_positives"]:
            assert axis not in truth[mistake["id"]] and mistake["score"] >= mistake["threshold"]
        for mistake in found["false_negatives"]:
            assert axis in truth[mistake["id"]] and mistake["score"] < mistake["threshold"]
        scores = [m["score"] for m in found["false_positives"]]
        assert scores == sorted(scores, reverse=True)


def test_texts_can_be_kept_out_of_the_report(tiny_model, tiny_corpus, tmp_path):
    from eval.run import NOT_QUOTED, run_evaluation

    out = tmp_path / "unquoted"
    run_evaluation([tiny_model], tiny_corpus, out, resamples=20, progress=False, quote_texts=False)
    rows = [json.loads(line) for line in tiny_corpus.read_text().splitlines() if json.loads(line)["split"] == "test"]
    written = "".join((out / name).read_text() for name in ("report.html", "report.md", "metrics.json"))
    assert not (out / "predictions.jsonl").exists()
    assert NOT_QUOTED in written
    for row in rows:
        assert " ".join(row["text"].split()[:6]) not in written
