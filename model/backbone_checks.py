"""Sanity checks of a multilingual encoder: translations must land closer together than unrelated texts."""

from __future__ import annotations

import itertools

import torch

from model.backbone import PASSAGE_PREFIX
from model.classifier import mean_pool

# The same four statements in five languages (row = statement, column = language).
PARALLEL_SENTENCES = {
    "fr": [
        "Nous entraînons un modèle de langue pour les hôpitaux publics.",
        "Le réseau mobile consomme moins d'énergie la nuit grâce à l'IA.",
        "La boulangerie du village rénove sa vitrine.",
        "Les données agricoles sont partagées dans un espace sécurisé.",
    ],
    "en": [
        "We train a language model for public hospitals.",
        "The mobile network uses less energy at night thanks to AI.",
        "The village bakery is renovating its shop window.",
        "Farm data is shared in a secure space.",
    ],
    "de": [
        "Wir trainieren ein Sprachmodell für öffentliche Krankenhäuser.",
        "Das Mobilfunknetz verbraucht nachts dank KI weniger Energie.",
        "Die Dorfbäckerei renoviert ihr Schaufenster.",
        "Landwirtschaftliche Daten werden in einem sicheren Raum geteilt.",
    ],
    "it": [
        "Addestriamo un modello linguistico per gli ospedali pubblici.",
        "La rete mobile consuma meno energia di notte grazie all'IA.",
        "Il panificio del paese rinnova la sua vetrina.",
        "I dati agricoli sono condivisi in uno spazio sicuro.",
    ],
    "es": [
        "Entrenamos un modelo de lenguaje para los hospitales públicos.",
        "La red móvil consume menos energía por la noche gracias a la IA.",
        "La panadería del pueblo renueva su escaparate.",
        "Los datos agrícolas se comparten en un espacio seguro.",
    ],
}


def embed(encoder, tokenizer, texts: list[str]) -> torch.Tensor:
    """L2-normalised mean-pooled embeddings with the e5 passage prefix."""
    batch = tokenizer([PASSAGE_PREFIX + t for t in texts], padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    return torch.nn.functional.normalize(mean_pool(hidden, batch["attention_mask"]), dim=-1)


def translation_check(encoder, tokenizer) -> dict:
    """Mean cosine of translations vs unrelated statements, and how often the translation is nearest."""
    languages = list(PARALLEL_SENTENCES)
    vectors = {lang: embed(encoder, tokenizer, PARALLEL_SENTENCES[lang]) for lang in languages}
    same, other, nearest, pairs = [], [], 0, 0
    for a, b in itertools.permutations(languages, 2):
        similarity = vectors[a] @ vectors[b].T
        same += similarity.diag().tolist()
        other += similarity[~torch.eye(len(similarity), dtype=torch.bool)].tolist()
        nearest += int((similarity.argmax(dim=1) == torch.arange(len(similarity))).sum())
        pairs += len(similarity)
    return {
        "translation_cosine": sum(same) / len(same),
        "unrelated_cosine": sum(other) / len(other),
        "nearest_is_translation": nearest,
        "pairs": pairs,
    }
