"""Text made safe where it enters, and every entry point holding up against arbitrary JSON values and strings.

The property: whatever a caller sends (any JSON value, strings with lone surrogates, deep nesting, huge
integers), each entry point answers 2xx or 4xx, never a 5xx or a traceback, and a file comes back with every
input row once. The HTTP routes are those of the real server the end-to-end tests start (tests/conftest.py).
"""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from axistag.cli import app
from model.safe_text import safe_text, was_repaired
from relabel.engine_local import relabel_file
from relabel.plan import RelabelError, RelabelRequest

EXAMPLES = 25  # modest: it runs in CI on two cores


def test_lone_surrogates_and_bad_bytes_become_replacement_characters():
    assert safe_text("x \ud800 y \udfff") == "x \ufffd y \ufffd"
    assert safe_text(b"caf\xe9") == "caf\ufffd"
    assert safe_text("d\u00e9j\u00e0 \U0001f600") == "d\u00e9j\u00e0 \U0001f600"
    assert was_repaired(safe_text("\ud800"))
    assert not was_repaired(safe_text("plain"))


# Any character, lone surrogates included (hypothesis leaves them out unless asked).
texts = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3)
)
# Lines Python's parser reads but writers and the model may choke on.
hostile_lines = st.sampled_from(
    [
        '{"text": ' + "[" * 2000 + "]" * 2000 + "}",
        '{"text": "x", "n": ' + "9" * 5000 + "}",
        '{"text": "x \\ud800 y"}',
        '{"text": "\\udc00"}',
        "[1, 2]",
        "{broken",
    ]
)
lines = st.one_of(
    json_values.map(lambda value: json.dumps({"text": value})), json_values.map(json.dumps), hostile_lines
)
line_lists = st.lists(lines, min_size=1, max_size=6)


def no_server_error(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text


@pytest.fixture(scope="module")
def client(open_server):
    with httpx.Client(base_url=open_server.url, timeout=60) as session:
        yield session


PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)


@given(value=json_values)
@PROPERTY_SETTINGS
def test_the_json_routes_answer_any_value_with_2xx_or_4xx(client, value):
    headers = {"Content-Type": "application/json"}
    for path, body in (
        ("/classify", {"text": value}),
        ("/classify", value),
        ("/classify_batch", {"items": [{"id": "a", "text": value}, {"id": "b", "text": "An AI triage pilot."}]}),
        ("/classify_batch", {"items": value}),
    ):
        no_server_error(client.post(path, content=json.dumps(body).encode(), headers=headers))


@given(file_lines=line_lists)
@PROPERTY_SETTINGS
def test_the_file_route_answers_any_jsonl_with_every_row_once(client, file_lines):
    content = ("\n".join(file_lines) + "\n").encode()
    response = client.post("/classify_file?filename=p.jsonl", content=content)
    no_server_error(response)
    if response.status_code == 200:
        assert int(response.headers["X-Axistag-Rows"]) == len(file_lines)
        assert len(response.text.splitlines()) == len(file_lines)


@given(file_lines=line_lists)
@PROPERTY_SETTINGS
def test_relabel_reads_any_jsonl_and_writes_every_row_once(tiny_predictor, tmp_path_factory, file_lines):
    folder = tmp_path_factory.mktemp("relabel")
    source, output = folder / "in.jsonl", folder / "out.jsonl"
    source.write_text("\n".join(file_lines) + "\n", encoding="ascii")
    try:
        summary = relabel_file(RelabelRequest(source, output), tiny_predictor, progress=False)
    except RelabelError:  # a file-level refusal (no text column at all) is an answer, not a crash
        return
    assert summary.rows == len(file_lines)
    assert len(output.read_text(encoding="utf-8").splitlines()) == len(file_lines)


@given(text=texts.filter(lambda text: text.strip() and not text.startswith("-")))
@settings(max_examples=10, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
def test_predict_answers_any_text(tiny_model, text):
    result = CliRunner().invoke(app, ["predict", "--model", str(tiny_model), "--json", "--", text])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[-1])["scores"]
