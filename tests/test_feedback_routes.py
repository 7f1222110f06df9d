"""`POST /feedback` and `GET /feedback/stats` end to end: real `axistag serve` processes over HTTP.

One server on a SQLite file takes the corrections, refuses bad ones, and survives a restart and a kill in
the middle of writes with every acknowledged correction kept. Sixteen clients post at once against SQLite
and against a throwaway PostgreSQL cluster; each acknowledged correction is stored exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from feedback.correction import MAX_COMMENT_CHARS
from feedback.store import CorrectionStore
from model.axes import AXES
from tests.postgres import PostgresUnavailableError, private_postgres
from tests.servers import Server, start_server, stop_server, wait_until_ready

API_KEY = "feedback-key-0123456789"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
CLIENTS = 16
PER_CLIENT = 4
PROPOSAL = (
    "We pre-train a multilingual foundation model on European text and release checkpoints. "
    "The hospital deploys AI triage in its emergency department with nurses and indicators."
)


def serve(model: Path, logs: Path, name: str, database_url: str) -> Server:
    server = start_server(model, logs, name, {"AXISTAG_API_KEY": API_KEY, "AXISTAG_DATABASE_URL": database_url})
    wait_until_ready(server)
    return server


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("feedback-logs")


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('feedback-db') / 'feedback.sqlite3'}"


@pytest.fixture(scope="module")
def server(tiny_model, logs, sqlite_url):
    started = serve(tiny_model, logs, "feedback", sqlite_url)
    try:
        yield started
    finally:
        stop_server(started)


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60, headers=AUTH) as session:
        yield session


def stored_ids(url: str) -> list[int]:
    store = CorrectionStore(url)
    try:
        return [correction_id for correction_id, _ in store.corrections()]
    finally:
        store.close()


def post_corrections(url: str, client_number: int, count: int, acknowledged: list[int], stop: threading.Event) -> None:
    """One client posting `count` corrections (or until `stop`), keeping the ids the service acknowledged."""
    with httpx.Client(base_url=url, timeout=60, headers=AUTH) as session:
        for index in range(count):
            if stop.is_set():
                return
            body = {"text": f"{PROPOSAL} Client {client_number}, correction {index}.", "labels": ["cloud"]}
            try:
                response = session.post("/feedback", json=body)
            except httpx.HTTPError:
                return
            if response.status_code != 201:
                return
            acknowledged.append(response.json()["id"])


def post_concurrently(url: str, clients: int, per_client: int) -> list[int]:
    acknowledged: list[int] = []
    with ThreadPoolExecutor(clients) as pool:
        for number in range(clients):
            pool.submit(post_corrections, url, number, per_client, acknowledged, threading.Event())
    return acknowledged


# --- recording and counting ----------------------------------------------------------------------------


def test_feedback_needs_the_key(server):
    assert httpx.post(server.url + "/feedback", json={"text": PROPOSAL, "labels": []}).status_code == 401
    assert httpx.get(server.url + "/feedback/stats").status_code == 401


def test_a_correction_is_stored_with_the_services_own_scores(client, sqlite_url):
    classified = client.post("/classify", json={"text": PROPOSAL}).json()
    model_labels = classified["labels"]
    flipped = list(AXES[:2])
    corrected = sorted(set(model_labels) ^ set(flipped), key=AXES.index)
    before = client.get("/feedback/stats").json()
    body = {
        "text": PROPOSAL,
        "labels": corrected,
        "model_version": classified["model"]["version"],
        "reviewer": "Camille",
        "comment": "cloud is only mentioned in passing",
    }
    response = client.post("/feedback", json=body)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["labels"] == corrected and answer["model_labels"] == model_labels
    assert answer["model"] == classified["model"]
    assert sorted(answer["added"] + answer["removed"]) == sorted(flipped)

    store = CorrectionStore(sqlite_url)
    [stored] = [correction for correction_id, correction in store.corrections() if correction_id == answer["id"]]
    store.close()
    assert stored.corrected_labels == corrected and stored.model_labels == model_labels
    assert (stored.reviewer, stored.comment) == ("Camille", "cloud is only mentioned in passing")
    assert stored.model_version == classified["model"]["version"]
    for entry in classified["axes"]:
        assert stored.model_scores[entry["axis"]] == pytest.approx(entry["score"], abs=1e-6)

    after = client.get("/feedback/stats").json()
    assert after["corrections"] == before["corrections"] + 1
    changes = {entry["axis"]: entry for entry in after["axes"]}
    old = {entry["axis"]: entry for entry in before["axes"]}
    for axis in AXES:
        expected_added = old[axis]["added"] + (axis in answer["added"])
        expected_removed = old[axis]["removed"] + (axis in answer["removed"])
        assert (changes[axis]["added"], changes[axis]["removed"]) == (expected_added, expected_removed), axis


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"text": PROPOSAL, "labels": ["cloud", "quantum"]}, 400, "labels.1"),
        ({"text": "   ", "labels": ["cloud"]}, 400, "text"),
        ({"text": "", "labels": ["cloud"]}, 400, "text"),
        ({"text": PROPOSAL, "labels": ["cloud"], "comment": "x" * (MAX_COMMENT_CHARS + 1)}, 400, "comment"),
        ({"text": PROPOSAL, "labels": ["cloud"], "model_version": "1999.1.1"}, 409, "model_version"),
        ({"text": PROPOSAL}, 400, "labels"),
        ({"text": PROPOSAL, "labels": "cloud"}, 400, "labels"),
        ({"text": PROPOSAL, "labels": [], "score": 1}, 400, "score"),
        ('{"text": "a proposal", "labels": [', 400, "body"),
    ],
    ids=[
        "unknown-axis",
        "blank-text",
        "empty-text",
        "long-comment",
        "other-model",
        "no-labels",
        "labels-string",
        "unknown-field",
        "malformed-json",
    ],
)
def test_bad_corrections_are_refused_naming_the_field_and_nothing_is_stored(client, sqlite_url, body, status, field):
    before = stored_ids(sqlite_url)
    content = body if isinstance(body, str) else json.dumps(body)
    response = client.post("/feedback", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["error"].removeprefix("invalid request: ").startswith(f"{field}:"), answer["error"]
    assert [".".join(map(str, error["loc"])) for error in answer["errors"]] == [field]
    assert stored_ids(sqlite_url) == before


def test_a_body_that_is_not_json_or_too_large_is_refused_like_classify(client):
    response = client.post("/feedback", content=b"text=x", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


def test_sixteen_clients_at_once_each_correction_stored_once_sqlite(server, sqlite_url):
    before = set(stored_ids(sqlite_url))
    acknowledged = post_concurrently(server.url, CLIENTS, PER_CLIENT)
    assert len(acknowledged) == CLIENTS * PER_CLIENT
    new = [correction_id for correction_id in stored_ids(sqlite_url) if correction_id not in before]
    assert sorted(new) == sorted(acknowledged) and len(set(new)) == len(new)


# --- restart and crash ---------------------------------------------------------------------------------


def test_corrections_survive_a_restart_and_a_kill_during_writes(server, tiny_model, logs, sqlite_url):
    before = stored_ids(sqlite_url)
    stop_server(server)
    restarted = serve(tiny_model, logs, "feedback-restarted", sqlite_url)
    try:
        with httpx.Client(base_url=restarted.url, timeout=60, headers=AUTH) as session:
            assert session.get("/feedback/stats").json()["corrections"] == len(before)
        acknowledged: list[int] = []
        stop = threading.Event()
        writers = [
            threading.Thread(target=post_corrections, args=(restarted.url, number, 200, acknowledged, stop))
            for number in range(4)
        ]
        for writer in writers:
            writer.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 12 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(restarted.process.pid, signal.SIGKILL)
        restarted.process.wait(timeout=10)
        stop.set()
        for writer in writers:
            writer.join(timeout=60)
    finally:
        stop_server(restarted)
    assert len(acknowledged) >= 12
    after = stored_ids(sqlite_url)
    assert after[: len(before)] == before
    assert set(acknowledged) <= set(after)
    assert len(set(after)) == len(after)


# --- PostgreSQL ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres_url():
    try:
        with private_postgres() as url:
            yield url
    except PostgresUnavailableError as error:
        pytest.skip(f"no PostgreSQL cluster: {error}")


def test_sixteen_clients_at_once_each_correction_stored_once_postgresql(tiny_model, logs, postgres_url):
    server = serve(tiny_model, logs, "feedback-postgres", postgres_url)
    try:
        acknowledged = post_concurrently(server.url, CLIENTS, PER_CLIENT)
        with httpx.Client(base_url=server.url, timeout=60, headers=AUTH) as session:
            assert session.get("/feedback/stats").json()["corrections"] == CLIENTS * PER_CLIENT
    finally:
        stop_server(server)
    assert len(acknowledged) == CLIENTS * PER_CLIENT
    stored = stored_ids(postgres_url)
    assert sorted(stored) == sorted(acknowledged)
