"""`POST /feedback` records a reviewer's correction; `GET /feedback/stats` counts what reviewers change.

Plain Starlette routes beside the BentoML API, in the service's front process. The model's scores and labels
stored with a correction are not taken from the caller: the service scores the text again through its
scoring workers, so a correction always sits next to what the served model really says. Writing runs off
the event loop; the answer (with the correction's id) is sent only once the row is committed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from functools import lru_cache
from typing import Annotated

import bentoml
from bentoml.exceptions import ServiceUnavailable
from pydantic import Field, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from feedback.correction import MAX_COMMENT_CHARS, Correction
from feedback.store import CorrectionStore
from model.axes import AXES
from serving.errors import error_response
from serving.request_guard import describe_validation_errors
from serving.schemas import AxisId, ProposalText, Request

FEEDBACK_ROUTE = "/feedback"
STATS_ROUTE = "/feedback/stats"
MAX_NAME_CHARS = 200
logger = logging.getLogger("bentoml.serve.axistag")


class FeedbackRequest(Request):
    text: ProposalText
    labels: list[AxisId] = Field(
        max_length=len(AXES), description="The axes the reviewer judges right for the text (may be empty)."
    )
    model_version: str | None = Field(
        default=None,
        max_length=MAX_NAME_CHARS,
        description="The model version the reviewer saw; refused when the service now serves another one.",
    )
    reviewer: Annotated[str | None, Field(default=None, max_length=MAX_NAME_CHARS)] = None
    comment: Annotated[str | None, Field(default=None, max_length=MAX_COMMENT_CHARS)] = None


@lru_cache(maxsize=1)
def feedback_store() -> CorrectionStore:
    """One store per process, opened at the first correction so that a service without one starts as before."""
    return CorrectionStore()


def _field_errors(error: ValidationError) -> list[dict]:
    """pydantic's errors without the echoed input; a malformed body is reported on the field `body`."""
    errors = json.loads(error.json(include_url=False, include_input=False))
    for entry in errors:
        entry["loc"] = entry["loc"] or ["body"]
    return errors


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


async def record_feedback(request: HttpRequest) -> Response:
    """`POST /feedback`: validate, check the model version, score the text again, store, answer the id."""
    try:
        body = FeedbackRequest.model_validate_json(await request.body())
    except ValidationError as error:
        errors = _field_errors(error)
        return error_response(400, "invalid request: " + describe_validation_errors(errors), errors=errors)
    service = bentoml.get_current_service()
    try:
        schema = await service.model_schema()
        if body.model_version is not None and body.model_version != schema.model.version:
            message = (
                f"model_version: the correction was made against {body.model_version!r}, "
                f"but the service now serves {schema.model.version!r}: classify the text again"
            )
            detail = {"loc": ["model_version"], "msg": message, "type": "model_version_mismatch"}
            return error_response(409, message, errors=[detail])
        model, [outcome] = await service.score_texts([body.text])
    except ServiceUnavailable:
        return error_response(503, "the model is not ready: it is loading, failed to load, or is overloaded")
    if outcome.timed_out:
        return error_response(504, "scoring the text took longer than the service's timeout; nothing was stored")
    if outcome.failure:
        detail = {"loc": ["text"], "msg": outcome.failure, "type": "unscorable_text"}
        return error_response(422, f"text: {outcome.failure}", errors=[detail])
    result = outcome.result
    correction = Correction(
        text=body.text,
        model_name=model.name,
        model_version=model.version,
        model_scores={entry.axis: entry.score for entry in result.axes},
        model_labels=list(result.labels),
        corrected_labels=sorted(set(body.labels), key=AXES.index),
        reviewer=_blank_to_none(body.reviewer),
        comment=_blank_to_none(body.comment),
    )
    try:
        correction_id = await asyncio.to_thread(feedback_store().record, correction)
    except SQLAlchemyError:
        logger.exception("a correction could not be stored")
        return error_response(503, "the corrections database cannot be written right now; nothing was stored")
    answer = {
        "id": correction_id,
        "text_sha256": correction.text_hash,
        "model": {"name": model.name, "version": model.version},
        "model_labels": correction.model_labels,
        "labels": correction.corrected_labels,
        "added": correction.added,
        "removed": correction.removed,
    }
    return JSONResponse(answer, status_code=201)


async def feedback_stats(_: HttpRequest) -> Response:
    """`GET /feedback/stats`: how reviewers disagree with the models, axis by axis."""
    try:
        return JSONResponse(await asyncio.to_thread(feedback_store().stats))
    except SQLAlchemyError:
        logger.exception("the corrections could not be counted")
        return error_response(503, "the corrections database cannot be read right now")


def feedback_routes() -> list[BaseRoute]:
    return [
        Route(FEEDBACK_ROUTE, record_feedback, methods=["POST"]),
        Route(STATS_ROUTE, feedback_stats, methods=["GET"]),
    ]
