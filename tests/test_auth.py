"""With a key configured, the guarded paths answer 401 unless the request carries it; others stay open."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from serving.auth import BearerTokenMiddleware, bearer_token

KEY = "s3cret-key"


def application(api_key: str | None) -> TestClient:
    async def answer(_request):
        return PlainTextResponse("scored")

    app = Starlette(routes=[Route("/classify", answer, methods=["POST"]), Route("/livez", answer)])
    return TestClient(BearerTokenMiddleware(app, api_key=api_key, protected={"/classify"}))


@pytest.mark.parametrize(
    ("header", "token"),
    [(b"Bearer abc", b"abc"), (b"bearer   abc ", b"abc"), (b"Basic abc", None), (b"Bearer ", None), (b"abc", None)],
)
def test_bearer_token_parsing(header, token):
    assert bearer_token([(b"Authorization", header)]) == token


def test_without_a_key_everything_is_open():
    assert application(None).post("/classify").text == "scored"


def test_the_right_key_passes():
    client = application(KEY)
    assert client.post("/classify", headers={"Authorization": f"Bearer {KEY}"}).text == "scored"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [({}, "missing 'Authorization: Bearer <key>' header"), ({"Authorization": "Bearer s3cret"}, "invalid API key")],
)
def test_a_missing_or_wrong_key_is_refused(headers, reason):
    response = application(KEY).post("/classify", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": reason}
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_unguarded_paths_need_no_key():
    assert application(KEY).get("/livez").status_code == 200
