"""The reviewers' web page, served by the scoring service itself: `GET /`, its script and style under `/ui/`.

The page is plain HTML, CSS and JavaScript shipped in the package and calls the service's own API from the
browser, so it needs no build step and no network beyond the service. It takes BentoML's place at `/`;
BentoML's API explorer (Swagger UI, reading `/docs.json`) moves to `/docs`.
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path

import _bentoml_impl.server
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from feedback.correction import MAX_COMMENT_CHARS

STATIC = Path(__file__).resolve().parent / "static"
ASSETS = {"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8"}
API_EXPLORER = Path(_bentoml_impl.server.__file__).resolve().parent / "main-openapi.html"
# Everything the page loads comes from the service itself; nothing may frame it or run inline code.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@lru_cache(maxsize=4)
def index_html(max_text_chars: int, max_upload_bytes: int) -> str:
    """The page with the service's limits filled in, so it can state them before anything is sent."""
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    limits = {
        "max_text_chars": max_text_chars,
        "max_upload_bytes": max_upload_bytes,
        "max_comment_chars": MAX_COMMENT_CHARS,
    }
    for name, value in limits.items():
        page = page.replace("{{" + name + "}}", html.escape(str(value)))
    return page


def page_routes(max_text_chars: int, max_upload_bytes: int) -> list[BaseRoute]:
    """`GET /` (the page), `GET /ui/app.js` and `/ui/style.css`, and `GET /docs` (the API explorer)."""

    async def page(_: Request) -> Response:
        return HTMLResponse(index_html(max_text_chars, max_upload_bytes), headers=PAGE_HEADERS)

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return Response(status_code=404)
        return FileResponse(STATIC / name, media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})

    async def api_explorer(_: Request) -> Response:
        return FileResponse(API_EXPLORER, media_type="text/html")

    return [
        Route("/", page, methods=["GET"]),
        Route("/ui/{name}", asset, methods=["GET"]),
        Route("/docs", api_explorer, methods=["GET"]),
    ]
