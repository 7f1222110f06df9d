"""Optional API key: when one is configured, the service's own endpoints need `Authorization: Bearer <key>`.

Health, metrics and documentation routes stay open so that orchestrators and the OpenAPI page work
without the key. The comparison runs in constant time so the key cannot be guessed byte by byte.
"""

from __future__ import annotations

import hmac
from collections.abc import Collection

from starlette.types import ASGIApp, Receive, Scope, Send

from serving.errors import error_response


def bearer_token(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    for name, value in headers:
        if name.lower() == b"authorization":
            scheme, _, token = value.strip().partition(b" ")
            if scheme.lower() == b"bearer" and token.strip():
                return token.strip()
    return None


class BearerTokenMiddleware:
    """Answers 401 to a request for a protected path that lacks the configured key; a no-op without one."""

    def __init__(self, app: ASGIApp, api_key: str | None, protected: Collection[str]) -> None:
        self.app = app
        self.api_key = api_key.encode() if api_key else None
        self.protected = frozenset(path.rstrip("/") for path in protected)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.api_key is None or scope["type"] != "http" or scope["path"].rstrip("/") not in self.protected:
            await self.app(scope, receive, send)
            return
        token = bearer_token(scope["headers"])
        if token is not None and hmac.compare_digest(token, self.api_key):
            await self.app(scope, receive, send)
            return
        reason = "missing 'Authorization: Bearer <key>' header" if token is None else "invalid API key"
        response = error_response(401, reason)
        response.headers["WWW-Authenticate"] = "Bearer"
        await response(scope, receive, send)
