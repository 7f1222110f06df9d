"""The corpus checker finds every defect, on the right line, with the right severity."""

from __future__ import annotations

import json
import random
import re
import time
from pathlib import Path

import pytest

from training.data_check import (
    CheckReport,
    check_corpus,
    jaccard_pairs,
    language_detector,
    word_shingles,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
REALWORLD = REPO_ROOT.parent / "shared" / "realworld" / "proposals.jsonl"

# Distinct proposals (no shared 5-grams, different openings), long enough for a sure language guess.
TEXTS = {
    "en": [
        "A regional hospital group will fine-tune an open language model on pseudonymised discharge "
        "letters and integrate it into the patient record system of three pilot wards, measuring time saved.",
        "The operator builds a scheduler that pools idle graphics processors across four university "
        "data centres, so that research teams can run distributed training jobs without buying clusters.",
        "Our consortium curates, annotates and documents a multilingual corpus of court decisions, cleared "
        "for reuse, with a governance board that decides access rules for companies and public bodies alike.",
        "We design a low-power accelerator that runs speech recognition on hearing aids within a budget of "
        "two milliwatts, using quantisation and pruning, and we publish energy measurements per inference.",
        "A mobile network operator applies machine learning to predict antenna failures and to switch off "
        "radio cells at night when traffic is low, cutting the electricity bill of its access network.",
        "The city council deploys a document assistant in its permit office; clerks use it daily to check "
        "building applications, and the project tracks processing delays and the rate of corrected drafts.",
    ],
    "fr": [
        "La coopérative agricole développe un service de prévision des rendements pour ses adhérents, à "
        "partir d'images satellites et de relevés de sol, avec des indicateurs suivis sur trois saisons.",
        "Le laboratoire publie sous licence Apache un cadre logiciel ouvert pour évaluer les modèles de "
        "langue en français, et anime une communauté de contributeurs issus de l'industrie et du public.",
    ],
    "de": [
        "Die Stadtwerke setzen ein lernendes System zur Lastprognose im Verteilnetz ein; die Leitwarte "
        "nutzt die Vorhersagen täglich, und der Erfolg wird an den vermiedenen Netzengpässen gemessen.",
    ],
}
LABELS = [["adoption", "foundation_models"], ["cloud"], ["data", "open_source"], ["energy_efficiency"]]
LABELS += [["telecom"], ["adoption"], ["adoption"], ["open_source"], ["adoption"]]
SPLITS = ["train", "validation", "test"]


def clean_records() -> list[dict]:
    """Nine valid corpus records in three languages."""
    pairs = [(lang, text) for lang, texts in TEXTS.items() for text in texts]
    return [
        {
            "id": f"t-{n:04d}",
            "text": text,
            "lang": lang,
            "labels": LABELS[n - 1],
            "kind": "multi" if len(LABELS[n - 1]) > 1 else "typical",
            "split": SPLITS[n % 3],
        }
        for n, (lang, text) in enumerate(pairs, 1)
    ]


def write_jsonl(path: Path, records: list) -> Path:
    """One line per record; strings are written as they are, so tests can plant broken JSON."""
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def check(tmp_path: Path, records: list, **kwargs) -> CheckReport:
    """Check without the shared real-world file, unless a test asks for it."""
    kwargs.setdefault("realworld_path", write_jsonl(tmp_path / "realworld.jsonl", []))
    return check_corpus(write_jsonl(tmp_path / "proposals.jsonl", records), **kwargs)


def found(report: CheckReport, code: str, severity: str = "error") -> list[int | None]:
    return [p.line for p in report.problems if p.code == code and p.severity == severity]


def test_clean_corpus_has_no_problem(tmp_path):
    report = check(tmp_path, clean_records())
    assert report.problems == []
    assert report.ok


def with_defect(line: int, change: dict | str) -> list:
    """The clean corpus with record number `line` (1-based) replaced or updated."""
    records: list = clean_records()
    records[line - 1] = change if isinstance(change, str) else {**records[line - 1], **change}
    return records


@pytest.mark.parametrize(
    ("line", "change", "code"),
    [
        (3, '{"id": "t-0003", "text": "broken",', "json"),
        (4, "[1, 2]", "json"),
        (2, {"extra": 1}, "schema"),
        (5, {"lang": "EN"}, "schema"),
        (6, {"labels": "adoption"}, "schema"),
        (7, {"id": 7}, "schema"),
        (2, {"labels": ["adoption", "robots"]}, "labels"),
        (1, {"labels": ["foundation_models", "adoption"]}, "labels"),
        (1, {"labels": ["adoption", "adoption"]}, "labels"),
        (8, {"kind": "weird"}, "kind"),
        (9, {"split": "dev"}, "split"),
        (3, {"kind": "offtopic"}, "offtopic"),
        (4, {"text": "   "}, "empty-text"),
        (5, {"id": "t-0001"}, "duplicate-id"),
    ],
)
def test_each_defect_is_reported_on_its_line(tmp_path, line, change, code):
    report = check(tmp_path, with_defect(line, change))
    assert found(report, code) == [line], [str(p) for p in report.problems]
    assert not report.ok


def test_missing_field_is_named(tmp_path):
    records = clean_records()
    del records[1]["kind"]
    report = check(tmp_path, records)
    assert found(report, "schema") == [2]
    assert "kind" in report.problems[0].message


def test_all_problems_are_reported_in_one_run(tmp_path):
    records = with_defect(2, {"kind": "weird"})
    records[5] = {**records[5], "split": "dev"}
    records.append("not json")
    report = check(tmp_path, records)
    assert [(p.line, p.code) for p in report.errors] == [(2, "kind"), (6, "split"), (10, "json")]


def test_staged_file_has_no_split(tmp_path):
    records = [{k: v for k, v in r.items() if k != "split"} for r in clean_records()]
    assert check(tmp_path, records, staged=True).ok
    assert found(check(tmp_path, records), "schema") == list(range(1, 10))
    assert found(check(tmp_path, clean_records(), staged=True), "schema") == list(range(1, 10))


def test_wrong_language_is_an_error(tmp_path):
    report = check(tmp_path, with_defect(1, {"lang": "fr"}))
    assert found(report, "lang") == [1]
    assert "'en'" in report.errors[0].message


def test_wrong_language_on_noisy_or_short_text_is_a_warning(tmp_path):
    records = with_defect(1, {"lang": "de", "kind": "noisy"})
    records[1] = {**records[1], "text": "Cluster scheduler for shared training jobs.", "lang": "fr"}
    report = check(tmp_path, records)
    assert report.ok
    assert found(report, "lang", "warning") == [1, 2]


def test_language_detector_is_built_once():
    codes = frozenset({"en", "fr"})
    assert language_detector(codes) is language_detector(codes)


def test_exact_duplicate_ignores_case_and_spacing(tmp_path):
    records = clean_records()
    records.append({**records[2], "id": "t-0010", "text": "  " + records[2]["text"].upper().replace(" ", "  ")})
    report = check(tmp_path, records)
    assert found(report, "exact-duplicate") == [10]
    assert "t-0003" in report.errors[0].message
    assert found(report, "near-duplicate") == found(report, "first-words") == []


def test_near_duplicate_reports_the_pair_and_similarity(tmp_path):
    records = clean_records()
    text = records[3]["text"].replace("two milliwatts", "three milliwatts")
    records.append({**records[3], "id": "t-0010", "text": text})
    report = check(tmp_path, records)
    assert found(report, "near-duplicate") == [10]
    message = report.errors[-1].message
    assert "t-0004" in message
    assert re.search(r"Jaccard 0\.[5-9]\d$", message)


def test_near_duplicate_threshold_is_configurable(tmp_path):
    records = clean_records()
    words = records[3]["text"].split()
    words[len(words) // 2] = "different"
    records.append({**records[3], "id": "t-0010", "text": "Intro. " + " ".join(words)})
    assert found(check(tmp_path, records), "near-duplicate") == [10]
    assert found(check(tmp_path, records, jaccard=0.95), "near-duplicate") == []


def test_shared_first_eight_words(tmp_path):
    records = clean_records()
    opening = " ".join(records[0]["text"].split()[:8])
    records[5] = {**records[5], "text": opening.upper() + "!! " + records[5]["text"]}
    report = check(tmp_path, records)
    assert found(report, "first-words") == [6]
    assert "t-0001" in report.errors[0].message


def test_overlap_with_realworld_names_ids_only(tmp_path):
    secret = "This evaluation text must never be printed by the checker, only its identifier."
    realworld = write_jsonl(
        tmp_path / "rw.jsonl",
        [
            {"id": "rw-7", "text": TEXTS["en"][4]},
            {"id": "rw-8", "text": " ".join(TEXTS["en"][1].split()[:8]) + " " + secret},
        ],
    )
    report = check(tmp_path, clean_records(), realworld_path=realworld)
    assert found(report, "realworld-overlap") == [2, 5]
    messages = " ".join(p.message for p in report.problems)
    assert "rw-7" in messages and "rw-8" in messages
    assert secret not in messages and TEXTS["en"][4] not in messages


def test_shared_realworld_set_is_found_relative_to_the_repo(tmp_path):
    if not REALWORLD.is_file():
        pytest.skip(f"{REALWORLD} is not available")
    report = check_corpus(write_jsonl(tmp_path / "proposals.jsonl", clean_records()))
    assert report.realworld_path == REALWORLD
    assert found(report, "realworld-overlap") == []


def test_missing_shared_folder_skips_the_overlap_check(tmp_path, monkeypatch):
    monkeypatch.setattr("training.data_check.DEFAULT_REALWORLD", tmp_path / "absent" / "proposals.jsonl")
    report = check_corpus(write_jsonl(tmp_path / "proposals.jsonl", clean_records()))
    assert report.realworld_path is None
    assert report.ok


def test_statistics(tmp_path):
    records = clean_records()
    records[8] = {**records[8], "labels": [], "kind": "offtopic"}
    stats = check(tmp_path, records).stats
    assert stats.n_items == 9
    assert stats.per_axis["adoption"] == 3
    assert stats.per_lang == {"en": 6, "fr": 2, "de": 1}
    assert stats.per_kind["offtopic"] == 1 and stats.per_kind["short"] == 0
    assert stats.per_split == {"train": 3, "validation": 3, "test": 3}
    assert stats.cardinality == {"0": 1, "1": 6, "2": 2, "3": 0, "4+": 0}
    assert stats.share_2_3_labels == pytest.approx(2 / 9)
    assert list(stats.length_words) == ["min", "p10", "p50", "p90", "max"]
    assert stats.length_words["min"] <= stats.length_words["p50"] <= stats.length_words["max"]
    assert stats.per_axis_split["adoption"] == {"train": 1, "validation": 2, "test": 0}


def test_word_shingles():
    assert word_shingles("One, two THREE four five six!") == {
        ("one", "two", "three", "four", "five"),
        ("two", "three", "four", "five", "six"),
    }
    assert word_shingles("Too short.") == {("too", "short")}
    assert word_shingles("...") == frozenset()


def test_near_duplicate_search_scales_to_thousands():
    rng = random.Random(0)
    vocabulary = [f"w{i}" for i in range(500)]
    texts = [" ".join(rng.choices(vocabulary, k=100)) for _ in range(2000)]
    texts.append(texts[123] + " with a few extra words at the end")
    started = time.perf_counter()
    pairs = jaccard_pairs([word_shingles(t) for t in texts], threshold=0.5)
    assert time.perf_counter() - started < 10
    assert [(i, j) for i, j, _ in pairs] == [(123, 2000)]
