"""Language identification (lingua), to flag proposals written in a language the model never saw.

The detector knows the EU's official languages plus a few frequent others, so that a Russian or Turkish
text is recognised as such (and sent to review) rather than forced onto the nearest EU language. The
low-accuracy mode keeps memory near 45 MB instead of 800 MB; proposals are long enough for it.
"""

from __future__ import annotations

from functools import lru_cache

DETECTABLE = (
    "BULGARIAN",
    "CROATIAN",
    "CZECH",
    "DANISH",
    "DUTCH",
    "ENGLISH",
    "ESTONIAN",
    "FINNISH",
    "FRENCH",
    "GERMAN",
    "GREEK",
    "HUNGARIAN",
    "IRISH",
    "ITALIAN",
    "LATVIAN",
    "LITHUANIAN",
    "POLISH",
    "PORTUGUESE",
    "ROMANIAN",
    "SLOVAK",
    "SLOVENE",
    "SPANISH",
    "SWEDISH",
    "CATALAN",
    "RUSSIAN",
    "UKRAINIAN",
    "TURKISH",
    "ARABIC",
    "CHINESE",
    "JAPANESE",
)
MIN_CONFIDENCE = 0.5


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, name) for name in DETECTABLE]
    return (
        LanguageDetectorBuilder.from_languages(*languages)
        .with_low_accuracy_mode()
        .with_preloaded_language_models()
        .build()
    )


def _most_likely(values) -> str | None:
    if not values or values[0].value < MIN_CONFIDENCE:
        return None
    return values[0].language.iso_code_639_1.name.lower()


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when no language is clear enough."""
    return _most_likely(_detector().compute_language_confidence_values(text))


def detect_languages(texts: list[str]) -> list[str | None]:
    """`detect_language` of each text, the texts spread over every core (the model is idle meanwhile)."""
    if len(texts) < 2:
        return [detect_language(text) for text in texts]
    return [_most_likely(values) for values in _detector().compute_language_confidence_values_in_parallel(texts)]
