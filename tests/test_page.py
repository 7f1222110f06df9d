"""The reviewers' page in a real headless Chromium, against one real `axistag serve` with an API key.

The browser tests run in file order on one page: the key is asked for and kept, a French proposal is
classified, errors land next to their field, then a CSV file is scored and downloaded. Screenshots are kept
in the test's temporary folder, with copies at `/tmp/axistag-page.png` and `/tmp/axistag-page-phone.png`.
Without Chromium, chromedriver or selenium the browser tests are skipped; the HTTP checks still run.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from axistag.cli import app
from feedback.store import CorrectionStore
from model.axes import AXES
from relabel.rows import added_columns
from tests.fixtures import HEADLESS_CHROMIUM_FLAGS
from tests.servers import start_server, stop_server, wait_until_ready

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = [*HEADLESS_CHROMIUM_FLAGS, "--lang=fr-FR"]
PAGE_KEY = "page-key-0123456789"
AUTH = {"Authorization": f"Bearer {PAGE_KEY}"}
MAX_TEXT_CHARS = 2000
MAX_UPLOAD_BYTES = 4096
MAX_BATCH_CHARS = 1000
WAIT_SECONDS = 30
LAPTOP = (1280, 900)
PHONE = (390, 844)
FRENCH_PROPOSAL = (
    "Nous pré-entraînons un modèle de fondation multilingue sur des textes européens et publions les poids "
    "sous licence Apache-2.0. L'hôpital déploie un assistant de tri aux urgences avec les infirmiers, "
    "et suit des indicateurs pendant douze mois. Un espace de données sécurisé rassemble les comptes rendus."
)
TABLE = [
    {"id": "p1", "texte": FRENCH_PROPOSAL, "programme": "IA"},
    {"id": "p2", "texte": "", "programme": "IA"},
    {"id": "p3", "texte": "The operator uses AI to plan its 5G radio network and predict faults.", "programme": "X"},
]
# Markup that would run if the page ever put the text or a comment into HTML instead of text nodes.
INJECTION = '<script>window.injected = "script"</script><img src="x" onerror="window.injected = \'img\'">'


# --- the server ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('page-db') / 'feedback.sqlite3'}"


@pytest.fixture(scope="module")
def server(tiny_model, tmp_path_factory, database):
    logs = tmp_path_factory.mktemp("page-logs")
    limits = {
        "AXISTAG_MAX_TEXT_CHARS": str(MAX_TEXT_CHARS),
        "AXISTAG_MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES),
        "AXISTAG_MAX_BATCH_CHARS": str(MAX_BATCH_CHARS),
        "AXISTAG_DATABASE_URL": database,
    }
    started = start_server(tiny_model, logs, "page", {"AXISTAG_API_KEY": PAGE_KEY, **limits})
    try:
        wait_until_ready(started)
        yield started
    finally:
        stop_server(started)


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=30) as session:
        yield session


def csv_text(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


# --- over HTTP -----------------------------------------------------------------------------------------


def test_page_and_its_assets_are_open_and_self_contained(client):
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert f'data-max-text-chars="{MAX_TEXT_CHARS}"' in page.text
    assert f'data-max-upload-bytes="{MAX_UPLOAD_BYTES}"' in page.text
    assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", page.text)  # nothing loaded from elsewhere
    for asset, media_type in (("/ui/app.js", "text/javascript"), ("/ui/style.css", "text/css")):
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.headers["content-type"].startswith(media_type)
        assert "http://" not in response.text and "https://" not in response.text
    assert client.get("/ui/index.html").status_code == 404
    assert client.get("/ui/../settings.py").status_code == 404


def test_api_explorer_moves_to_docs(client):
    explorer = client.get("/docs")
    assert explorer.status_code == 200
    assert "swagger-ui" in explorer.text
    assert client.get("/static_content/swagger-initializer.js").status_code == 200
    assert client.get("/docs.json").json()["info"]["title"] == "axistag"


def test_file_scoring_needs_the_key(client):
    response = client.post("/classify_file?filename=t.csv", content=csv_text(TABLE).encode())
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_file_scoring_answers_in_the_relabelling_format(client):
    body = csv_text(TABLE).encode()
    response = client.post("/classify_file?filename=proposals.csv&text_column=texte", content=body, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == "attachment; filename*=UTF-8''proposals.labelled.csv"
    counts = {name: response.headers[f"x-axistag-{name}"] for name in ("rows", "scored", "errors", "needs-review")}
    assert counts["rows"] == "3" and counts["scored"] == "2" and counts["errors"] == "1"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == ["id", "texte", "programme", *added_columns(AXES, explain=False, compare=False)]
    assert [row["id"] for row in rows] == ["p1", "p2", "p3"]
    assert rows[1]["error"] == "empty text in 'texte'"
    alone = client.post("/classify", json={"text": FRENCH_PROPOSAL}, headers=AUTH).json()
    assert rows[0]["pred_labels"] == ";".join(alone["labels"])
    for entry in alone["axes"]:
        assert float(rows[0][f"score_{entry['axis']}"]) == pytest.approx(entry["score"], abs=1e-6)
    assert rows[0]["language"] == "fr"


@pytest.mark.parametrize(
    ("query", "body", "status", "field", "kind", "says"),
    [
        (
            "filename=t.csv&text_column=body",
            csv_text(TABLE),
            400,
            "text_column",
            "column_not_found",
            "no column 'body'",
        ),
        ("filename=t.csv&text_column=", csv_text(TABLE), 400, "text_column", "missing", "name the column"),
        ("filename=t.csv", "", 400, "file", "empty", "t.csv is empty"),
        ("filename=t.csv", "id,texte\n", 400, "file", "no_rows", "t.csv holds no rows to score"),
        ("filename=t.csv", "texte,texte\na,b\n", 400, "file", "unreadable", "t.csv: duplicate column name"),
        (
            "filename=t.csv",
            csv_text([{"texte": FRENCH_PROPOSAL}] * 4),
            413,
            "file",
            "too_many_characters",
            f"hold {len(FRENCH_PROPOSAL) * 4} characters in all, more than the limit of {MAX_BATCH_CHARS}",
        ),
        ("filename=t.xlsx", "PK\x03\x04\x00\x00", 415, "file", "unsupported_format", "t.xlsx: only .csv, .jsonl"),
        ("filename=t.csv", "PK\x03\x04\x00\x00", 400, "file", "not_text", "t.csv is not a text file"),
        ("", csv_text(TABLE), 415, "file", "unsupported_format", "cannot tell the format"),
        (
            "filename=t.csv",
            "texte\n" + "x" * MAX_UPLOAD_BYTES,
            413,
            "file",
            "too_large",
            f"larger than {MAX_UPLOAD_BYTES}",
        ),
    ],
    ids=[
        "no-column",
        "blank-column",
        "empty",
        "header-only",
        "unreadable",
        "too-much-text",
        "spreadsheet",
        "binary",
        "no-format",
        "too-big",
    ],
)
def test_bad_files_are_refused_with_the_field_named(client, query, body, status, field, kind, says):
    query = query if "text_column" in query else f"{query}&text_column=texte"
    response = client.post(f"/classify_file?{query}", content=body.encode(), headers=AUTH)
    assert response.status_code == status, response.text
    answer = response.json()
    assert says in answer["error"]
    [detail] = answer["errors"]
    assert (detail["loc"], detail["type"], detail["msg"]) == ([field], kind, answer["error"])


def test_jsonl_is_known_by_its_media_type_and_bad_lines_are_rows_with_an_error(client):
    body = b'{"texte": "Un assistant de tri aux urgences."}\n[1, 2]\n{oops\n'
    headers = {**AUTH, "Content-Type": "application/x-ndjson"}
    response = client.post("/classify_file?text_column=texte", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in response.text.splitlines()]
    assert [row["error"] for row in rows] == [
        None,
        "line 2: a JSON list, not an object",
        "line 3: invalid JSON (Expecting property name enclosed in double quotes)",
    ]
    assert rows[0]["pred_labels"] is not None


# --- in the browser ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    webdriver = pytest.importorskip("selenium.webdriver")
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("Chromium and chromedriver are needed for the browser tests")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_argument(f"--window-size={LAPTOP[0]},{LAPTOP[1]}")
    options.add_experimental_option("prefs", {"intl.accept_languages": "fr-FR,fr"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=str(CHROMEDRIVER)))
    driver.set_script_timeout(WAIT_SECONDS)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("page-screenshots")


def wait_for(driver, condition, message: str):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_SECONDS).until(lambda _: condition(), message=message)


def by_id(driver, element_id: str):
    return driver.find_element("id", element_id)


def visible(driver, element_id: str) -> bool:
    return by_id(driver, element_id).is_displayed()


def screenshot(driver, folder: Path, name: str, width: int, copy_to: Path | None = None) -> Path:
    """The whole page at `width` pixels, however long it is, then the window back to its laptop size."""
    driver.set_window_size(width, LAPTOP[1])
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, height + 120)
    path = folder / f"{name}.png"
    assert driver.save_screenshot(str(path))
    if copy_to is not None:
        shutil.copyfile(path, copy_to)
    driver.set_window_size(*LAPTOP)
    return path


def test_the_page_asks_for_the_key_once_and_keeps_it_for_the_tab(browser, server, screenshots):
    browser.get(server.url + "/")
    wait_for(browser, lambda: visible(browser, "key-panel"), "the key was not asked for")
    assert browser.execute_script("return navigator.language").startswith("fr")
    assert browser.find_element("css selector", "label[for=api-key]").text == "Clé d'API"
    by_id(browser, "api-key").send_keys("not-the-key\n")
    wait_for(browser, lambda: visible(browser, "api-key-error"), "a wrong key was not reported")
    assert "invalid API key" in by_id(browser, "api-key-error").text
    assert by_id(browser, "api-key").get_attribute("aria-invalid") == "true"
    screenshot(browser, screenshots, "key-refused", LAPTOP[0])
    by_id(browser, "api-key").send_keys(PAGE_KEY + "\n")
    wait_for(browser, lambda: "tiny" in by_id(browser, "model-info").text, "the model was not shown")
    assert not visible(browser, "key-panel")
    browser.refresh()
    wait_for(browser, lambda: "tiny" in by_id(browser, "model-info").text, "the key was not kept on reload")
    assert not visible(browser, "key-panel")
    assert browser.execute_script("return sessionStorage.getItem('axistag.apiKey')") == PAGE_KEY
    assert browser.execute_script("return localStorage.getItem('axistag.apiKey')") is None


def test_a_french_proposal_shows_every_axis_and_its_evidence(browser, client, screenshots):
    expected = client.post("/classify", json={"text": FRENCH_PROPOSAL, "explain": True}, headers=AUTH).json()
    assert expected["labels"], "the check of the highlights needs at least one selected axis"
    by_id(browser, "text").send_keys(FRENCH_PROPOSAL)
    by_id(browser, "classify").click()
    wait_for(browser, lambda: visible(browser, "result"), "no result was shown")

    bars = browser.find_elements("css selector", "#bars li.axis")
    assert [bar.get_attribute("data-axis") for bar in bars] == list(AXES)
    for bar, entry in zip(bars, expected["axes"], strict=True):
        assert ("selected" in bar.get_attribute("class").split()) == entry["selected"]
        track, fill, mark = (bar.find_element("css selector", part).rect for part in (".track", ".fill", ".threshold"))
        assert fill["width"] / track["width"] == pytest.approx(entry["score"], abs=0.01)
        mark_centre = mark["x"] + mark["width"] / 2 - track["x"]
        assert mark_centre / track["width"] == pytest.approx(entry["threshold"], abs=0.01)
    assert [badge.text for badge in browser.find_elements("css selector", "#bars .badge")] == ["RETENU"] * len(
        expected["labels"]
    )
    assert "français (fr)" in by_id(browser, "language").text
    review = by_id(browser, "review")
    if expected["needs_review"]:
        assert review.text.startswith("Une personne devrait vérifier ce résultat")
        assert len(review.find_elements("css selector", "li")) == len(expected["review_reasons"])
    else:
        assert review.text.startswith("Pas de relecture nécessaire")

    highlighted = by_id(browser, "highlighted")
    assert highlighted.text == FRENCH_PROPOSAL
    marks = highlighted.find_elements("css selector", "mark.evidence")
    marked = {}
    for mark in marks:
        for axis in mark.get_attribute("data-axes").split():
            marked[axis] = marked.get(axis, "") + mark.text
    for axis, sentences in expected["evidence"].items():
        for sentence in sentences:
            assert sentence["sentence"] in marked[axis], axis
    assert set(marked) == {axis for axis, sentences in expected["evidence"].items() if sentences}
    colours = {mark.value_of_css_property("border-bottom-color") for mark in marks}
    assert len(colours) == len({mark.get_attribute("data-axes").split()[0] for mark in marks})

    screenshot(browser, screenshots, "proposal-fr", LAPTOP[0], Path("/tmp/axistag-page.png"))
    screenshot(browser, screenshots, "proposal-fr-phone", PHONE[0], Path("/tmp/axistag-page-phone.png"))
    browser.set_window_size(*PHONE)
    overflow = "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert browser.execute_script(overflow) == 0  # nothing wider than a phone: no sideways scrolling
    browser.set_window_size(*LAPTOP)


def test_the_language_switch_translates_the_page_and_the_result(browser):
    browser.find_element("css selector", "[data-lang=en]").click()
    assert browser.find_element("css selector", "label[for=text]").text == "Proposal summary"
    assert by_id(browser, "classify").text == "Classify"
    assert "French (fr)" in by_id(browser, "language").text
    assert {badge.text for badge in browser.find_elements("css selector", "#bars .badge")} == {"SELECTED"}
    assert browser.execute_script("return document.documentElement.lang") == "en"


def toggle(driver, axis: str) -> None:
    by_id(driver, f"correct-{axis}").click()


def saved_lines(driver) -> list[str]:
    return [line.text for line in driver.find_elements("css selector", "#correction-saved p")]


def test_two_axes_corrected_are_saved_and_exported(browser, client, database, screenshots, tmp_path):
    expected = client.post("/classify", json={"text": FRENCH_PROPOSAL}, headers=AUTH).json()
    boxes = browser.find_elements("css selector", "#correction-axes input[type=checkbox]")
    assert [box.get_attribute("id") for box in boxes] == [f"correct-{axis}" for axis in AXES]
    assert [box.is_selected() for box in boxes] == [entry["selected"] for entry in expected["axes"]]
    flipped = ["cloud", "telecom"]
    for axis in flipped:
        toggle(browser, axis)
    changed = browser.find_elements("css selector", "#correction-axes li.changed")
    assert [item.get_attribute("data-axis") for item in changed] == flipped
    corrected = [axis for axis in AXES if (axis in expected["labels"]) != (axis in flipped)]
    by_id(browser, "correction-comment").send_keys("Le cloud n'est qu'évoqué.")
    by_id(browser, "save-correction").click()
    wait_for(browser, lambda: visible(browser, "correction-saved"), "the saved correction was not shown")
    lines = saved_lines(browser)
    assert re.fullmatch(r"Correction no\. \d+ saved: .+\.", lines[0]), lines[0]
    assert lines[1].startswith("Added: ") and "Removed: " in lines[1]
    assert lines[2] == "Comment: Le cloud n'est qu'évoqué."
    browser.find_element("css selector", "[data-lang=fr]").click()
    assert saved_lines(browser)[0].startswith("Correction n° ")
    assert saved_lines(browser)[2] == "Commentaire : Le cloud n'est qu'évoqué."
    assert by_id(browser, "save-correction").text == "Enregistrer la correction"
    screenshot(browser, screenshots, "correction-saved", LAPTOP[0])
    browser.find_element("css selector", "[data-lang=en]").click()

    exported = tmp_path / "corrections.jsonl"
    result = CliRunner().invoke(app, ["feedback", "export", "--out", str(exported), "--database", database])
    assert result.exit_code == 0, result.output
    [row] = [json.loads(line) for line in exported.read_text().splitlines()]
    assert (row["text"], row["labels"]) == (FRENCH_PROPOSAL, corrected)
    assert row["model_version"] == expected["model"]["version"]
    assert row["model_labels"] == expected["labels"]
    assert row["comment"] == "Le cloud n'est qu'évoqué."


def test_an_empty_text_is_reported_next_to_the_field(browser, screenshots):
    text = by_id(browser, "text")
    text.clear()
    by_id(browser, "classify").click()
    wait_for(browser, lambda: visible(browser, "text-error"), "the empty text was not reported")
    assert by_id(browser, "text-error").text == "The text is empty: paste a proposal first."
    assert text.get_attribute("aria-invalid") == "true"
    assert not visible(browser, "result")  # the previous result was for another text
    following = browser.execute_script(
        "return document.getElementById('text-error').compareDocumentPosition(document.getElementById('text'))"
    )
    assert following & 2  # the textarea comes before its error
    screenshot(browser, screenshots, "empty-text", PHONE[0])
    browser.execute_script(
        "const t = document.getElementById('text'); t.value = 'x'.repeat(arguments[0]);"
        "t.dispatchEvent(new Event('input'));",
        MAX_TEXT_CHARS + 1,
    )
    assert not visible(browser, "text-error")  # typing clears the error
    assert "over" in by_id(browser, "text-count").get_attribute("class")
    by_id(browser, "classify").click()
    wait_for(browser, lambda: visible(browser, "text-error"), "the long text was not reported")
    assert by_id(browser, "text-error").text == f"The text is too long: at most {MAX_TEXT_CHARS:,} characters."


def test_the_file_tab_scores_a_csv_and_offers_the_result(browser, tmp_path):
    by_id(browser, "tab-file").click()
    assert visible(browser, "panel-file") and not visible(browser, "panel-text")
    table = tmp_path / "propositions.csv"
    table.write_text(csv_text(TABLE), encoding="utf-8")
    by_id(browser, "table-file").send_keys(str(table))
    by_id(browser, "score-file").click()
    wait_for(browser, lambda: visible(browser, "text-column-error"), "the missing text column was not reported")
    assert by_id(browser, "text-column-error").text == (
        'propositions.csv has no column "text". Its columns: "id", "texte", "programme".'
    )
    column = by_id(browser, "text-column")
    column.clear()
    column.send_keys("texte")
    by_id(browser, "score-file").click()
    wait_for(browser, lambda: visible(browser, "file-result"), "the scored file was not offered")
    assert by_id(browser, "file-summary").text.startswith("3 rows: 2 scored, 1 with an error")
    download = by_id(browser, "download")
    assert download.get_attribute("download") == "propositions.labelled.csv"
    downloads = tmp_path / "downloads"
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    download.click()
    saved = downloads / "propositions.labelled.csv"
    wait_for(browser, saved.exists, "the scored file was not downloaded")
    content = saved.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert list(rows[0]) == ["id", "texte", "programme", *added_columns(AXES, explain=False, compare=False)]
    assert [row["error"] for row in rows] == ["", "empty text in 'texte'", ""]


def test_a_file_too_large_is_reported_next_to_the_file_field(browser, tmp_path, screenshots):
    large = tmp_path / "large.csv"
    large.write_text("texte\n" + "x" * MAX_UPLOAD_BYTES, encoding="utf-8")
    by_id(browser, "table-file").send_keys(str(large))
    assert not visible(browser, "file-result")  # the result of the previous file is put away
    by_id(browser, "score-file").click()
    wait_for(browser, lambda: visible(browser, "table-file-error"), "the refusal was not shown next to the file")
    assert by_id(browser, "table-file-error").text == "large.csv is larger than 4 kB, the most the service accepts."
    browser.find_element("css selector", "[data-lang=fr]").click()
    assert by_id(browser, "table-file-error").text == "large.csv dépasse 4 ko, le maximum accepté par le service."
    screenshot(browser, screenshots, "file-tab-error", LAPTOP[0])


def test_markup_in_the_text_and_the_comment_is_shown_never_run(browser, database):
    browser.find_element("css selector", "[data-lang=en]").click()
    by_id(browser, "tab-text").click()
    text = f"Nous déployons l'IA aux urgences de l'hôpital. {INJECTION}"
    browser.execute_script(
        "const t = document.getElementById('text'); t.value = arguments[0]; t.dispatchEvent(new Event('input'));",
        text,
    )
    by_id(browser, "classify").click()
    wait_for(browser, lambda: visible(browser, "result"), "no result was shown")
    toggle(browser, "data")
    by_id(browser, "correction-comment").send_keys(INJECTION)
    by_id(browser, "save-correction").click()
    wait_for(browser, lambda: visible(browser, "correction-saved"), "the saved correction was not shown")
    assert by_id(browser, "highlighted").text == text
    assert saved_lines(browser)[-1] == f"Comment: {INJECTION}"
    assert browser.execute_script("return window.injected") is None
    assert not browser.find_elements("css selector", "#result img, #result script")
    store = CorrectionStore(database)
    [(_, stored)] = [item for item in store.corrections() if item[1].text == text]
    store.close()
    assert stored.comment == INJECTION
