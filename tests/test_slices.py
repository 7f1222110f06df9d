"""Slices by language, language group, kind and length, each with its own intervals."""

from __future__ import annotations

import numpy as np
import pytest

from eval.slices import item_languages, language_group, slice_masks, slice_report


@pytest.mark.parametrize(
    ("language", "group"),
    [
        ("fr", "fr"),
        ("en", "en"),
        ("de", "de"),
        ("it", "it+es"),
        ("es", "it+es"),
        ("nl", "others"),
        ("unknown", "others"),
    ],
)
def test_language_groups(language, group):
    assert language_group(language) == group


def test_missing_languages_fall_back_to_the_detected_one():
    assert item_languages(["fr", "", ""], ["en", "de", None]) == ["fr", "de", "unknown"]


def test_masks_per_family():
    texts = ["word " * 49, "word " * 50, "word " * 120, "word " * 250]
    masks = slice_masks(texts, ["fr", "it", "es", "pl"], ["typical", "hard", "typical", "short"])
    assert list(masks) == ["language", "language_group", "length", "kind"]
    assert list(masks["language_group"]) == ["fr", "it+es", "others"]  # empty groups are left out
    assert masks["language_group"]["it+es"].tolist() == [False, True, True, False]
    assert {name: mask.tolist() for name, mask in masks["length"].items()} == {
        "under 50 words": [True, False, False, False],
        "50-99 words": [False, True, False, False],
        "100-199 words": [False, False, True, False],
        "200+ words": [False, False, False, True],
    }
    assert list(masks["kind"]) == ["typical", "hard", "short"]  # most frequent first


def test_no_kind_family_without_kinds():
    assert "kind" not in slice_masks(["a b"], ["fr"], None)


def test_slice_report_counts_and_intervals():
    targets = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    predicted = np.array([[1, 0], [0, 0], [1, 1], [1, 0]])
    masks = {"language": {"fr": np.array([True, True, False, False]), "en": np.array([False, False, True, True])}}
    report, intervals = slice_report(targets, predicted, masks, resamples=50, seed=0)
    assert report["language"]["fr"]["items"] == 2
    assert report["language"]["fr"]["labels"] == 2
    assert report["language"]["fr"]["micro_f1"] == pytest.approx(2 / 3)  # TP 1, FN 1
    assert report["language"]["en"]["subset_accuracy"] == pytest.approx(0.5)
    assert set(intervals) == {
        f"slices.language.{name}.{figure}"
        for name in ("fr", "en")
        for figure in (
            "macro_f1",
            "micro_f1",
            "samples_f1",
            "subset_accuracy",
            "hamming_loss",
            "no_label_false_positive_rate",
        )
    }
    low, high = intervals["slices.language.fr.micro_f1"]
    assert 0 <= low <= high <= 1


def test_a_slice_without_true_axes_has_no_f1_but_says_how_often_it_raised_an_alarm():
    targets = np.array([[0, 0], [0, 0], [0, 0], [0, 0]])
    predicted = np.array([[1, 0], [0, 0], [0, 0], [0, 0]])
    masks = {"kind": {"offtopic": np.ones(4, dtype=bool)}}
    report, intervals = slice_report(targets, predicted, masks, resamples=50, seed=0)
    offtopic = report["kind"]["offtopic"]
    assert offtopic["macro_f1"] is None and offtopic["micro_f1"] is None
    assert intervals["slices.kind.offtopic.macro_f1"] is None
    assert offtopic["samples_f1"] == pytest.approx(0.75)
    assert offtopic["no_label_false_positive_rate"] == pytest.approx(0.25)
    assert intervals["slices.kind.offtopic.no_label_false_positive_rate"] is not None
