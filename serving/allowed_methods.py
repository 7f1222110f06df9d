"""`OPTIONS` and 405 answers that list every method a route serves.

BentoML's router knows only its own POST routes: for `OPTIONS /axes` it answered 405 with `Allow: POST`,
though `GET /axes` is served beside it. This middleware answers for the service's routes from one table.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from serving.errors import error_response


class AllowedMethodsMiddleware:
    """Answers `OPTIONS` (204) and unserved methods (405) on the routes of `methods`, with the full `Allow`."""

    def __init__(self, app: ASGIApp, methods: Mapping[str, Collection[str]]) -> None:
        self.app = app
        self.allow = {
            path.rstrip("/"): {*served, *(("HEAD",) if "GET" in served else ()), "OPTIONS"}
            for path, served in methods.items()
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        allowed = self.allow.get(scope["path"].rstrip("/")) if scope["type"] == "http" else None
        if allowed is None or scope["method"] in allowed - {"OPTIONS"}:
            await self.app(scope, receive, send)
            return
        header = {"Allow": ", ".join(sorted(allowed))}
        if scope["method"] == "OPTIONS":
            response = Response(status_code=204, headers=header)
        else:
            response = error_response(405, f"{scope['method']} is not served here; use {header['Allow']}")
            response.headers.update(header)
        await response(scope, receive, send)
