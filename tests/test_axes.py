"""Label cells in every shape users write them become sorted axis ids; unknown ids are refused."""

from __future__ import annotations

import numpy as np
import pytest

from model.axes import parse_labels, to_multi_hot, validate_labels


@pytest.mark.parametrize(
    ("cell", "labels"),
    [
        ("data;cloud", ["cloud", "data"]),
        ("data, cloud", ["cloud", "data"]),
        ("data | cloud | data", ["cloud", "data"]),
        ("['data', 'cloud']", ["cloud", "data"]),
        ('["telecom"]', ["telecom"]),
        ("", []),
        (None, []),
        (float("nan"), []),
        (np.array(["data", "cloud"], dtype=object), ["cloud", "data"]),
    ],
)
def test_parse_labels(cell, labels):
    assert parse_labels(cell) == labels


def test_unknown_axes_are_refused_with_the_known_ones_listed():
    with pytest.raises(ValueError, match=r"unknown axis id.*foundation_models"):
        parse_labels("data;blockchain")


def test_multi_hot_follows_the_axis_order():
    assert to_multi_hot(validate_labels(["telecom", "foundation_models"])) == [1, 0, 0, 0, 0, 0, 0, 1]
