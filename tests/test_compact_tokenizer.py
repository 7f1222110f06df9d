"""The compact scoring tokenizer gives the fast tokenizer's ids, or refuses a tokenizer it cannot reproduce."""

from __future__ import annotations

import json
import shutil

import pytest
from transformers import AutoTokenizer

from model.backbone import load_scoring_backbone
from model.compact_tokenizer import TOKENIZER_FILE, CompactTokenizer, UnsupportedTokenizerError, compact_tokenizer
from tests.fixtures import tiny_corpus_rows

HARD_TEXTS = [
    "",
    " ",
    "  leading and trailing  ",
    "line\nbreaks\n\nand\ttabs ",
    "<s>special</s> tokens<mask>in<pad>the text<unk>",
    "＜s＞ fullwidth ｆｏｒｍｓ ﬁ ½ Ⅻ",
    "unknown 😀😀 characters 𓀀𓀁 fused 中文测试",
    "repeated iii ---- .... ==== aaaaaaaa",
    "e\u0301\u0301 combining \u200b zero width",
    "x" * 300,
]


@pytest.fixture(scope="module")
def both(tiny_backbone):
    return AutoTokenizer.from_pretrained(tiny_backbone), compact_tokenizer(tiny_backbone)


def test_same_ids_as_the_fast_tokenizer(both):
    fast, compact = both
    texts = [row["text"] for row in tiny_corpus_rows()] + HARD_TEXTS
    for framed in (False, True):
        expected = fast(texts, add_special_tokens=framed)["input_ids"]
        assert compact(texts, add_special_tokens=framed)["input_ids"] == expected
    assert compact(texts[0])["input_ids"] == fast(texts[0])["input_ids"]


def test_special_ids_and_size_match(both):
    fast, compact = both
    assert (compact.cls_token_id, compact.sep_token_id, compact.pad_token_id) == (
        fast.cls_token_id,
        fast.sep_token_id,
        fast.pad_token_id,
    )
    assert len(compact) == len(fast)


def test_scoring_loads_the_compact_tokenizer(tiny_backbone):
    _, tokenizer = load_scoring_backbone(str(tiny_backbone))
    assert isinstance(tokenizer, CompactTokenizer)


def test_another_model_type_keeps_the_fast_tokenizer(tiny_backbone, tmp_path):
    folder = tmp_path / "wordlevel"
    shutil.copytree(tiny_backbone, folder)
    config = json.loads((folder / TOKENIZER_FILE).read_text())
    vocabulary = {piece: index for index, (piece, _) in enumerate(config["model"]["vocab"])}
    config["model"] = {"type": "WordLevel", "vocab": vocabulary, "unk_token": "<unk>"}
    (folder / TOKENIZER_FILE).write_text(json.dumps(config))
    with pytest.raises(UnsupportedTokenizerError, match="WordLevel"):
        compact_tokenizer(folder)
    _, tokenizer = load_scoring_backbone(str(folder))
    assert not isinstance(tokenizer, CompactTokenizer)
