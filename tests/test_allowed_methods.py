"""`OPTIONS` and 405 answers list every method a route serves, GET beside POST included."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from serving.allowed_methods import AllowedMethodsMiddleware


async def served(_) -> PlainTextResponse:
    return PlainTextResponse("ok")


def client() -> TestClient:
    # Like BentoML's router, the app itself knows only POST /axes.
    app = Starlette(routes=[Route("/axes", served, methods=["POST"]), Route("/other", served, methods=["POST"])])
    app.add_middleware(AllowedMethodsMiddleware, methods={"/axes": ("GET", "POST")})
    return TestClient(app)


def test_options_lists_every_served_method():
    response = client().options("/axes")
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, OPTIONS, POST"


def test_an_unserved_method_is_405_with_the_full_list():
    response = client().delete("/axes")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert "use GET, HEAD, OPTIONS, POST" in response.json()["error"]


def test_served_methods_and_other_routes_pass_through():
    assert client().post("/axes").text == "ok"
    assert client().post("/other").text == "ok"
