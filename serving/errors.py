"""The one shape of every error the service writes itself: `{"error": message}`, plus `errors` when useful.

`errors` is pydantic's list of validation errors (`loc`, `msg`, `type`); it is not called `detail` because
BentoML's published OpenAPI document declares `detail` as a string.
"""

from __future__ import annotations

from starlette.responses import JSONResponse


def error_response(status: int, message: str, errors: list | None = None) -> JSONResponse:
    body: dict = {"error": message}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status)
