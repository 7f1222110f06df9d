"""The disagreement report: counts per axis and the changes the model is surest of."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from model.axes import AXES
from model.predictor import Prediction
from relabel.disagreement import CHANGES_KEPT, Comparison, changes_csv, markdown_report, report_paths


def prediction(scores: dict[str, float], threshold: float = 0.5) -> Prediction:
    full = {axis: scores.get(axis, 0.1) for axis in AXES}
    return Prediction(
        scores=full,
        thresholds=dict.fromkeys(AXES, threshold),
        labels=[axis for axis in AXES if full[axis] >= threshold],
        needs_review=False,
        review_reasons=[],
        language="en",
    )


def test_added_and_removed_axes_are_counted():
    comparison = Comparison("labels")
    changes = comparison.add(1, "a", "text one", "cloud;data", prediction({"cloud": 0.9, "telecom": 0.8}))
    assert changes == ["+telecom", "-data"]
    assert comparison.add(2, "b", "text two", ["cloud"], prediction({"cloud": 0.7})) == []
    assert comparison.compared == 2
    assert comparison.differing == 1
    assert comparison.added == {"telecom": 1}
    assert comparison.removed == {"data": 1}
    assert comparison.old_counts == {"cloud": 2, "data": 1}
    assert comparison.new_counts == {"cloud": 2, "telecom": 1}
    [surest, other] = comparison.most_confident()
    assert (surest.axis, surest.change, round(surest.margin, 3)) == ("data", "removed", 0.4)
    assert (other.axis, other.change, round(other.margin, 3)) == ("telecom", "added", 0.3)


def test_unreadable_old_labels_are_counted_not_compared():
    comparison = Comparison("labels")
    assert comparison.add(1, "a", "text", "cloud;not_an_axis", prediction({})) is None
    assert comparison.add(2, "b", "text", 42, prediction({})) is None
    assert (comparison.unreadable, comparison.compared) == (2, 0)


def test_chunks_merge_to_the_same_result_as_one_pass():
    """Each chunk keeps only its most confident changes; the merge must still find the global top."""
    whole = Comparison("labels")
    chunks = [Comparison("labels") for _ in range(3)]
    for row in range(3 * CHANGES_KEPT):
        score = 0.5 + (row * 7919 % 1000) / 2000
        args = (row, f"id{row}", "text", [], prediction({"data": score, "aiaas": score / 2 + 0.25}))
        whole.add(*args)
        chunks[row % 3].add(*args)
    merged = Comparison("labels")
    for chunk in chunks:
        merged.merge(Comparison.from_dict(chunk.to_dict()))
    assert merged.to_dict() == whole.to_dict()
    assert len(merged.most_confident()) == CHANGES_KEPT


def test_reports_name_the_changes(tmp_path):
    comparison = Comparison("old")
    comparison.add(4, "p|4", "A text\nwith a pipe | in it", ["adoption"], prediction({"cloud": 0.95}))
    markdown = markdown_report(comparison, "in.csv", "tiny@1", "out.disagreement.csv")
    assert "| cloud | 0 | 1 | 1 | 0 |" in markdown
    assert "| adoption | 1 | 0 | 0 | 1 |" in markdown
    assert "| 4 | p\\|4 | cloud | added | 0.950 | 0.500 | A text with a pipe \\| in it |" in markdown
    rows = list(csv.DictReader(io.StringIO(changes_csv(comparison))))
    assert [(r["row"], r["axis"], r["change"]) for r in rows] == [("4", "cloud", "added"), ("4", "adoption", "removed")]
    assert rows[0]["old_labels"] == "adoption"
    assert rows[0]["new_labels"] == "cloud"


def test_agreement_is_said_plainly():
    comparison = Comparison("labels")
    comparison.add(1, "a", "text", [], prediction({}))
    assert "agrees with every compared row" in markdown_report(comparison, "in.csv", "m@1", "x.csv")


def test_report_files_sit_next_to_the_output():
    assert report_paths(Path("/d/out.csv")) == (Path("/d/out.disagreement.md"), Path("/d/out.disagreement.csv"))
    assert report_paths(Path("/d/out")) == (Path("/d/out.disagreement.md"), Path("/d/out.disagreement.csv"))
