"""The edge of the scoring endpoints: JSON only, bounded bodies, and validation errors that say what is wrong.

BentoML validates each request body against its pydantic model and answers 400 with the pydantic error
list, headed by a generic `"N validation errors for <class>"`. This middleware replaces that heading with
the errors themselves, each prefixed by the path of the offending field (`items.3.text: text is empty or
only whitespace`), so a caller sees which item to fix; the list itself is kept under `errors`. It also
refuses bodies that are not JSON (415) or larger than the configured limit (413) before anything is parsed.
"""

from __future__ import annotations

import json
from collections.abc import Collection

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.errors import error_response
from serving.settings import ServiceSettings


class BodyTooLargeError(Exception):
    """The body went past the size limit while it was being read."""


def describe_validation_errors(errors: list[dict]) -> str:
    """`items.3.text: String should have at most 100000 characters; ...` from pydantic's error list."""
    parts = []
    for error in errors:
        where = ".".join(str(part) for part in error.get("loc", ()))
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts) or "invalid request"


class RequestGuardMiddleware:
    """Checks media type and size of POST bodies sent to `paths`, and clarifies their validation errors."""

    def __init__(self, app: ASGIApp, settings: ServiceSettings, paths: Collection[str]) -> None:
        self.app = app
        self.max_body_bytes = settings.max_body_bytes
        self.paths = frozenset(path.rstrip("/") for path in paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"].rstrip("/") not in self.paths:
            await self.app(scope, receive, send)
            return
        headers = {name.lower(): value for name, value in scope["headers"]}
        media_type = headers.get(b"content-type", b"application/json").split(b";")[0].strip().lower()
        if media_type != b"application/json":
            message = f"the body must be JSON sent as 'Content-Type: application/json', not {media_type.decode()!r}"
            await error_response(415, message)(scope, receive, send)
            return
        try:
            body = await self._read_body(headers, receive)
        except BodyTooLargeError:
            message = f"the request body exceeds {self.max_body_bytes} bytes (AXISTAG_MAX_BODY_BYTES)"
            await error_response(413, message)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), _clarify_validation_errors(send))

    async def _read_body(self, headers: dict[bytes, bytes], receive: Receive) -> bytes:
        declared = headers.get(b"content-length", b"").strip()
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise BodyTooLargeError
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise BodyTooLargeError
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the already-read body to the app once, then defers to the real one."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _validation_errors(body: bytes) -> list[dict] | None:
    """The pydantic error list of a BentoML 400 body (under `detail`), or None for any other 400."""
    try:
        errors = json.loads(body).get("detail")
    except (ValueError, AttributeError):
        return None
    return errors if isinstance(errors, list) and all(isinstance(error, dict) for error in errors) else None


def _clarify_validation_errors(send: Send) -> Send:
    """A `send` that rewrites BentoML's 400 validation answers into a message naming each field."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def clarify(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start" and message["status"] == 400:
            start = message
            return
        if start is None or message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(chunks)
        errors = _validation_errors(body)
        if errors is None:
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        replacement = error_response(400, "invalid request: " + describe_validation_errors(errors), errors=errors)
        headers = [
            (name, value)
            for name, value in start["headers"]
            if name.lower() not in (b"content-length", b"content-type")
        ]
        await send({**start, "headers": headers + [(k, v) for k, v in replacement.raw_headers]})
        await send({"type": "http.response.body", "body": replacement.body})

    return clarify
