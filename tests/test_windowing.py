from __future__ import annotations

import numpy as np
import pytest
from transformers import AutoTokenizer

from model.windowing import WindowSettings, aggregate, encode_windows, length_batches, pad_batch, split_ids


def test_short_content_is_one_window():
    assert split_ids([1, 2, 3], size=5, overlap=2) == [[1, 2, 3]]


def test_long_content_overlaps_and_covers_everything():
    chunks = split_ids(list(range(10)), size=4, overlap=1)
    assert chunks == [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]
    assert sorted({i for chunk in chunks for i in chunk}) == list(range(10))


def test_long_text_becomes_several_framed_windows(tiny_backbone):
    tokenizer = AutoTokenizer.from_pretrained(tiny_backbone)
    settings = WindowSettings(max_tokens=24, overlap=4)
    long_text = " ".join(["The hospital deploys AI triage in its emergency department."] * 12)
    encoded = encode_windows(tokenizer, ["short text", long_text], settings)
    assert encoded.owner.count(0) == 1 and encoded.owner.count(1) > 3
    for window in encoded.input_ids:
        assert len(window) <= settings.max_tokens
        assert window[0] == tokenizer.cls_token_id and window[-1] == tokenizer.sep_token_id


@pytest.mark.parametrize(("how", "expected"), [("max", [3.0, 1.0]), ("mean", [2.0, 0.0])])
def test_aggregation(how, expected):
    logits = np.array([[1.0, -1.0], [3.0, 1.0], [5.0, 5.0]], dtype=np.float32)
    result = aggregate(logits, owner=[0, 0, 1], n_texts=2, how=how)
    assert result[0].tolist() == expected
    assert result[1].tolist() == [5.0, 5.0]


def test_length_batches_bound_tokens_and_keep_every_index():
    lengths = [5, 100, 7, 98, 6, 50]
    batches = length_batches(lengths, max_batch=3, max_tokens_per_batch=210)
    assert sorted(i for b in batches for i in b) == list(range(6))
    assert all(max(lengths[i] for i in b) * len(b) <= 210 for b in batches)


def test_pad_batch_masks_padding():
    ids, mask = pad_batch([[5, 6, 7], [8]], pad_id=1)
    assert ids.tolist() == [[5, 6, 7], [8, 1, 1]]
    assert mask.tolist() == [[1, 1, 1], [1, 0, 0]]


def test_first_window_positions_pick_each_texts_first_window():
    from model.windowing import first_window_positions

    assert first_window_positions([0, 0, 0, 1, 2, 2]) == [0, 3, 4]
