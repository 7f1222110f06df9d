"""Request metrics labelled by route template, method and status class: never by the path a caller made up."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from serving.request_metrics import UNKNOWN_ROUTE, RequestMetricsMiddleware, RouteLabels, exposition

ROUTES = ("/", "/classify", "/ui/{name}", "/static_content/{path:path}")


async def served(_) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def broken(_) -> PlainTextResponse:
    raise RuntimeError("boom")


def client() -> TestClient:
    app = Starlette(routes=[Route("/classify", served, methods=["POST"]), Route("/broken", broken)])
    app.add_middleware(RequestMetricsMiddleware, routes=(*ROUTES, "/broken"))
    return TestClient(app, raise_server_exceptions=False)


def requests_total(route: str, method: str, status: str) -> float:
    labels = {"route": route, "method": method, "status": status}
    return REGISTRY.get_sample_value("axistag_http_requests_total", labels) or 0.0


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("/", "/"),
        ("/classify", "/classify"),
        ("/classify/", "/classify"),
        ("/ui/app.js", "/ui/{name}"),
        ("/static_content/swagger/index.css", "/static_content/{path:path}"),
        ("/ui/a/b", UNKNOWN_ROUTE),
        ("/classify/more", UNKNOWN_ROUTE),
        ("/wp-login.php", UNKNOWN_ROUTE),
        ("//", "/"),
    ],
)
def test_a_path_is_labelled_with_its_route_template_or_unknown(path, label):
    assert RouteLabels(ROUTES)(path) == label


def test_requests_are_counted_by_route_method_and_status_class():
    before = {
        key: requests_total(*key)
        for key in [
            ("/classify", "POST", "2xx"),
            ("/classify", "GET", "4xx"),
            (UNKNOWN_ROUTE, "GET", "4xx"),
            (UNKNOWN_ROUTE, "<other>", "4xx"),
            ("/broken", "GET", "5xx"),
        ]
    }
    session = client()
    assert session.post("/classify").status_code == 200
    assert session.get("/classify").status_code == 405
    for n in range(5):
        assert session.get(f"/random-{n}").status_code == 404
    assert session.request("BREW", "/pot").status_code == 404
    assert session.get("/broken").status_code == 500
    assert {key: requests_total(*key) - count for key, count in before.items()} == {
        ("/classify", "POST", "2xx"): 1,
        ("/classify", "GET", "4xx"): 1,
        (UNKNOWN_ROUTE, "GET", "4xx"): 5,
        (UNKNOWN_ROUTE, "<other>", "4xx"): 1,
        ("/broken", "GET", "5xx"): 1,
    }
    text = exposition().decode()
    assert "axistag_http_request_duration_seconds_bucket" in text
    assert "random-" not in text and "/pot" not in text and "BREW" not in text


def test_every_route_of_the_public_service_has_its_own_label():
    from serving.service import EXTRA_ROUTES, ROUTES, AxisTagService

    label = RouteLabels(ROUTES)
    app_routes = [route for route in AxisTagService.to_asgi().routes if getattr(route, "path", "")]
    assert "/metrics" not in [route.path for route in app_routes]  # BentoML's is off; ours is among EXTRA_ROUTES
    # A path each route answers, a file under each mount; the mounted app's routes are taken from it.
    paths = [route.path + "/file.css" if isinstance(route, Mount) else route.path for route in app_routes]
    paths += [route.path.replace("{name}", "app.js") for route in EXTRA_ROUTES.routes]
    assert "/metrics" in paths
    assert {path: label(path) for path in paths if label(path) == UNKNOWN_ROUTE} == {}
