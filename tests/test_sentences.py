from __future__ import annotations

from model.sentences import split_sentences


def test_offsets_point_back_into_the_text():
    text = "Objet : projet IA.  Nous entraînons un modèle! Il sera publié; sous licence MIT.\n- un point\n- deux"
    for sentence in split_sentences(text):
        assert text[sentence.start : sentence.end] == sentence.text


def test_short_fragments_are_merged_with_the_next_sentence():
    sentences = split_sentences("Lot 1. The hospital deploys AI triage in its emergency department.")
    assert len(sentences) == 1


def test_empty_text_has_no_sentences():
    assert split_sentences("   ") == []
