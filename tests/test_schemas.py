"""Request validation says what is wrong and where; responses mirror the predictor's output."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from model.axes import AXES
from serving.schemas import (
    LIMITS,
    NOT_BLANK,
    Classification,
    ClassifyBatchRequest,
    ClassifyRequest,
    ClassifyResponse,
)

TEXT = "The hospital deploys AI triage in its emergency department with nurses and indicators."


def error_of(model, body: dict) -> tuple[tuple, str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    [error] = caught.value.errors()
    return error["loc"], error["msg"]


def test_a_valid_request():
    request = ClassifyRequest.model_validate({"text": TEXT})
    assert (request.text, request.explain) == (TEXT, False)


@pytest.mark.parametrize("text", ["   ", "\n\t", "\u00a0\u3000", "\x1c"])
def test_whitespace_only_text_is_refused(text):
    assert error_of(ClassifyRequest, {"text": text}) == (("text",), "Value error, text is empty or only whitespace")


def test_text_over_the_limit_is_refused():
    loc, message = error_of(ClassifyRequest, {"text": "x" * (LIMITS.max_text_chars + 1)})
    assert loc == ("text",)
    assert str(LIMITS.max_text_chars) in message


def test_types_are_not_coerced():
    assert error_of(ClassifyRequest, {"text": TEXT, "explain": "true"})[0] == ("explain",)
    assert error_of(ClassifyRequest, {"text": 12})[0] == ("text",)


def test_the_bad_item_is_named_by_its_position():
    body = {"items": [{"id": "a", "text": TEXT}, {"id": "b", "text": " "}]}
    assert error_of(ClassifyBatchRequest, body)[0] == ("items", 1, "text")


def test_duplicate_ids_are_named_with_their_positions():
    items = [{"id": i, "text": TEXT} for i in ("a", "b", "a", "c", "b")]
    _, message = error_of(ClassifyBatchRequest, {"items": items})
    assert "'a' at items 0, 2" in message
    assert "'b' at items 1, 4" in message


def test_too_many_items_are_refused():
    items = [{"id": str(n), "text": TEXT} for n in range(LIMITS.max_batch_items + 1)]
    loc, message = error_of(ClassifyBatchRequest, {"items": items})
    assert loc == ("items",)
    assert str(LIMITS.max_batch_items) in message


def test_a_batch_over_the_character_budget_is_refused():
    count = LIMITS.max_batch_chars // LIMITS.max_text_chars + 1  # each text within its own limit
    items = [{"id": str(n), "text": "x" * LIMITS.max_text_chars} for n in range(count)]
    _, message = error_of(ClassifyBatchRequest, {"items": items})
    assert f"{count * LIMITS.max_text_chars} characters in all" in message


def test_published_pattern_agrees_with_the_check_on_every_character():
    # The JSON Schema pattern is what clients and fuzzers see; it must accept exactly what validation accepts.
    pattern = re.compile(ClassifyRequest.model_json_schema()["properties"]["text"]["pattern"])
    assert pattern.pattern == NOT_BLANK
    disagreeing = [code for code in range(0x3100) if chr(code).isspace() == bool(pattern.search(chr(code)))]
    assert disagreeing == []


def test_nullable_fields_are_published_the_openapi_3_0_way():
    properties = ClassifyResponse.model_json_schema()["properties"]
    for name in ("language", "evidence"):
        assert properties[name]["nullable"] is True
        assert "anyOf" not in properties[name]


def test_classification_mirrors_a_prediction(tiny_predictor):
    [prediction] = tiny_predictor.predict([TEXT], explain=True)
    classification = Classification.from_prediction(prediction)
    assert [entry.axis for entry in classification.axes] == list(AXES)
    assert [entry.axis for entry in classification.axes if entry.selected] == prediction.labels
    assert {entry.axis: entry.score for entry in classification.axes} == prediction.scores
    assert classification.labels == prediction.labels
    assert classification.review_reasons == prediction.review_reasons
    assert set(classification.evidence) == set(prediction.evidence)
