"""Request counts and latencies on `/metrics`, under labels whose number does not grow with the paths asked for.

BentoML's own request metrics label each request with its raw path: every path a caller makes up (a scanner
probing random URLs, all answered 404) added series that stayed in memory and in the Prometheus files until
the service restarted, and `/metrics` grew with them (5,000 random 404s: 100,000 series, 21 MB, over 8 s to
answer). The public service switches them off (`metrics={"enabled": False}`) and counts its requests here:

- `axistag_http_requests_total` and `axistag_http_request_duration_seconds` (histogram), each labelled with
  `route`: the template of one of the service's routes (`/classify`, `/ui/{name}`), or `<unknown>` for any
  other path; `method`: a standard HTTP method or `<other>`; `status`: the class of the answer (`2xx`, `4xx`).

Switching BentoML's metrics off also takes its `/metrics` route off the public service: `metrics_page` answers
there instead, from the same Prometheus multiprocess files, so the scoring workers' metrics (adaptive batch
sizes, their requests from the public service) are still there.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from prometheus_client import Counter, Histogram

UNKNOWN_ROUTE = "<unknown>"
OTHER_METHOD = "<other>"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# From fast probes to requests that run into the scoring timeout (60 s by default).
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


@cache
def request_metrics() -> tuple[Counter, Histogram]:
    """The two metrics, made on first use: in a BentoML process `PROMETHEUS_MULTIPROC_DIR` is set by then."""
    from prometheus_client import Counter, Histogram

    labels = ("route", "method", "status")
    requests = Counter("axistag_http_requests", "HTTP requests answered, by route template", labels)
    duration = Histogram(
        "axistag_http_request_duration_seconds",
        "Time from a request's arrival to the end of its answer, by route template",
        labels,
        buckets=DURATION_BUCKETS,
    )
    return requests, duration


class RouteLabels:
    """The route template a path belongs to, among the given ones; `<unknown>` for any other path."""

    def __init__(self, templates: Iterable[str]) -> None:
        self.patterns = [(template, compile_path(template)[0]) for template in sorted(set(templates))]

    def __call__(self, path: str) -> str:
        # A trailing slash is the same route, as the service's other middlewares take it.
        path = path.rstrip("/") or "/"
        for template, pattern in self.patterns:
            if pattern.match(path):
                return template
        return UNKNOWN_ROUTE


def method_label(method: str) -> str:
    return method if method in METHODS else OTHER_METHOD


class RequestMetricsMiddleware:
    """Counts and times every HTTP request under its route template, method and status class."""

    def __init__(self, app: ASGIApp, routes: Iterable[str]) -> None:
        self.app = app
        self.route_label = RouteLabels(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless an answer starts: an exception the app let through is answered 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            labels = (self.route_label(scope["path"]), method_label(scope["method"]), f"{status // 100}xx")
            requests, duration = request_metrics()
            requests.labels(*labels).inc()
            duration.labels(*labels).observe(time.perf_counter() - started)


def exposition() -> bytes:
    """Every metric of the service in Prometheus' text format: all its processes' when BentoML runs it."""
    from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return generate_latest(registry)


async def metrics_page(_: Request) -> Response:
    """`GET /metrics`, in BentoML's place: the files are read off the event loop."""
    from prometheus_client import CONTENT_TYPE_LATEST

    return Response(await asyncio.to_thread(exposition), media_type=CONTENT_TYPE_LATEST)
