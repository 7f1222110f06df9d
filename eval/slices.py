"""Where a model is strong or weak: the same figures on subsets by language, kind of item and length.

Languages come from the data's `lang` column; items without one take the language the predictor detected.
Small languages are also pooled (fr / en / de / it+es / others), as most have too few items to judge alone.
Each slice is resampled on its own items, so its interval shows how little a small slice can tell. On a slice
with no true axis at all (off-topic items, say) F1 has nothing to find: macro and micro F1 are null there,
and samples F1, subset accuracy and the false-alarm rate on unlabelled items say how the model did.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from eval.bootstrap import draw_resamples, percentile_interval, summary_samples
from eval.metrics import summary_metrics

LANGUAGE_GROUPS: dict[str, frozenset[str]] = {
    "fr": frozenset({"fr"}),
    "en": frozenset({"en"}),
    "de": frozenset({"de"}),
    "it+es": frozenset({"it", "es"}),
}
OTHER_LANGUAGES = "others"
UNKNOWN_LANGUAGE = "unknown"
LENGTH_BUCKETS: tuple[tuple[str, int, float], ...] = (
    ("under 50 words", 0, 50),
    ("50-99 words", 50, 100),
    ("100-199 words", 100, 200),
    ("200+ words", 200, float("inf")),
)
SLICE_FIGURES: tuple[str, ...] = (
    "macro_f1",
    "micro_f1",
    "samples_f1",
    "subset_accuracy",
    "hamming_loss",
    "no_label_false_positive_rate",
)
NEEDS_POSITIVES: frozenset[str] = frozenset({"macro_f1", "micro_f1"})


def item_languages(given: Sequence[str], detected: Sequence[str | None]) -> list[str]:
    """The data's language where it has one, else the detected one, else `unknown`."""
    return [lang or found or UNKNOWN_LANGUAGE for lang, found in zip(given, detected, strict=True)]


def language_group(language: str) -> str:
    return next((group for group, members in LANGUAGE_GROUPS.items() if language in members), OTHER_LANGUAGES)


def _by_value(values: Sequence[str], order: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """One mask per distinct value, most frequent first unless an order is given; empty slices are dropped."""
    values = np.asarray(values, dtype=object)
    names = order if order is not None else [name for name, _ in Counter(values.tolist()).most_common()]
    masks = {name: values == name for name in names}
    return {name: mask for name, mask in masks.items() if mask.any()}


def slice_masks(texts: Sequence[str], languages: Sequence[str], kinds: Sequence[str] | None) -> dict:
    """family -> slice name -> boolean mask over the items."""
    words = np.array([len(text.split()) for text in texts])
    groups = [language_group(lang) for lang in languages]
    families = {
        "language": _by_value(languages),
        "language_group": _by_value(groups, [*LANGUAGE_GROUPS, OTHER_LANGUAGES]),
        "length": {
            name: (words >= low) & (words < high)
            for name, low, high in LENGTH_BUCKETS
            if ((words >= low) & (words < high)).any()
        },
    }
    if kinds is not None and any(kinds):
        families["kind"] = _by_value(kinds)
    return families


def slice_report(
    targets: np.ndarray, predicted: np.ndarray, masks: dict, resamples: int, seed: int
) -> tuple[dict, dict[str, list[float] | None]]:
    """Per slice: item and label counts with the main figures; and their intervals named `slices.family.name.figure`."""
    report, intervals = {}, {}
    for family, family_masks in masks.items():
        report[family] = {}
        for name, mask in family_masks.items():
            slice_targets, slice_predicted = targets[mask], predicted[mask]
            figures = summary_metrics(slice_targets, slice_predicted)
            draws = draw_resamples(int(mask.sum()), resamples, seed, stream=f"slices.{family}.{name}")
            samples = summary_samples(slice_targets, slice_predicted, draws.counts)
            undefined = NEEDS_POSITIVES if not slice_targets.any() else frozenset()
            report[family][name] = {"items": int(mask.sum()), "labels": int(slice_targets.sum())}
            for figure in SLICE_FIGURES:
                defined = figure not in undefined
                report[family][name][figure] = figures[figure] if defined else None
                intervals[f"slices.{family}.{name}.{figure}"] = (
                    percentile_interval(samples[figure]) if defined else None
                )
    return report, intervals
