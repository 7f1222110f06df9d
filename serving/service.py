"""The HTTP scoring service: a light public front and the scoring workers that hold the model.

`AxisTagService` validates requests, checks the API key and shapes responses; it never loads the model.
`AxisScorer` holds one `Predictor` per worker process and exposes a single batchable method, so BentoML's
adaptive batching gathers the texts of concurrent requests (single or batch) into one model call. The
scorer's `/readyz` turns ready only once its model is loaded and warmed up, and the front's `/readyz`
follows it.

The front also serves the reviewers' page at `/` (`serving.page`; BentoML's API explorer moves to `/docs`)
and `POST /classify_file`, which scores a small CSV or JSONL upload through the same workers and answers in
the relabelling output format (`serving.file_scoring`). Its `/metrics` counts requests by route template
rather than by raw path, so that invented paths cannot add series (`serving.request_metrics`).

Run it with `axistag serve` or `bentoml serve serving.service:AxisTagService` (`AXISTAG_MODEL` names the
model folder); the limits and worker counts are in `serving.settings`.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import threading
from collections.abc import Awaitable, Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import aiohttp
import bentoml
from bentoml.exceptions import ServiceUnavailable
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from model.axes import AXIS_DESCRIPTIONS
from model.deadline import Deadline, DeadlinePassedError
from serving.allocator import IdleTrimmer, release_free_memory
from serving.allowed_methods import AllowedMethodsMiddleware
from serving.auth import BearerTokenMiddleware
from serving.client_errors import log_client_errors_at_info
from serving.errors import error_response
from serving.feedback_routes import FEEDBACK_ROUTE, STATS_ROUTE, feedback_routes
from serving.file_scoring import UploadError, labelled_file, open_upload, receive_upload
from serving.model_store import served_model_folder
from serving.openapi import complete_spec
from serving.page import page_routes
from serving.request_guard import RequestGuardMiddleware
from serving.request_metrics import RequestMetricsMiddleware, metrics_page
from serving.schemas import (
    AxesResponse,
    AxisDescription,
    BatchItem,
    Classification,
    ClassifyBatchRequest,
    ClassifyBatchResponse,
    ClassifyRequest,
    ClassifyResponse,
    ItemClassification,
    ModelInfo,
    ScoringJob,
    ScoringOutcome,
)
from serving.settings import service_settings

if TYPE_CHECKING:
    from model.predictor import Predictor

SETTINGS = service_settings()
FILE_ROUTE = "/classify_file"
T = TypeVar("T")
logger = logging.getLogger("bentoml.serve.axistag")
log_client_errors_at_info()

# Scored once at start-up so that the first real request does not pay for lazy initialisation
# (language detector, sentence splitter, first forward pass).
WARM_UP_TEXT = (
    "We pre-train a multilingual foundation model on European text. "
    "The hospital deploys it in its emergency department with nurses and indicators."
)


@bentoml.service(
    name="axistag-scorer",
    workers=SETTINGS.workers,
    traffic={"timeout": SETTINGS.timeout_seconds},
    # BentoML's client to this service replaces its connection pool every 100 requests by default, closing
    # connections that concurrent requests are still using (they fail with "Server disconnected"). The
    # workers sit behind a local socket, with no load balancer to re-spread connections over: keep the pool.
    runner_connection={"max_requests": 1_000_000_000, "max_age": 1e9},
)
class AxisScorer:
    """One model per worker process; scores the batches that the adaptive batcher assembles."""

    def __init__(self) -> None:
        import torch

        # BentoML leaves torch's intra-op pool at one thread per core in every worker; with several
        # workers on the same cores they would fight for them. Set here, in the main thread, before any
        # torch work, so the threads that later run the model inherit it.
        torch.set_num_threads(SETTINGS.torch_threads)
        self.predictor: Predictor | None = None
        self.load_error: str | None = None
        self.trimmer = IdleTrimmer()
        threading.Thread(target=self._load, name="axistag-model-loader", daemon=True).start()

    def _load(self) -> None:
        """Load and warm the model off the event loop, so that `/livez` and `/readyz` answer meanwhile."""
        from model.predictor import Predictor

        try:
            predictor = Predictor.load(served_model_folder(running_from_bento=AxisScorer.bento is not None))
            predictor.predict([WARM_UP_TEXT], explain=True)
        except Exception as error:
            logger.exception("the model could not be loaded")
            self.load_error = f"{type(error).__name__}: {error}"
            return
        release_free_memory()  # what loading copied and dropped
        logger.info("model %s %s loaded, %d torch threads", predictor.name, predictor.version, SETTINGS.torch_threads)
        self.predictor = predictor

    def __is_ready__(self) -> bool:
        return self.predictor is not None

    def __is_alive__(self) -> bool:
        return self.load_error is None

    def _loaded_predictor(self) -> Predictor:
        if self.predictor is None:
            raise ServiceUnavailable(self.load_error or "the model is still loading")
        return self.predictor

    @bentoml.api(
        batchable=True,
        max_batch_size=SETTINGS.scoring_batch,
        max_latency_ms=SETTINGS.timeout_seconds * 1000,
    )
    def score(self, jobs: list[ScoringJob]) -> list[ScoringOutcome]:
        """Score a batch of texts; jobs asking for evidence are scored together, apart from the others.

        The batch holds the texts of several callers: a text the model fails on gets its own `failure`, and
        the work stops once every caller of a group has stopped waiting (their deadlines passed).
        """
        predictor = self._loaded_predictor()
        with self.trimmer.in_use():
            return self._outcomes(predictor, jobs)

    def _outcomes(self, predictor: Predictor, jobs: list[ScoringJob]) -> list[ScoringOutcome]:
        from model.predictor import ScoringFailure

        outcomes = [ScoringOutcome(timed_out=True) for _ in jobs]
        for explain in (False, True):
            positions = [i for i, job in enumerate(jobs) if job.explain is explain]
            if not positions:
                continue
            texts = [jobs[i].text for i in positions]
            try:
                predictions = predictor.predict_each(texts, explain, latest_deadline([jobs[i] for i in positions]))
            except DeadlinePassedError:
                logger.info("%d text(s) dropped: their callers stopped waiting", len(positions))
                continue
            for position, prediction in zip(positions, predictions, strict=True):
                outcomes[position] = (
                    ScoringOutcome(failure=prediction.reason)
                    if isinstance(prediction, ScoringFailure)
                    else ScoringOutcome(result=Classification.from_prediction(prediction))
                )
        return outcomes

    @bentoml.api
    def describe(self) -> AxesResponse:
        """The served model's identity and its label schema with thresholds."""
        predictor = self._loaded_predictor()
        return AxesResponse(
            model=ModelInfo(name=predictor.name, version=predictor.version),
            axes=[
                AxisDescription(axis=axis, description=AXIS_DESCRIPTIONS[axis], threshold=float(threshold))
                for axis, threshold in zip(predictor.axes, predictor.thresholds, strict=True)
            ],
        )


def latest_deadline(jobs: list[ScoringJob]) -> Deadline | None:
    """The moment the last of these jobs' callers stops waiting; None when one of them waits forever."""
    deadlines = [job.deadline for job in jobs]
    return None if None in deadlines else Deadline(max(deadlines))


class UnscorableTextsError(Exception):
    """The model could not score some of a request's texts; `failures` maps their positions to why."""

    def __init__(self, failures: dict[int, str]) -> None:
        super().__init__(failures)
        self.failures = failures


class ScoringTimeoutError(Exception):
    """The request's deadline passed before the scorer reached its texts."""


async def scorer_call(call: Callable[[], Awaitable[T]]) -> T:
    """Call the scorer, once more if the connection dropped (scoring has no side effect, so a retry is safe).

    A connection that fails twice means the scorer process is gone or restarting: that is reported as the
    service being unavailable (503), not as an internal error.
    """
    try:
        return await call()
    except aiohttp.ClientConnectionError as error:
        logger.warning("connection to the scorer failed (%s); retrying once", error)
    try:
        return await call()
    except aiohttp.ClientConnectionError as error:
        raise ServiceUnavailable(f"the scorer cannot be reached: {error}") from error


async def axes_page(_: Request) -> Response:
    """`GET /axes`, for browsers and curl (BentoML's own endpoints are POST only): same as `POST /axes`."""
    service = bentoml.get_current_service()
    try:
        return JSONResponse((await service.model_schema()).model_dump(mode="json"))
    except ServiceUnavailable:
        return unavailable()


async def openapi_document(_: Request) -> Response:
    """`/docs.json`: BentoML's OpenAPI document completed with errors, auth, `GET /axes` and the file route."""
    return JSONResponse(published_spec())


@lru_cache(maxsize=1)
def published_spec() -> dict:
    spec = AxisTagService.openapi_spec.asdict()
    return complete_spec(spec, SETTINGS, API_PATHS, get_aliases={"/axes"}, file_path=FILE_ROUTE)


def unavailable() -> JSONResponse:
    return error_response(503, "the model is not ready: it is loading, failed to load, or the service is overloaded")


def timed_out() -> JSONResponse:
    return error_response(504, f"the request was not scored within {SETTINGS.timeout_seconds} s (AXISTAG_TIMEOUT)")


def unscorable(failures: dict[int, str], field: Callable[[int], str]) -> JSONResponse:
    """422 naming each text the model could not score, as `field(position)` (`text`, `items.3.text`)."""
    errors = [
        {"loc": field(position).split("."), "msg": reason, "type": "unscorable"}
        for position, reason in failures.items()
    ]
    message = "; ".join(f"{field(position)}: {reason}" for position, reason in failures.items())
    return error_response(422, "the model could not score this text: " + message, errors=errors)


async def classify_file(request: Request) -> Response:
    """`POST /classify_file`: a CSV or JSONL body scored row by row, answered in `axistag relabel`'s format.

    A plain route rather than a BentoML API: its body is the file itself, not JSON. The texts go to the
    scoring workers like those of `/classify_batch`; reading and writing the table run off the event loop.
    """
    service = bentoml.get_current_service()
    try:
        upload = await receive_upload(request, SETTINGS.max_upload_bytes)
        with tempfile.TemporaryDirectory(prefix="axistag-upload-") as folder:
            table = await asyncio.to_thread(open_upload, upload, Path(folder), SETTINGS.max_batch_chars)
            model, outcomes = await service.score_texts(table.texts)
            if any(outcome.timed_out for outcome in outcomes):
                return timed_out()
            labelled = await asyncio.to_thread(labelled_file, table, model, outcomes)
    except UploadError as error:
        return error_response(error.status, str(error), errors=[error.detail()])
    except ServiceUnavailable:
        return unavailable()
    return Response(labelled.content, media_type=labelled.media_type, headers=labelled.headers())


# Routes that BentoML's `@bentoml.api` cannot declare; a mount at "/" only answers the paths it knows.
# The page's `/` comes before BentoML's own index page, which it replaces.
EXTRA_ROUTES = Starlette(
    routes=[
        Route("/axes", axes_page, methods=["GET"]),
        Route("/docs.json", openapi_document, methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
        Route(FILE_ROUTE, classify_file, methods=["POST"]),
        *page_routes(SETTINGS.max_text_chars, SETTINGS.max_upload_bytes),
        *feedback_routes(),
    ]
)


@bentoml.asgi_app(EXTRA_ROUTES, path="/")
@bentoml.service(
    name="axistag",
    description="Tags AI project proposals with the eight IPCEI-AI priority axes.",
    traffic={"timeout": SETTINGS.timeout_seconds},
    # BentoML's request metrics label each request with its raw path, so every invented path adds series for
    # good; `serving.request_metrics` counts requests by route instead and serves `/metrics` in their place.
    metrics={"enabled": False},
)
class AxisTagService:
    """Tags AI project proposals (any language) with the eight IPCEI-AI priority axes."""

    scorer = bentoml.depends(AxisScorer)

    def __init__(self) -> None:
        self._schema: AxesResponse | None = None
        self._schema_lock = asyncio.Lock()

    async def model_schema(self) -> AxesResponse:
        """The scorer's model identity and label schema, asked once and kept: every worker serves one model."""
        async with self._schema_lock:
            if self._schema is None:
                self._schema = await scorer_call(self.scorer.to_async.describe)
        return self._schema

    async def score_texts(self, texts: list[str], explain: bool = False) -> tuple[ModelInfo, list[ScoringOutcome]]:
        """Each text's outcome from the scoring workers, which stop once this request's timeout has passed."""
        schema = await self.model_schema()
        if not texts:
            return schema.model, []
        deadline = Deadline.after(SETTINGS.timeout_seconds).at
        jobs = [ScoringJob(text=text, explain=explain, deadline=deadline) for text in texts]
        return schema.model, await scorer_call(lambda: self.scorer.to_async.score(jobs))

    async def _classifications(self, texts: list[str], explain: bool) -> tuple[ModelInfo, list[Classification]]:
        """Every text classified; else `ScoringTimeoutError`, or `UnscorableTextsError` naming the failed texts."""
        model, outcomes = await self.score_texts(texts, explain)
        if any(outcome.timed_out for outcome in outcomes):
            raise ScoringTimeoutError
        failures = {position: outcome.failure for position, outcome in enumerate(outcomes) if outcome.failure}
        if failures:
            raise UnscorableTextsError(failures)
        return model, [outcome.result for outcome in outcomes]

    @bentoml.api(route="/classify", input_spec=ClassifyRequest, output_spec=ClassifyResponse)
    async def classify(self, text: str, explain: bool = False) -> ClassifyResponse | Response:
        """Classify one proposal: every axis with score and threshold, the selected axes, review flag."""
        try:
            model, [result] = await self._classifications([text], explain)
        except ServiceUnavailable:
            return unavailable()
        except ScoringTimeoutError:
            return timed_out()
        except UnscorableTextsError as error:
            return unscorable(error.failures, lambda _: "text")
        return ClassifyResponse(model=model, **dict(result))

    @bentoml.api(route="/classify_batch", input_spec=ClassifyBatchRequest, output_spec=ClassifyBatchResponse)
    async def classify_batch(self, items: list[BatchItem], explain: bool = False) -> ClassifyBatchResponse | Response:
        """Classify up to the batch limit of proposals; one result per item, in order, with its id."""
        try:
            model, results = await self._classifications([item.text for item in items], explain)
        except ServiceUnavailable:
            return unavailable()
        except ScoringTimeoutError:
            return timed_out()
        except UnscorableTextsError as error:
            return unscorable(error.failures, lambda position: f"items.{position}.text")
        return ClassifyBatchResponse(
            model=model,
            results=[
                ItemClassification(id=item.id, **dict(result)) for item, result in zip(items, results, strict=True)
            ],
        )

    @bentoml.api(route="/axes", output_spec=AxesResponse)
    async def axes(self) -> AxesResponse | Response:
        """The label schema: each axis with its description and the served model's threshold."""
        try:
            return await self.model_schema()
        except ServiceUnavailable:
            return unavailable()


# Every route of the service's own API is guarded; health, metrics, docs and the page are left open.
# The first middleware added is the outermost: every answer is counted, a refusal included, and an
# unauthenticated caller learns nothing about limits.
API_PATHS = frozenset(api.route for api in AxisTagService.apis.values())
FEEDBACK_PATHS = frozenset({FEEDBACK_ROUTE, STATS_ROUTE})
# The routes BentoML adds to the public service beside its API (its API explorer's files under /static_content).
BENTOML_ROUTES = frozenset({"/livez", "/healthz", "/readyz", "/schema.json", "/static_content/{path:path}"})
ROUTES = BENTOML_ROUTES | API_PATHS | {route.path for route in EXTRA_ROUTES.routes}
AxisTagService.add_asgi_middleware(RequestMetricsMiddleware, routes=ROUTES)
AxisTagService.add_asgi_middleware(
    BearerTokenMiddleware, api_key=SETTINGS.api_key, protected=API_PATHS | {FILE_ROUTE} | FEEDBACK_PATHS
)
AxisTagService.add_asgi_middleware(
    AllowedMethodsMiddleware,
    methods={path: ("POST",) for path in API_PATHS | {FILE_ROUTE, FEEDBACK_ROUTE}}
    | {"/axes": ("GET", "POST"), STATS_ROUTE: ("GET",)},
)
AxisTagService.add_asgi_middleware(RequestGuardMiddleware, settings=SETTINGS, paths=API_PATHS | {FEEDBACK_ROUTE})
