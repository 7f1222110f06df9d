from __future__ import annotations

import pytest

from model.language import detect_language, detect_languages


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Le projet vise à entraîner un modèle de langue pour les hôpitaux publics de la région.", "fr"),
        ("The project trains a language model for public hospitals across the region.", "en"),
        ("Das Projekt trainiert ein Sprachmodell für öffentliche Krankenhäuser in der Region.", "de"),
        ("Il progetto addestra un modello linguistico per gli ospedali pubblici della regione.", "it"),
        ("El proyecto entrena un modelo de lenguaje para los hospitales públicos de la región.", "es"),
        ("Проект обучает языковую модель для государственных больниц региона.", "ru"),
    ],
)
def test_detects_the_language(text, code):
    assert detect_language(text) == code


def test_gibberish_is_not_assigned_a_language():
    assert detect_language("12345 67890 !!! ???") is None


def test_a_batch_is_detected_as_each_text_alone():
    texts = [
        "Nous pré-entraînons un modèle de fondation souverain pour le droit français.",
        "12345 67890 !!! ???",
        "The operator uses machine learning to put radio cells to sleep at night.",
    ]
    assert detect_languages(texts) == [detect_language(text) for text in texts] == ["fr", None, "en"]
