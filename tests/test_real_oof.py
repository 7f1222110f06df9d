"""The bench's real out-of-fold figures are given only where they can be out-of-fold."""

from __future__ import annotations

from bench.real_oof import RealTexts, real_texts


def test_a_stack_whose_encoder_learned_from_the_real_texts_gets_no_figures_per_precision(tiny_stack, tiny_corpus):
    reason = real_texts(tiny_stack[1], tiny_corpus)
    assert reason == "the encoder learned from the real texts (its fp32 out-of-fold figures are in the manifest)"


def test_the_real_texts_are_read_where_the_manifest_recorded_them(tiny_stack, tiny_corpus):
    manifest = {key: value for key, value in tiny_stack[1].items() if key != "real_tuning"}
    assert isinstance(real_texts(manifest, tiny_corpus), RealTexts)
    assert real_texts({"kind": "transformer"}, tiny_corpus) == "the model is not a stack fitted on real texts"
