"""The OpenAPI document served at `/docs.json`: BentoML's, completed with what the service really does.

BentoML generates the paths and schemas from the pydantic models, but it cannot know that request bodies
are required, that `GET /axes` exists beside `POST /axes`, that `POST /classify_file` takes a file as its
body, which errors the service answers (401, 413, 415, 503, 504, and 400 in the service's own shape), or
that a bearer key may be needed. A client generated
from the completed document, or a fuzzer run against it, sees the API as it is.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Collection
from importlib.metadata import PackageNotFoundError, version

from serving.file_scoring import COUNT_HEADERS, DEFAULT_TEXT_COLUMN, LONGEST_COLUMN_NAME, MEDIA_TYPES
from serving.settings import ServiceSettings

ERROR_SCHEMA = {
    "type": "object",
    "title": "Error",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "description": "What is wrong, naming the offending field or item."},
        "errors": {
            "type": "array",
            "description": "With 400: pydantic's validation errors, each with `loc` (the field path) and `msg`.",
            "items": {"type": "object"},
        },
    },
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
NOT_BLANK_BYTE = r"[^\t\n\x0b\x0c\r ]"
UNSCORABLE = "The model could not score a text (named in `errors`); the other texts were not at fault."


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def _service_version() -> str:
    try:
        return version("axistag")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree that was never installed
        return "unknown"


def _description(settings: ServiceSettings) -> str:
    access = (
        "Every endpoint above the infrastructure ones needs `Authorization: Bearer <key>`."
        if settings.api_key
        else "No API key is configured: the endpoints are open."
    )
    return (
        "Tags AI project proposals, in any language, with the eight IPCEI-AI priority axes: per axis a "
        "calibrated score, the model's threshold and the decision, plus a review flag and, on request, "
        "the sentences that support each selected axis.\n\n"
        f"Limits: {settings.max_text_chars} characters per text; {settings.max_batch_items} items and "
        f"{settings.max_batch_chars} characters per batch; {settings.max_body_bytes} bytes per request body; "
        f"{settings.timeout_seconds} s per request. {access} "
        "`/readyz` answers 200 once the model is loaded."
    )


def file_operation(settings: ServiceSettings, errors: dict) -> dict:
    """`POST /classify_file`: the body is the CSV or JSONL file itself, answered in `axistag relabel`'s format."""
    # The service refuses a body of only whitespace (or none): some byte must be something else.
    table = {"schema": {"type": "string", "minLength": 1, "pattern": NOT_BLANK_BYTE}}
    files = {media_type.split(";")[0]: table for media_type in MEDIA_TYPES.values()}
    return {
        "operationId": "classify_file",
        "summary": "Score every row of a CSV or JSONL file",
        "description": (
            "Send the file as the body. Every column is kept; the prediction columns are added "
            "(labels, scores, needs_review, language, error), as `axistag relabel` writes them. A row without "
            f"usable text gets its reason in `error` and the others are still scored. At most "
            f"{settings.max_upload_bytes} bytes and {settings.max_batch_chars} characters of text."
        ),
        "tags": ["Service APIs"],
        "parameters": [
            {
                "name": "filename",
                "in": "query",
                "description": "The file's name; its extension (.csv, .jsonl) gives the format, else the Content-Type.",
                "schema": {"type": "string", "example": "proposals.csv"},
            },
            {
                "name": "text_column",
                "in": "query",
                "description": "The column that holds the texts.",
                "schema": {
                    "type": "string",
                    "default": DEFAULT_TEXT_COLUMN,
                    "minLength": 1,
                    "maxLength": LONGEST_COLUMN_NAME,
                },
            },
        ],
        "requestBody": {
            "required": True,
            "content": files,
        },
        "responses": {
            "200": {
                "description": "The labelled file, in the upload's format, with counts in the headers.",
                "headers": {
                    header: {"description": text, "schema": {"type": "integer"}}
                    for header, (_, text) in COUNT_HEADERS.items()
                },
                "content": files,
            },
            **errors,
            "415": _error(
                "The file is neither CSV nor JSONL, its format cannot be told from its name, or it is sent as a "
                "multipart form instead of as the body itself."
            ),
        },
        **({"security": [{"bearerKey": []}]} if settings.api_key else {}),
    }


def complete_spec(
    spec: dict,
    settings: ServiceSettings,
    api_paths: Collection[str],
    get_aliases: Collection[str],
    file_path: str | None = None,
) -> dict:
    """A copy of BentoML's `spec`, completed for the POST routes `api_paths`, the GET twins `get_aliases` and
    the file upload route `file_path`."""
    spec = json.loads(json.dumps(spec))  # a deep copy whose status codes are strings, as in the JSON served
    spec["info"] = {"title": "axistag", "version": _service_version(), "description": _description(settings)}
    components = spec.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    errors = {
        "400": _error("Invalid request: malformed JSON, a wrong type, or a value outside the limits."),
        "413": _error("The request body is larger than the configured limit."),
        "415": _error("The body is not sent as application/json."),
        "503": _error("The model is not ready yet (see /readyz), or the service is overloaded."),
        "504": _error("The request took longer than the configured timeout."),
    }
    if settings.api_key:
        errors["401"] = _error("Missing or wrong API key.")
        components["securitySchemes"] = {"bearerKey": {"type": "http", "scheme": "bearer"}}
    if file_path:
        spec["paths"][file_path] = {"post": file_operation(settings, errors)}
    for path in api_paths:
        operation = spec["paths"][path]["post"]
        operation["responses"].update(errors)
        if settings.api_key:
            operation["security"] = [{"bearerKey": []}]
        body = operation.get("requestBody", {})
        if body.get("content", {}).get("application/json", {}).get("schema", {}).get("required"):
            body["required"] = True
            operation["responses"]["422"] = _error(UNSCORABLE)  # the routes that take texts
        if path in get_aliases:
            twin = {key: value for key, value in copy.deepcopy(operation).items() if key != "requestBody"}
            twin["operationId"] = operation["operationId"] + "_get"
            for code in ("400", "413", "415"):
                del twin["responses"][code]
            spec["paths"][path]["get"] = twin
    return spec
