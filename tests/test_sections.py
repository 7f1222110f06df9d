"""How figures are worded in both reports."""

from __future__ import annotations

from eval.sections import difference_cell, interval_text, number


def test_numbers_and_intervals():
    assert number(None) == "n/a"
    assert number(12) == "12"
    assert number(0.12345) == "0.123"
    assert interval_text(None) == ""
    assert interval_text([-0.25, 0.1]) == "\u22120.250 to 0.100"


def test_a_difference_is_toned_only_when_its_interval_excludes_zero():
    clear_gain = {"difference": 0.1, "interval": [0.05, 0.15]}
    unclear = {"difference": 0.1, "interval": [-0.02, 0.2]}
    assert difference_cell(clear_gain, lower_is_better=False).tone == "better"
    assert difference_cell(clear_gain, lower_is_better=True).tone == "worse"
    assert difference_cell(unclear, lower_is_better=False).tone == ""
    assert difference_cell(clear_gain, lower_is_better=None).tone == ""
    assert difference_cell(clear_gain, lower_is_better=False).text == "+0.100"
    assert difference_cell({"difference": None, "interval": None}, lower_is_better=False).text == "n/a"
