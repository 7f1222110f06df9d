"""The classical baseline: TF-IDF over word and character n-grams, one logistic regression per axis.

Vocabularies are capped (the most frequent n-grams) so the stored model stays small enough to ship.

It shares the predictor API with the fine-tuned model (it only has to produce logits). Training fits a
scikit-learn pipeline; what is stored and scored is that pipeline reduced to plain data: each vectorizer's
settings and vocabulary (`tfidf_vocabulary.json`) and the idf weights, coefficients and intercepts
(`tfidf.safetensors`). Scoring reads the text the way scikit-learn's `TfidfVectorizer` does and takes the
same linear decision function, to within 1e-6, without importing scikit-learn or unpickling anything.
Folders written before hold the whole pipeline as a skops file; they still load (more slowly), and
`convert_legacy_member` rewrites one in the array format.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from model.deadline import Deadline, check

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

ARRAYS_FILE = "tfidf.safetensors"
VOCABULARY_FILE = "tfidf_vocabulary.json"
TFIDF_FILES = (ARRAYS_FILE, VOCABULARY_FILE)
LEGACY_PIPELINE_FILE = "tfidf_pipeline.skops"
STORAGE_FORMAT = 1
WORD_CACHE_SIZE = 50_000  # words whose character n-gram columns are kept: about 7 MB


def build_tfidf_pipeline(c: float = 8.0, seed: int = 0) -> Pipeline:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(
                    ngram_range=(1, 2), min_df=2, max_features=40_000, sublinear_tf=True, strip_accents="unicode"
                ),
            ),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), min_df=2, max_features=80_000, sublinear_tf=True
                ),
            ),
        ]
    )
    classifier = OneVsRestClassifier(
        LogisticRegression(C=c, class_weight="balanced", solver="liblinear", random_state=seed)
    )
    return Pipeline([("features", features), ("classifier", classifier)])


def strip_accents(text: str) -> str:
    """Decompose (NFKD) and drop combining marks, as `strip_accents="unicode"` does."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@dataclass(frozen=True)
class NgramReader:
    """How one vectorizer turns a text into terms: the subset of `TfidfVectorizer`'s settings used here."""

    analyzer: str  # "word" or "char_wb"
    ngram_range: tuple[int, int]
    lowercase: bool = True
    strip_accents: str | None = None  # None or "unicode"
    token_pattern: str = r"(?u)\b\w\w+\b"
    sublinear_tf: bool = False

    def __post_init__(self) -> None:
        if self.analyzer not in ("word", "char_wb"):
            raise ValueError(f"unsupported analyzer {self.analyzer!r}")
        if self.strip_accents not in (None, "unicode"):
            raise ValueError(f"unsupported strip_accents {self.strip_accents!r}")
        if re.compile(self.token_pattern).groups:
            raise ValueError(f"token pattern {self.token_pattern!r} has capturing groups")
        object.__setattr__(self, "ngram_range", tuple(self.ngram_range))

    def to_dict(self) -> dict:
        return asdict(self) | {"ngram_range": list(self.ngram_range)}

    def prepared(self, text: str) -> str:
        if self.lowercase:
            text = text.lower()
        return strip_accents(text) if self.strip_accents == "unicode" else text

    def terms(self, text: str) -> list[str]:
        """Every term of `text`, repeats included, as the vectorizer's analyzer lists them."""
        text = self.prepared(text)
        if self.analyzer == "word":
            return self.word_ngrams(text)
        return [term for word in text.split() for term in self.padded_word_ngrams(word)]

    def word_ngrams(self, text: str) -> list[str]:
        tokens = re.findall(self.token_pattern, text)  # compiled once, by re's cache
        low, high = self.ngram_range
        terms = list(tokens) if low == 1 else []
        for n in range(max(low, 2), min(high, len(tokens)) + 1):
            terms += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        return terms

    def padded_word_ngrams(self, word: str) -> list[str]:
        """`char_wb`: n-grams of the word padded with one space; a word shorter than n counts once.

        Words are what `str.split()` returns, which is what the vectorizer's collapsing of white space
        followed by splitting amounts to.
        """
        low, high = self.ngram_range
        padded = f" {word} "
        terms: list[str] = []
        for n in range(low, high + 1):
            terms += [padded[i : i + n] for i in range(max(1, len(padded) - n + 1))]
            if len(padded) <= n:
                break
        return terms


@dataclass
class VectorizerBlock:
    """One vectorizer's reader, vocabulary and idf weights; its columns start at `offset` in the union."""

    name: str
    reader: NgramReader
    terms: list[str]
    idf: np.ndarray
    offset: int = 0
    index: dict[str, int] = field(init=False, repr=False)
    # char_wb: each word's in-vocabulary columns (int32 bytes), kept across texts since words recur.
    word_columns: dict[str, bytes] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.terms) != len(self.idf):
            raise ValueError(f"{self.name}: {len(self.terms)} terms but {len(self.idf)} idf weights")
        self.index = {term: position for position, term in enumerate(self.terms)}

    def occurrences(self, text: str) -> np.ndarray:
        """The column of every in-vocabulary term occurrence in `text` (repeats included)."""
        text = self.reader.prepared(text)
        if self.reader.analyzer == "word":
            found = [column for column in map(self.index.get, self.reader.word_ngrams(text)) if column is not None]
            return np.asarray(found, dtype=np.int32)
        return np.frombuffer(b"".join(map(self._columns_of_word, text.split())), dtype=np.int32)

    def _columns_of_word(self, word: str) -> bytes:
        columns = self.word_columns.get(word)
        if columns is None:
            index = self.index
            found = [index[term] for term in self.reader.padded_word_ngrams(word) if term in index]
            columns = np.asarray(found, dtype=np.int32).tobytes()
            if len(self.word_columns) >= WORD_CACHE_SIZE:
                self.word_columns.clear()
            self.word_columns[word] = columns
        return columns

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Column indices in the union and their l2-normalised tf-idf values."""
        columns, counts = np.unique(self.occurrences(text), return_counts=True)
        tf = counts.astype(np.float64)
        if self.reader.sublinear_tf:
            tf = 1.0 + np.log(tf)
        values = tf * self.idf[columns]
        norm = math.sqrt(float(values @ values))
        return columns.astype(np.int64) + self.offset, values / norm if norm > 0 else values


class TfidfScorer:
    """Logits are the per-axis linear decision functions over the union of the vectorizers' tf-idf rows."""

    def __init__(self, blocks: list[VectorizerBlock], coef: np.ndarray, intercept: np.ndarray) -> None:
        offset = 0
        for block in blocks:
            block.offset = offset
            offset += len(block.terms)
        if coef.shape[1] != offset or coef.shape[0] != len(intercept):
            raise ValueError(f"coefficients of shape {coef.shape} do not fit {offset} features")
        self.blocks = blocks
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self._columns = np.ascontiguousarray(self.coef.T)  # one row per feature: gathering rows is cheap

    @classmethod
    def from_pipeline(cls, pipeline: Pipeline) -> TfidfScorer:
        """The fitted pipeline reduced to arrays, through scikit-learn's public attributes."""
        blocks = [
            vectorizer_block(name, vectorizer) for name, vectorizer in pipeline.named_steps["features"].transformer_list
        ]
        n_features = sum(len(block.terms) for block in blocks)
        zero = np.zeros((1, n_features))
        coef, intercept = [], []
        for estimator in pipeline.named_steps["classifier"].estimators_:
            constant = float(np.ravel(estimator.decision_function(zero))[0])
            coef.append(np.ravel(getattr(estimator, "coef_", np.zeros(n_features))))
            intercept.append(constant)
        return cls(blocks, np.vstack(coef), np.asarray(intercept))

    @property
    def n_outputs(self) -> int:
        return len(self.intercept)

    def logits(self, texts: list[str], deadline: Deadline | None = None) -> np.ndarray:
        """Logits per text; one quick pass, so `deadline` is only checked before it."""
        check(deadline)
        result = np.tile(self.intercept, (len(texts), 1))
        for row, text in enumerate(texts):
            for block in self.blocks:
                columns, values = block.features(text)
                result[row] += values @ self._columns[columns]
        return result.astype(np.float32)

    def writers(self) -> dict[str, Callable[[Path], None]]:
        """What a model folder stores of this member, file by file (see `model.folder.write_model_folder`)."""
        return {ARRAYS_FILE: self._write_arrays, VOCABULARY_FILE: self._write_vocabulary}

    def _write_arrays(self, path: Path) -> None:
        from safetensors.numpy import save

        arrays = {f"idf.{block.name}": np.ascontiguousarray(block.idf) for block in self.blocks}
        path.write_bytes(save(arrays | {"coef": self.coef, "intercept": self.intercept}))

    def _write_vocabulary(self, path: Path) -> None:
        vectorizers = [{"name": b.name, **b.reader.to_dict(), "terms": b.terms} for b in self.blocks]
        document = {"format": STORAGE_FORMAT, "vectorizers": vectorizers}
        path.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")


def vectorizer_block(name: str, vectorizer) -> VectorizerBlock:
    """A fitted `TfidfVectorizer` as a block, refusing settings this reader does not reproduce."""
    params = vectorizer.get_params()
    unsupported = {
        key: params[key]
        for key, wanted in {
            "input": "content",
            "binary": False,
            "norm": "l2",
            "use_idf": True,
            "stop_words": None,
            "preprocessor": None,
            "tokenizer": None,
            "vocabulary": None,
        }.items()
        if params[key] != wanted
    }
    if unsupported:
        raise ValueError(f"vectorizer {name!r}: unsupported settings {unsupported}")
    reader = NgramReader(**{setting.name: params[setting.name] for setting in fields(NgramReader)})
    terms = [""] * len(vectorizer.vocabulary_)
    for term, position in vectorizer.vocabulary_.items():
        terms[position] = term
    return VectorizerBlock(name, reader, terms, np.asarray(vectorizer.idf_, dtype=np.float64))


def read_tfidf_member(folder: Path) -> TfidfScorer:
    """The array format: settings and vocabularies from JSON, weights from safetensors."""
    from safetensors.numpy import load_file

    folder = Path(folder)
    document = json.loads((folder / VOCABULARY_FILE).read_text(encoding="utf-8"))
    if document.get("format") != STORAGE_FORMAT:
        raise ValueError(f"{folder / VOCABULARY_FILE}: unsupported format {document.get('format')!r}")
    arrays = load_file(str(folder / ARRAYS_FILE))
    blocks = []
    for entry in document["vectorizers"]:
        settings = {key: value for key, value in entry.items() if key not in ("name", "terms")}
        name = entry["name"]
        blocks.append(VectorizerBlock(name, NgramReader(**settings), entry["terms"], arrays[f"idf.{name}"]))
    return TfidfScorer(blocks, arrays["coef"], arrays["intercept"])


def read_legacy_pipeline(path: Path) -> Pipeline:
    """A skops file, with skops' own trusted types; anything else must come from scikit-learn, numpy or scipy.

    The fast path reads the file once; listing the untrusted types first would read it twice.
    """
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        return sio.load(path)
    except UntrustedTypesFoundException:
        pass
    untrusted = sio.get_untrusted_types(file=path)
    allowed = [name for name in untrusted if name.startswith(("sklearn.", "numpy.", "scipy."))]
    refused = sorted(set(untrusted) - set(allowed))
    if refused:
        raise ValueError(f"{path} holds types outside scikit-learn/numpy/scipy: {refused}")
    return sio.load(path, trusted=allowed)


def load_tfidf_scorer(folder: Path) -> TfidfScorer:
    """The member stored in `folder`: the array format, or a folder written before it (skops pipeline)."""
    folder = Path(folder)
    if (folder / VOCABULARY_FILE).is_file():
        return read_tfidf_member(folder)
    return TfidfScorer.from_pipeline(read_legacy_pipeline(folder / LEGACY_PIPELINE_FILE))


def convert_legacy_member(folder: Path) -> None:
    """Rewrite a folder's skops TF-IDF member in the array format; every other file and setting is kept.

    Scores do not change (beyond 1e-6), so the model keeps its name and version; the manifest records the
    new files' hashes, and the folder is replaced atomically, as when it was written.
    """
    import shutil

    from model.folder import read_manifest, write_model_folder

    folder = Path(folder)
    manifest = read_manifest(folder)
    if LEGACY_PIPELINE_FILE not in manifest["files"]:
        raise ValueError(f"{folder} holds no {LEGACY_PIPELINE_FILE} to convert")
    scorer = TfidfScorer.from_pipeline(read_legacy_pipeline(folder / LEGACY_PIPELINE_FILE))
    kept = [name for name in manifest["files"] if name != LEGACY_PIPELINE_FILE]
    writers: dict[str, Callable[[Path], None]] = {
        name: (lambda target, name=name: shutil.copyfile(folder / name, target)) for name in kept
    }
    card = (folder / "README.md").read_text()
    rest = {key: value for key, value in manifest.items() if key not in ("format", "files")}
    write_model_folder(folder, rest, writers | scorer.writers(), card)
