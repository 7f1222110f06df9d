"""The published OpenAPI document declares what the service does beyond BentoML's own generation."""

from __future__ import annotations

import json
import re

import pytest

from serving.openapi import complete_spec
from serving.service import API_PATHS, AxisTagService
from serving.settings import ServiceSettings


@pytest.fixture(scope="module")
def bentoml_spec() -> dict:
    return AxisTagService.openapi_spec.asdict()


def completed(spec: dict, api_key: str | None = None) -> dict:
    return complete_spec(spec, ServiceSettings(api_key=api_key), API_PATHS, get_aliases={"/axes"})


def test_bodies_with_required_fields_are_required(bentoml_spec):
    paths = completed(bentoml_spec)["paths"]
    assert paths["/classify"]["post"]["requestBody"]["required"] is True
    assert paths["/classify_batch"]["post"]["requestBody"]["required"] is True
    assert "required" not in paths["/axes"]["post"]["requestBody"]


def test_get_axes_is_declared_without_a_body(bentoml_spec):
    axes = completed(bentoml_spec)["paths"]["/axes"]
    assert "requestBody" not in axes["get"]
    assert axes["get"]["responses"]["200"] == axes["post"]["responses"]["200"]
    assert axes["get"]["operationId"] != axes["post"]["operationId"]


def test_the_service_errors_are_declared_with_their_shape(bentoml_spec):
    spec = completed(bentoml_spec)
    responses = spec["paths"]["/classify"]["post"]["responses"]
    for code in ("400", "413", "415", "503", "504"):
        assert responses[code]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert spec["components"]["schemas"]["Error"]["required"] == ["error"]
    assert "401" not in responses
    assert "securitySchemes" not in spec["components"]
    json.dumps(spec)  # status codes are strings, so it serialises without duplicate keys


def test_a_configured_key_is_declared(bentoml_spec):
    spec = completed(bentoml_spec, api_key="k")
    assert spec["components"]["securitySchemes"]["bearerKey"] == {"type": "http", "scheme": "bearer"}
    for path in API_PATHS:
        assert spec["paths"][path]["post"]["security"] == [{"bearerKey": []}]
        assert "401" in spec["paths"][path]["post"]["responses"]
    assert "/readyz" in spec["paths"]
    assert "security" not in spec["paths"]["/readyz"]["get"]


def test_bentoml_spec_is_left_untouched(bentoml_spec):
    before = json.dumps(bentoml_spec, sort_keys=True, default=str)
    completed(bentoml_spec, api_key="k")
    assert json.dumps(bentoml_spec, sort_keys=True, default=str) == before


def test_the_file_route_is_declared_with_a_file_body(bentoml_spec):
    plain = completed(bentoml_spec)
    assert "/classify_file" not in plain["paths"]
    spec = complete_spec(bentoml_spec, ServiceSettings(api_key="k"), API_PATHS, {"/axes"}, file_path="/classify_file")
    operation = spec["paths"]["/classify_file"]["post"]
    assert operation["requestBody"]["required"] is True
    assert set(operation["requestBody"]["content"]) == {"text/csv", "application/x-ndjson"}
    for body in operation["requestBody"]["content"].values():  # the service refuses an empty or blank file
        assert body["schema"]["minLength"] == 1
        assert re.search(body["schema"]["pattern"], " \n\t\r") is None
        assert re.search(body["schema"]["pattern"], " a\n")
    assert {parameter["name"] for parameter in operation["parameters"]} == {"filename", "text_column"}
    assert "X-Axistag-Errors" in operation["responses"]["200"]["headers"]
    assert "neither CSV nor JSONL" in operation["responses"]["415"]["description"]
    assert operation["responses"]["413"] == spec["paths"]["/classify"]["post"]["responses"]["413"]
    assert operation["security"] == [{"bearerKey": []}]


def test_texts_the_model_cannot_score_are_declared_on_the_routes_that_take_texts(bentoml_spec):
    spec = completed(bentoml_spec)
    for path in ("/classify", "/classify_batch"):
        assert "422" in spec["paths"][path]["post"]["responses"]
    assert "422" not in spec["paths"]["/axes"]["post"]["responses"]
