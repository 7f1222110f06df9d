"""The classical baseline: TF-IDF over word and character n-grams, one logistic regression per axis.

Vocabularies are capped (the most frequent n-grams) so the stored model stays small enough to ship.

It shares the predictor API with the fine-tuned model (it only has to produce logits), and it is
stored with skops, never pickle: loading refuses any type outside an explicit allow-list.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline

from model.deadline import Deadline, check

PIPELINE_FILE = "tfidf_pipeline.skops"


def build_tfidf_pipeline(c: float = 8.0, seed: int = 0) -> Pipeline:
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


class TfidfScorer:
    """Logits are the per-axis decision functions of the logistic regressions."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def logits(self, texts: list[str], deadline: Deadline | None = None) -> np.ndarray:
        """Logits per text; one quick pass, so `deadline` is only checked before it."""
        check(deadline)
        if not texts:
            return np.zeros((0, len(self.pipeline.classes_)), dtype=np.float32)
        return np.asarray(self.pipeline.decision_function(list(texts)), dtype=np.float32)


def save_tfidf_pipeline(pipeline: Pipeline, path: Path) -> None:
    """Store with skops, compressed; vocabulary indices as plain ints (numpy ints cost one file each)."""
    import zipfile

    import skops.io as sio

    for _, vectorizer in pipeline.named_steps["features"].transformer_list:
        vectorizer.vocabulary_ = {term: int(index) for term, index in vectorizer.vocabulary_.items()}
    sio.dump(pipeline, path, compression=zipfile.ZIP_DEFLATED, compresslevel=6)


def load_tfidf_scorer(folder: Path) -> TfidfScorer:
    """Load with skops' own trusted types; anything else must come from scikit-learn, numpy or scipy.

    The fast path reads the file once; listing the untrusted types first would read it twice.
    """
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    path = Path(folder) / PIPELINE_FILE
    try:
        return TfidfScorer(sio.load(path))
    except UntrustedTypesFoundException:
        pass
    untrusted = sio.get_untrusted_types(file=path)
    allowed = [name for name in untrusted if name.startswith(("sklearn.", "numpy.", "scipy."))]
    refused = sorted(set(untrusted) - set(allowed))
    if refused:
        raise ValueError(f"{path} holds types outside scikit-learn/numpy/scipy: {refused}")
    return TfidfScorer(sio.load(path, trusted=allowed))
