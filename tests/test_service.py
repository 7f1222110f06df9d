"""The HTTP service end to end: real `axistag serve` processes on free ports, spoken to over HTTP.

Two servers start once for the test run (`tests/conftest.py`), side by side: an open one with the default
limits, and one with an API key and small limits set through the environment. The scorer's readiness is also checked in
process, where the loading can be observed before it completes.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import uuid

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from model.axes import AXES, AXIS_DESCRIPTIONS
from tests.fixtures import tiny_corpus_rows
from tests.servers import API_KEY, OPEN_BODY_LIMIT

AUTH = {"Authorization": f"Bearer {API_KEY}"}
PROPOSAL = (
    "We pre-train a multilingual foundation model on European text and release checkpoints. "
    "The hospital deploys AI triage in its emergency department with nurses and indicators."
)


@pytest.fixture(scope="module")
def client(open_server):
    with httpx.Client(base_url=open_server.url, timeout=30) as session:
        yield session


@pytest.fixture(scope="module")
def keyed_client(keyed_server):
    with httpx.Client(base_url=keyed_server.url, timeout=30) as session:
        yield session


def classify(client: httpx.Client, text: str, explain: bool = False) -> dict:
    response = client.post("/classify", json={"text": text, "explain": explain})
    assert response.status_code == 200, response.text
    return response.json()


# --- readiness and health ------------------------------------------------------------------------------


def test_ready_only_once_scoring_works(open_server, client):
    # Before the first 200 the service was unreachable or said 503; from then on scoring answers at once.
    assert set(open_server.startup_statuses[:-1]) <= {"unreachable", 503}
    assert client.get("/readyz").status_code == 200
    assert client.get("/livez").status_code == 200
    assert classify(client, PROPOSAL)["model"]["name"] == "tiny"


def test_metrics_are_prometheus_text(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    # The scoring workers' metrics (from BentoML) beside the public service's own request counts.
    assert "bentoml_service_request_total" in response.text
    assert "bentoml_service_adaptive_batch_size" in response.text
    assert "axistag_http_requests_total" in response.text


def metric_series(client: httpx.Client) -> list[str]:
    return [line for line in client.get("/metrics").text.splitlines() if line and not line.startswith("#")]


def classify_count(series: list[str]) -> float:
    prefix = 'axistag_http_requests_total{method="POST",route="/classify",status="2xx"} '
    return sum(float(line.removeprefix(prefix)) for line in series if line.startswith(prefix))


def test_metrics_stay_bounded_whatever_paths_are_asked(keyed_client):
    def ask_random_paths(count: int) -> list[str]:
        paths = [f"/probe-{uuid.uuid4().hex}" for _ in range(count)]
        for n, path in enumerate(paths):
            # Half of them with the key: known or not, a path never becomes a label.
            assert keyed_client.get(path, headers=AUTH if n % 2 else {}).status_code == 404
        return paths

    metric_series(keyed_client)  # `/metrics` counts itself from its first answer on
    paths = ask_random_paths(50)
    after_50 = metric_series(keyed_client)
    paths += ask_random_paths(450)
    after_500 = metric_series(keyed_client)
    assert len(after_500) == len(after_50)
    text = "\n".join(after_500)
    assert 'route="<unknown>"' in text
    assert not [path for path in paths if path.removeprefix("/") in text]
    # Known routes are still counted, each under its own label.
    assert keyed_client.post("/classify", json={"text": PROPOSAL}, headers=AUTH).status_code == 200
    assert classify_count(metric_series(keyed_client)) == classify_count(after_500) + 1


# --- happy paths ---------------------------------------------------------------------------------------


def test_classify_scores_every_axis(client, tiny_predictor):
    result = classify(client, PROPOSAL)
    assert [entry["axis"] for entry in result["axes"]] == list(AXES)
    assert result["labels"] == [entry["axis"] for entry in result["axes"] if entry["selected"]]
    assert all(entry["selected"] == (entry["score"] >= entry["threshold"]) for entry in result["axes"])
    assert result["model"] == {"name": tiny_predictor.name, "version": tiny_predictor.version}
    assert result["language"] == "en"
    assert result["evidence"] is None
    [expected] = tiny_predictor.predict([PROPOSAL])
    for entry in result["axes"]:
        assert entry["score"] == pytest.approx(expected.scores[entry["axis"]], abs=1e-5)


def test_explain_gives_evidence_sentences_for_selected_axes(client):
    result = classify(client, PROPOSAL, explain=True)
    assert set(result["evidence"]) == set(result["labels"])
    for sentences in result["evidence"].values():
        for item in sentences:
            assert PROPOSAL[item["start"] : item["end"]] == item["sentence"]


def test_batch_keeps_order_and_ids(client):
    # More items than one model call takes (AXISTAG_SCORING_BATCH, 32): the batcher splits and reassembles.
    texts = [row["text"] for row in tiny_corpus_rows()][:60]
    items = [{"id": f"p-{n}", "text": text} for n, text in enumerate(texts)]
    response = client.post("/classify_batch", json={"items": items, "explain": True})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [result["id"] for result in body["results"]] == [item["id"] for item in items]
    assert body["model"]["name"] == "tiny"
    for position in (0, 33, 59):
        alone = classify(client, texts[position], explain=True)
        together = body["results"][position]
        assert [e["score"] for e in together["axes"]] == pytest.approx([e["score"] for e in alone["axes"]], abs=1e-5)
        assert together["evidence"] == alone["evidence"]


def adaptive_batches(client: httpx.Client) -> tuple[float, float]:
    """(model calls, calls that held a single request) of the scorer, from its Prometheus histogram."""
    calls = single = 0.0
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("bentoml_service_adaptive_batch_size_count"):
            calls += float(line.rsplit(" ", 1)[1])
        elif line.startswith("bentoml_service_adaptive_batch_size_bucket") and 'le="1.0"' in line:
            single += float(line.rsplit(" ", 1)[1])
    return calls, single


def test_concurrent_requests_are_scored_together(open_server, client):
    texts = [f"Proposal {n}: AI schedules GPU jobs across data centres for distributed training." for n in range(24)]
    calls_before, single_before = adaptive_batches(client)

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=open_server.url, timeout=60) as session:
            return await asyncio.gather(*(session.post("/classify", json={"text": text}) for text in texts))

    responses = asyncio.run(burst())
    assert [response.status_code for response in responses] == [200] * len(texts)
    calls, single = adaptive_batches(client)
    assert calls - calls_before < len(texts)  # fewer model calls than requests
    assert calls - calls_before > single - single_before  # at least one call held several requests


def test_axes_by_get_and_post(client):
    by_get, by_post = client.get("/axes"), client.post("/axes")
    assert by_get.status_code == by_post.status_code == 200
    assert by_get.json() == by_post.json()
    axes = by_get.json()["axes"]
    assert [(entry["axis"], entry["description"]) for entry in axes] == list(AXIS_DESCRIPTIONS.items())


# --- bad input: a 4xx that names what is wrong, never a 5xx, never a hang ------------------------------


@pytest.mark.parametrize(
    ("path", "body", "named"),
    [
        ("/classify", {"text": ""}, "text: String should have at least 1 character"),
        ("/classify", {"text": " \n\t "}, "text: text is empty or only whitespace"),
        ("/classify", {"text": "x" * 100_001}, "text: String should have at most 100000 characters"),
        ("/classify", {"text": 5}, "text: Input should be a valid string"),
        ("/classify", {"text": PROPOSAL, "explain": "yes"}, "explain: Input should be a valid boolean"),
        ("/classify", {"txt": PROPOSAL}, "text: Field required"),
        ("/classify", {"text": PROPOSAL, "language": "en"}, "language: Extra inputs are not permitted"),
        ("/classify", [PROPOSAL], "Input should be an object"),
        ("/classify_batch", {"items": []}, "items: List should have at least 1 item"),
        ("/classify_batch", {"items": "abc"}, "items: Input should be a valid array"),
        ("/classify_batch", {"items": [{"id": "a", "text": "ok"}, {"id": "b", "text": "  "}]}, "items.1.text:"),
        ("/classify_batch", {"items": [{"id": "a", "text": "ok"}, {"id": 7, "text": "ok"}]}, "items.1.id:"),
        ("/classify_batch", {"items": [{"text": "ok"}]}, "items.0.id: Field required"),
        (
            "/classify_batch",
            {"items": [{"id": "a", "text": "one"}, {"id": "b", "text": "two"}, {"id": "a", "text": "three"}]},
            "duplicate item ids: 'a' at items 0, 2",
        ),
        (
            "/classify_batch",
            {"items": [{"id": str(n), "text": "short text"} for n in range(257)]},
            "items: List should have at most 256 items",
        ),
        (
            "/classify_batch",
            {"items": [{"id": str(n), "text": "x" * 80_000} for n in range(2)], "explain": True},
            "the items hold 160000 characters in all (counted 2 times with explain), more than the limit of 255000",
        ),
        (
            "/classify_batch",
            {"items": [{"id": str(n), "text": "x" * 100_000} for n in range(11)]},
            "the items hold 1100000 characters in all, more than the limit of 255000",
        ),
    ],
)
def test_invalid_body_is_refused_with_the_field_named(client, path, body, named):
    response = client.post(path, json=body)
    assert response.status_code == 400, response.text
    assert named in response.json()["error"]


def test_malformed_json_is_refused(client):
    response = client.post("/classify", content=b'{"text": "unterminated', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "Invalid JSON" in response.json()["error"]


def test_non_json_body_is_refused(client):
    response = client.post("/classify", data={"text": PROPOSAL})
    assert response.status_code == 415
    assert "application/json" in response.json()["error"]


def test_oversized_body_is_refused_before_parsing(client):
    items = [{"id": str(n), "text": "x" * 99_000} for n in range(25)]
    response = client.post("/classify_batch", json={"items": items})
    assert response.status_code == 413
    assert str(OPEN_BODY_LIMIT) in response.json()["error"]


def test_a_lone_surrogate_costs_its_own_row_and_harms_no_batch_mate(open_server, client):
    # Valid JSON for Python's parser, which reads uploaded files; pydantic's, which reads bodies, refuses it.
    line = '{"text": "The hospital deploys AI triage \\ud800 with nurses and indicators."}\n'
    json_body = line.strip().encode()
    assert client.post("/classify", content=json_body, headers={"Content-Type": "application/json"}).status_code == 400

    async def together() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=open_server.url, timeout=60) as session:
            upload = session.post("/classify_file?filename=p.jsonl", content=(line * 3).encode())
            valid = [session.post("/classify", json={"text": PROPOSAL}) for _ in range(6)]
            return await asyncio.gather(upload, *valid)

    upload, *valid = asyncio.run(together())
    assert [response.status_code for response in [upload, *valid]] == [200] * 7
    rows = [json.loads(row) for row in upload.text.splitlines()]
    assert len(rows) == 3
    assert all(
        "undecodable" in row["error"]
        and row["text"] == "The hospital deploys AI triage \ufffd with nurses and indicators."
        for row in rows
    )


def test_options_lists_get_beside_post(client):
    response = client.options("/axes")
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert client.delete("/classify").headers["allow"] == "OPTIONS, POST"


# --- API key and limits from the environment -----------------------------------------------------------


def test_health_and_docs_stay_open_with_a_key(keyed_client):
    for path in ("/readyz", "/livez", "/metrics", "/docs.json"):
        assert keyed_client.get(path).status_code == 200, path


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": API_KEY}])
def test_scoring_needs_the_key(keyed_client, headers):
    for method, path in (("POST", "/classify"), ("POST", "/classify_batch"), ("POST", "/axes"), ("GET", "/axes")):
        response = keyed_client.request(method, path, json={"text": PROPOSAL}, headers=headers)
        assert response.status_code == 401, (method, path)
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_the_key_opens_scoring_and_limits_come_from_the_environment(keyed_client):
    assert keyed_client.post("/classify", json={"text": PROPOSAL}, headers=AUTH).status_code == 200
    assert keyed_client.get("/axes", headers=AUTH).status_code == 200
    too_long = keyed_client.post("/classify", json={"text": "x" * 501}, headers=AUTH)
    assert too_long.status_code == 400
    assert "at most 500 characters" in too_long.json()["error"]
    items = [{"id": str(n), "text": PROPOSAL} for n in range(4)]
    too_many = keyed_client.post("/classify_batch", json={"items": items}, headers=AUTH)
    assert too_many.status_code == 400
    assert "at most 3 items" in too_many.json()["error"]
    spec = keyed_client.get("/docs.json").json()
    assert spec["components"]["securitySchemes"]["bearerKey"]["scheme"] == "bearer"
    assert spec["paths"]["/classify_file"]["post"]["security"] == [{"bearerKey": []}]
    request_schema = spec["paths"]["/classify"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert request_schema["properties"]["text"]["maxLength"] == 500


# --- property-based: the service against its own OpenAPI document -------------------------------------


def unique_item_ids(_context, body):
    """Batch ids must be unique, which JSON Schema cannot say: rename repeats, keeping every other property."""
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        seen = set()
        for number, item in enumerate(body["items"]):
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                if item["id"] in seen:
                    item["id"] = f"{item['id'][:190]}~{number}"
                seen.add(item["id"])
    return body


@pytest.fixture(scope="module")
def api_schema(keyed_server):
    # The keyed server: its small limits keep generated texts short, and its document declares the key.
    # `/classify_file` is left to tests/test_file_scoring.py: its body is a file whose validity (a text column,
    # parseable rows) JSON Schema cannot express, so "valid" generated bodies would be refused.
    schema = schemathesis.openapi.from_url(keyed_server.url + "/docs.json").exclude(path="/classify_file")
    schema.hook("map_body")(unique_item_ids)
    return schema


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_service_keeps_to_its_openapi_document(api_schema, mode):
    # Valid requests must be answered 2xx and invalid ones 4xx, every answer matching the document, no 5xx.
    @given(case=api_schema.as_strategy(mode))
    @settings(max_examples=50, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    def exchange(case):
        case.call_and_validate(headers=AUTH, timeout=60)

    exchange()


# --- the scorer in process: readiness follows the model loading ----------------------------------------


def wait_for(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_scorer_turns_ready_after_loading(tiny_model, tiny_predictor, monkeypatch):
    from bentoml.exceptions import ServiceUnavailable

    from serving.schemas import ScoringJob
    from serving.service import AxisScorer

    monkeypatch.setenv("AXISTAG_MODEL", str(tiny_model))
    scorer = AxisScorer.inner()
    assert not scorer.__is_ready__()
    with pytest.raises(ServiceUnavailable, match="loading"):
        scorer.score([ScoringJob(text=PROPOSAL)])
    wait_for(scorer.__is_ready__)
    assert scorer.__is_alive__()
    [outcome] = scorer.score([ScoringJob(text=PROPOSAL)])
    [expected] = tiny_predictor.predict([PROPOSAL])
    assert outcome.result.labels == expected.labels


def test_scorer_with_a_broken_model_stays_unready_and_says_why(tiny_model, tmp_path, monkeypatch):
    from bentoml.exceptions import ServiceUnavailable

    from serving.schemas import ScoringJob
    from serving.service import AxisScorer

    broken = tmp_path / "broken"
    shutil.copytree(tiny_model, broken)
    manifest = json.loads((broken / "axistag.json").read_text())
    with open(broken / next(iter(manifest["files"])), "ab") as weights:
        weights.write(b"tampered")
    monkeypatch.setenv("AXISTAG_MODEL", str(broken))
    scorer = AxisScorer.inner()
    wait_for(lambda: not scorer.__is_alive__())
    assert not scorer.__is_ready__()
    with pytest.raises(ServiceUnavailable, match="modified or corrupted"):
        scorer.score([ScoringJob(text=PROPOSAL)])


class FailsOn:
    """Stands in for the scorer's predictor: the tiny one, except that it raises on one text."""

    def __init__(self, predictor, poison: str) -> None:
        self.predictor = predictor
        self.poison = poison

    def predict_each(self, texts, explain=False, deadline=None):
        from model.predictor import ScoringFailure

        return [
            ScoringFailure("scoring failed: ValueError: cannot tokenise")
            if self.poison in text
            else self.predictor.predict([text], explain, deadline)[0]
            for text in texts
        ]


def test_the_scorer_isolates_a_failing_text_and_drops_work_nobody_waits_for(tiny_model, tiny_predictor, monkeypatch):
    from serving.schemas import ScoringJob
    from serving.service import AxisScorer

    monkeypatch.setenv("AXISTAG_MODEL", str(tiny_model))
    scorer = AxisScorer.inner()
    wait_for(scorer.__is_ready__)
    scorer.predictor = FailsOn(tiny_predictor, "POISON")
    jobs = [ScoringJob(text=PROPOSAL), ScoringJob(text="POISON " + PROPOSAL), ScoringJob(text=PROPOSAL, explain=True)]
    first, failed, explained = scorer.score(jobs)
    assert first.result.labels == tiny_predictor.predict([PROPOSAL])[0].labels
    assert failed.failure == "scoring failed: ValueError: cannot tokenise"
    assert explained.result.evidence is not None
    scorer.predictor = tiny_predictor
    gone = time.time() - 1
    outcomes = scorer.score([ScoringJob(text=PROPOSAL, deadline=gone), ScoringJob(text=PROPOSAL, deadline=gone)])
    assert [outcome.timed_out for outcome in outcomes] == [True, True]
    assert all(outcome.result is None for outcome in outcomes)
