"""The guard refuses non-JSON and oversized bodies, and rewrites validation answers to name the fields."""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from serving.request_guard import RequestGuardMiddleware, describe_validation_errors
from serving.settings import ServiceSettings

LIMIT = 1000
ERRORS = [
    {"type": "string_too_short", "loc": ["items", 3, "text"], "msg": "String should have at least 1 character"},
    {"type": "value_error", "loc": [], "msg": "Value error, duplicate item ids: 'a' at items 0, 1"},
]


def guarded() -> TestClient:
    """Echoes the body length, or answers 400 the way BentoML reports a validation error."""

    async def endpoint(request: Request):
        body = await request.body()
        if body == b"invalid":
            return JSONResponse({"error": "2 validation errors for Input", "detail": ERRORS}, status_code=400)
        if body == b"other":
            return JSONResponse({"error": "something else"}, status_code=400)
        return JSONResponse({"length": len(body)})

    app = Starlette(routes=[Route("/classify", endpoint, methods=["POST"])])
    settings = ServiceSettings(max_body_bytes=LIMIT)
    return TestClient(RequestGuardMiddleware(app, settings=settings, paths={"/classify"}))


def post(body, headers=None):
    return guarded().post("/classify", content=body, headers={"Content-Type": "application/json", **(headers or {})})


def test_describes_each_error_with_its_field_path():
    assert describe_validation_errors(ERRORS) == (
        "items.3.text: String should have at least 1 character; duplicate item ids: 'a' at items 0, 1"
    )


def test_a_body_within_the_limit_reaches_the_service_whole():
    assert post(b"x" * LIMIT).json() == {"length": LIMIT}


def test_a_declared_oversized_body_is_refused():
    response = post(b"x" * (LIMIT + 1))
    assert response.status_code == 413
    assert str(LIMIT) in response.json()["error"]


def test_a_streamed_oversized_body_is_refused():
    response = post(iter([b"x" * 600, b"x" * 600]))  # chunked: no Content-Length to trust
    assert response.status_code == 413


def test_a_non_json_body_is_refused():
    response = guarded().post("/classify", data={"text": "hello"})
    assert response.status_code == 415
    assert "application/x-www-form-urlencoded" in response.json()["error"]


def test_json_with_a_charset_is_accepted():
    assert post(b"{}", {"Content-Type": "application/json; charset=utf-8"}).status_code == 200


def test_validation_answers_name_the_fields_and_keep_the_list():
    response = post(b"invalid")
    assert response.status_code == 400
    body = response.json()
    assert body["error"].startswith("invalid request: items.3.text: String should have at least 1 character")
    assert body["errors"] == ERRORS
    assert int(response.headers["content-length"]) == len(json.dumps(body, separators=(",", ":")).encode())


def test_other_400_answers_pass_unchanged():
    assert post(b"other").json() == {"error": "something else"}
