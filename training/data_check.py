"""Validate the corpus file: every problem with its line number, and the statistics needed to judge balance.

A model is only as good as its corpus; this check runs before every merge is committed and before
training. It never stops at the first problem, so one run gives the full list to fix. Errors fail the check;
warnings (doubtful language tags on short or noisy texts, blank lines) are for a human to look at.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from lingua import IsoCode639_1, LanguageDetector, LanguageDetectorBuilder

from model.axes import AXES
from training.corpus import CORPUS_FIELDS, KINDS, SPLITS, STAGED_FIELDS

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REALWORLD = REPO_ROOT.parent / "shared" / "realworld" / "proposals.jsonl"
DEFAULT_JACCARD = 0.5
SHINGLE_WORDS = 5
FIRST_WORDS = 8
# A language mismatch is an error only when lingua can be trusted: enough words and a clear winner.
LANG_MIN_WORDS = 25
LANG_MIN_CONFIDENCE = 0.9
# Always in the detector, so a mistagged text is caught even in a file with one language: lingua's
# confidences are relative to the languages it knows, and it confidently picks a wrong one otherwise.
BASELINE_LANGUAGES = frozenset({"de", "en", "es", "fr", "it"})

Severity = Literal["error", "warning"]
_WORD = re.compile(r"\w+")
_LANG_CODE = re.compile(r"[a-z]{2}")


@dataclass(frozen=True)
class Problem:
    """One defect, located by its line in the checked file (None when it concerns no single line)."""

    line: int | None
    severity: Severity
    code: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        return f"{where}: {self.severity} [{self.code}] {self.message}"


@dataclass(frozen=True)
class Item:
    """A line that parsed as a JSON object; its fields may still be wrong, each check reads what it needs."""

    line: int
    record: dict[str, Any]

    def get_str(self, name: str) -> str | None:
        value = self.record.get(name)
        return value if isinstance(value, str) else None


@dataclass
class CorpusStats:
    """Counts that show whether each axis, language, kind and split is represented enough."""

    n_items: int = 0
    per_axis: dict[str, int] = field(default_factory=dict)
    per_lang: dict[str, int] = field(default_factory=dict)
    per_kind: dict[str, int] = field(default_factory=dict)
    per_split: dict[str, int] = field(default_factory=dict)
    cardinality: dict[str, int] = field(default_factory=dict)
    share_2_3_labels: float = 0.0
    length_words: dict[str, int] = field(default_factory=dict)
    per_axis_split: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class CheckReport:
    """Everything `check_corpus` found; `ok` is what decides the exit code."""

    path: Path
    problems: list[Problem]
    stats: CorpusStats
    realworld_path: Path | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> Counter[tuple[str, Severity]]:
        """Number of problems per (code, severity), for a summary table."""
        return Counter((p.code, p.severity) for p in self.problems)


# --- parsing and per-record schema -------------------------------------------------------------------


def parse_jsonl(path: str | Path) -> tuple[list[Item], list[Problem]]:
    """Parse every line, collecting JSON errors instead of stopping at the first."""
    items: list[Item] = []
    problems: list[Problem] = []
    with open(path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                problems.append(Problem(line_no, "warning", "blank-line", "blank line"))
                continue
            try:
                record = json.loads(line.rstrip())
            except json.JSONDecodeError as err:
                message = f"invalid JSON: {err.msg} (column {err.colno})"
                problems.append(Problem(line_no, "error", "json", message))
                continue
            if not isinstance(record, dict):
                message = f"expected a JSON object, got {type(record).__name__}"
                problems.append(Problem(line_no, "error", "json", message))
                continue
            items.append(Item(line_no, record))
    return items, problems


def _label_problems(labels: Any) -> list[tuple[str, str]]:
    """Labels: a list of known axis ids, sorted and unique."""
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        return [("schema", "labels must be a list of strings")]
    unknown = sorted(set(labels) - set(AXES))
    if unknown:
        return [("labels", f"unknown axis id(s) {unknown}; known: {', '.join(AXES)}")]
    if labels != sorted(set(labels)):
        return [("labels", f"labels must be sorted and unique: expected {sorted(set(labels))}, got {labels}")]
    return []


def record_problems(record: dict[str, Any], *, staged: bool = False) -> list[tuple[str, str]]:
    """Schema problems of one record as (code, message); `staged` records have no `split` yet."""
    expected = STAGED_FIELDS if staged else CORPUS_FIELDS
    found: list[tuple[str, str]] = []
    missing = [f for f in expected if f not in record]
    unexpected = sorted(set(record) - set(expected))
    if missing:
        found.append(("schema", f"missing field(s) {missing}"))
    if unexpected:
        found.append(("schema", f"unexpected field(s) {unexpected}; expected exactly {list(expected)}"))
    if "id" in record and (not isinstance(record["id"], str) or not record["id"].strip()):
        found.append(("schema", "id must be a non-empty string"))
    if "text" in record:
        if not isinstance(record["text"], str):
            found.append(("schema", "text must be a string"))
        elif not record["text"].strip():
            found.append(("empty-text", "text is empty"))
    if "lang" in record and not (isinstance(record["lang"], str) and _LANG_CODE.fullmatch(record["lang"])):
        found.append(("schema", f"lang must be a lowercase ISO 639-1 code, got {record['lang']!r}"))
    if "labels" in record:
        found.extend(_label_problems(record["labels"]))
    if "kind" in record and record["kind"] not in KINDS:
        found.append(("kind", f"kind must be one of {', '.join(KINDS)}, got {record['kind']!r}"))
    if not staged and "split" in record and record["split"] not in SPLITS:
        found.append(("split", f"split must be one of {', '.join(SPLITS)}, got {record['split']!r}"))
    if record.get("kind") == "offtopic" and record.get("labels"):
        found.append(("offtopic", f"offtopic items must have no labels, got {record['labels']}"))
    return found


def _schema_problems(items: Iterable[Item], staged: bool) -> list[Problem]:
    return [
        Problem(item.line, "error", code, message)
        for item in items
        for code, message in record_problems(item.record, staged=staged)
    ]


def _duplicate_ids(items: Iterable[Item]) -> list[Problem]:
    first_line: dict[str, int] = {}
    problems = []
    for item in items:
        item_id = item.get_str("id")
        if item_id is None:
            continue
        if item_id in first_line:
            message = f"id {item_id!r} already used on line {first_line[item_id]}"
            problems.append(Problem(item.line, "error", "duplicate-id", message))
        else:
            first_line[item_id] = item.line
    return problems


# --- language ----------------------------------------------------------------------------------------


def _lingua_code(code: str) -> IsoCode639_1 | None:
    try:
        return IsoCode639_1.from_str(code)
    except ValueError:
        return None


@lru_cache(maxsize=8)
def language_detector(codes: frozenset[str]) -> LanguageDetector:
    """One detector per language set, built once per process (lingua loads its models on first use).

    Low-accuracy mode (trigram models only) loads about five times faster. On texts of 120 characters
    or more it picks the same language as the high-accuracy mode (checked on the whole corpus); on
    shorter texts it is overconfident, which is why short texts only ever get a warning.
    """
    isos = [iso for code in sorted(codes) if (iso := _lingua_code(code)) is not None]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*isos).with_low_accuracy_mode().build()


def _lang_severity(kind: str | None, n_words: int, confidence: float) -> Severity:
    """Mismatches on noisy, short or unclear texts are for a human to judge, not a failure."""
    if kind == "noisy" or n_words < LANG_MIN_WORDS or confidence < LANG_MIN_CONFIDENCE:
        return "warning"
    return "error"


def _language_problems(items: Sequence[Item]) -> list[Problem]:
    """Compare each declared `lang` with lingua's guess among the corpus's languages (plus a baseline)."""
    problems = []
    checkable = []
    for item in items:
        text, lang = item.get_str("text"), item.get_str("lang")
        if not text or not text.strip() or lang is None or not _LANG_CODE.fullmatch(lang):
            continue
        if _lingua_code(lang) is None:
            message = f"lang {lang!r} cannot be verified: the language detector does not know it"
            problems.append(Problem(item.line, "warning", "lang", message))
            continue
        checkable.append((item, text, lang))
    if not checkable:
        return problems
    detector = language_detector(frozenset({lang for _, _, lang in checkable}) | BASELINE_LANGUAGES)
    results = detector.compute_language_confidence_values_in_parallel([text for _, text, _ in checkable])
    for (item, text, lang), confidences in zip(checkable, results, strict=True):
        top = confidences[0]
        if top.value == 0:
            problems.append(Problem(item.line, "warning", "lang", "no language detected in the text"))
            continue
        detected = top.language.iso_code_639_1.name.lower()
        if detected == lang:
            continue
        n_words = len(_WORD.findall(text))
        severity = _lang_severity(item.get_str("kind"), n_words, top.value)
        message = f"lang is {lang!r} but the text reads as {detected!r} (confidence {top.value:.2f}, {n_words} words)"
        problems.append(Problem(item.line, severity, "lang", message))
    return problems


# --- duplicates --------------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """Lowercased word tokens, punctuation dropped (accents kept: they tell languages apart)."""
    return _WORD.findall(text.lower())


def word_shingles(text: str, n: int = SHINGLE_WORDS) -> frozenset[tuple[str, ...]]:
    """Word n-grams; a text shorter than n words is one shingle, so short texts still compare."""
    tokens = words(text)
    if len(tokens) <= n:
        return frozenset({tuple(tokens)}) if tokens else frozenset()
    return frozenset(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def jaccard_pairs(
    left: Sequence[frozenset[Hashable]],
    right: Sequence[frozenset[Hashable]] | None = None,
    threshold: float = DEFAULT_JACCARD,
) -> list[tuple[int, int, float]]:
    """Pairs (i, j, jaccard) with similarity >= threshold, through an inverted index of shingles.

    With `right=None`, pairs within `left` (i < j); otherwise (index in left, index in right). Only sets
    sharing a shingle are ever compared, so 2,000 texts take well under a second.
    """
    targets = left if right is None else right
    index: dict[Hashable, list[int]] = defaultdict(list)
    for j, grams in enumerate(right or ()):
        for gram in grams:
            index[gram].append(j)
    pairs = []
    for i, grams in enumerate(left):
        shared = Counter(j for gram in grams for j in index.get(gram, ()))
        for j, inter in shared.items():
            similarity = inter / (len(grams) + len(targets[j]) - inter)
            if similarity >= threshold:
                pairs.append((j, i, similarity) if right is None else (i, j, similarity))
        if right is None:
            for gram in grams:
                index[gram].append(i)
    return pairs


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


def _first_words(text: str) -> tuple[str, ...]:
    return tuple(words(text)[:FIRST_WORDS])


def _duplicate_problems(items: Sequence[Item], threshold: float) -> list[Problem]:
    """Exact duplicates, near-duplicates and shared openings, each reported on the later line."""
    texts = [(item, text) for item in items if (text := item.get_str("text")) and text.strip()]
    problems = []
    exact: set[tuple[int, int]] = set()
    for group in _groups(texts, _normalised):
        first = group[0]
        for other in group[1:]:
            exact.add((first.line, other.line))
            message = f"exact duplicate (ignoring case and spacing) of {_who(first)}"
            problems.append(Problem(other.line, "error", "exact-duplicate", message))
    for group in _groups(texts, _first_words):
        first = group[0]
        for other in group[1:]:
            if (first.line, other.line) not in exact:
                message = f"starts with the same {FIRST_WORDS} words as {_who(first)}"
                problems.append(Problem(other.line, "error", "first-words", message))
    shingles = [word_shingles(text) for _, text in texts]
    for i, j, similarity in jaccard_pairs(shingles, threshold=threshold):
        a, b = texts[i][0], texts[j][0]
        if (a.line, b.line) not in exact:
            message = f"near-duplicate of {_who(a)}: word {SHINGLE_WORDS}-gram Jaccard {similarity:.2f}"
            problems.append(Problem(b.line, "error", "near-duplicate", message))
    return problems


def _groups(texts: Sequence[tuple[Item, str]], key: Any) -> list[list[Item]]:
    """Items sharing a key, in file order; only groups of two or more."""
    buckets: dict[Any, list[Item]] = defaultdict(list)
    for item, text in texts:
        if k := key(text):
            buckets[k].append(item)
    return [group for group in buckets.values() if len(group) > 1]


def _who(item: Item) -> str:
    return f"id {item.record.get('id')!r} (line {item.line})"


# --- real-world evaluation set -----------------------------------------------------------------------


def _realworld_texts(path: Path) -> tuple[list[tuple[str, str]], list[Problem]]:
    """(id, text) of the evaluation items; their text is compared, never printed."""
    items, parse_problems = parse_jsonl(path)
    pairs = [(str(item.record.get("id")), text) for item in items if (text := item.get_str("text"))]
    problems = [
        Problem(None, "warning", "realworld-file", f"{path.name} line {p.line} unreadable, skipped")
        for p in parse_problems
        if p.severity == "error"
    ]
    return pairs, problems


def _realworld_problems(items: Sequence[Item], path: Path, threshold: float) -> list[Problem]:
    """Any corpus item close to an evaluation item would leak it into training."""
    evaluation, problems = _realworld_texts(path)
    texts = [(item, text) for item in items if (text := item.get_str("text")) and text.strip()]
    shingles = [word_shingles(text) for _, text in texts]
    eval_shingles = [word_shingles(text) for _, text in evaluation]
    reported: set[tuple[int, str]] = set()
    for i, j, similarity in jaccard_pairs(shingles, eval_shingles, threshold=threshold):
        reported.add((texts[i][0].line, evaluation[j][0]))
        message = (
            f"overlaps real-world evaluation item {evaluation[j][0]!r}: "
            f"word {SHINGLE_WORDS}-gram Jaccard {similarity:.2f}"
        )
        problems.append(Problem(texts[i][0].line, "error", "realworld-overlap", message))
    openings: dict[tuple[str, ...], str] = {}
    for eval_id, text in evaluation:
        openings.setdefault(_first_words(text), eval_id)
    for item, text in texts:
        key = _first_words(text)
        if key in openings and (item.line, openings[key]) not in reported:
            message = f"starts with the same {FIRST_WORDS} words as real-world evaluation item {openings[key]!r}"
            problems.append(Problem(item.line, "error", "realworld-overlap", message))
    return problems


def default_realworld_path() -> Path | None:
    """`../shared/realworld/proposals.jsonl` next to the repository, when it exists."""
    return DEFAULT_REALWORLD if DEFAULT_REALWORLD.is_file() else None


# --- statistics --------------------------------------------------------------------------------------


def _ordered(counts: Counter[str], known: Sequence[str]) -> dict[str, int]:
    """Known values in schema order (zeros included, so a missing kind shows), then any others."""
    return {name: counts.get(name, 0) for name in known} | {k: n for k, n in counts.items() if k not in known}


def _cardinality_bucket(n: int) -> str:
    return "4+" if n >= 4 else str(n)


def compute_stats(records: Sequence[dict[str, Any]]) -> CorpusStats:
    """Statistics over the parsed records; malformed fields are counted as `(invalid)`, never crash."""

    def label_list(record: dict[str, Any]) -> list[str]:
        labels = record.get("labels")
        return [x for x in labels if x in AXES] if isinstance(labels, list) else []

    def tag(record: dict[str, Any], name: str) -> str:
        value = record.get(name)
        return value if isinstance(value, str) else "(missing)" if value is None else "(invalid)"

    label_lists = [label_list(r) for r in records]
    has_split = any("split" in r for r in records)
    lengths = [len(words(r["text"])) for r in records if isinstance(r.get("text"), str)]
    cardinality = Counter(_cardinality_bucket(len(labels)) for labels in label_lists)
    stats = CorpusStats(
        n_items=len(records),
        per_axis={axis: sum(axis in labels for labels in label_lists) for axis in AXES},
        per_lang=dict(Counter(tag(r, "lang") for r in records).most_common()),
        per_kind=_ordered(Counter(tag(r, "kind") for r in records), KINDS),
        per_split=_ordered(Counter(tag(r, "split") for r in records), SPLITS) if has_split else {},
        cardinality={bucket: cardinality.get(bucket, 0) for bucket in ("0", "1", "2", "3", "4+")},
        share_2_3_labels=(cardinality["2"] + cardinality["3"]) / len(records) if records else 0.0,
    )
    if lengths:
        p10, p50, p90 = np.percentile(lengths, [10, 50, 90], method="nearest")
        stats.length_words = {
            "min": min(lengths),
            "p10": int(p10),
            "p50": int(p50),
            "p90": int(p90),
            "max": max(lengths),
        }
    if has_split:
        splits = [r.get("split") for r in records]
        stats.per_axis_split = {
            axis: {s: sum(axis in lab and sp == s for sp, lab in zip(splits, label_lists, strict=True)) for s in SPLITS}
            for axis in AXES
        }
    return stats


# --- entry point -------------------------------------------------------------------------------------


def check_corpus(
    path: str | Path,
    realworld_path: str | Path | None = None,
    *,
    jaccard: float = DEFAULT_JACCARD,
    staged: bool = False,
) -> CheckReport:
    """Validate a corpus file (or, with `staged`, a file from data/incoming without `split`).

    The real-world evaluation set is checked for overlap when `realworld_path` is given, or else when
    `../shared/realworld/proposals.jsonl` exists next to the repository.
    """
    path = Path(path)
    realworld = Path(realworld_path) if realworld_path is not None else default_realworld_path()
    if realworld is not None and not realworld.is_file():
        raise FileNotFoundError(f"real-world evaluation file not found: {realworld}")
    items, problems = parse_jsonl(path)
    problems += _schema_problems(items, staged)
    problems += _duplicate_ids(items)
    problems += _language_problems(items)
    problems += _duplicate_problems(items, jaccard)
    if realworld is not None:
        problems += _realworld_problems(items, realworld, jaccard)
    problems.sort(key=lambda p: (p.line is None, p.line or 0))
    stats = compute_stats([item.record for item in items])
    return CheckReport(path=path, problems=problems, stats=stats, realworld_path=realworld)
