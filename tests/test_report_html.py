"""The HTML report: self-contained, and every plot shows in a real (headless) browser."""

from __future__ import annotations

import re
import shutil
import tempfile
from importlib.util import find_spec

import pytest

from tests.fixtures import HEADLESS_CHROMIUM_FLAGS

WINDOW_WIDTH = 1300
PLOTS = {
    "pr_curves",
    "reliability",
    "axes_per_item",
    "cooccurrence",
    "threshold_curves.tiny",
    "threshold_curves.tiny-tfidf",
    "slices.language_group",
    "slices.language",
    "slices.kind",
    "slices.length",
}


@pytest.fixture(scope="module")
def html(tiny_evaluation) -> str:
    return (tiny_evaluation / "report.html").read_text(encoding="utf-8")


def test_is_self_contained(html):
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html)
    assert "<script" not in html
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert len(sources) == len(PLOTS)
    assert all(source.startswith("data:image/png;base64,") for source in sources)
    assert set(re.findall(r'<figure id="plot-([^"]+)"', html)) == PLOTS


def test_names_the_models_the_data_and_the_date(html, tiny_evaluation):
    import json

    metrics = json.loads((tiny_evaluation / "metrics.json").read_text())
    for block in metrics["models"]:
        assert block["model"]["version"] in html
    assert metrics["data"]["sha256"] in html
    assert metrics["data"]["path"] in html
    assert metrics["created"] in html


def test_text_is_escaped():
    from eval.report_html import _cell
    from eval.sections import Cell

    assert _cell(Cell("<b>x</b>\nnext")) == "<td>&lt;b&gt;x&lt;/b&gt;<br>next</td>"
    assert _cell(Cell("0.5", "0.4 to 0.6", numeric=True, tone="better")) == (
        '<td class="num better">0.5<span class="ci">0.4 to 0.6</span></td>'
    )


HAS_BROWSER = bool(shutil.which("chromium") and shutil.which("chromedriver") and find_spec("selenium"))


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    with tempfile.TemporaryDirectory(prefix="axistag-chromium-") as profile:
        for flag in (*HEADLESS_CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={WINDOW_WIDTH},1000"):
            options.add_argument(flag)
        session = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
        try:
            yield session
        finally:
            session.quit()


@pytest.mark.skipif(not HAS_BROWSER, reason="needs chromium, chromedriver (scripts/setup-browser.sh) and selenium")
def test_every_plot_loads_in_chromium(browser, tiny_evaluation, tmp_path):
    browser.get((tiny_evaluation / "report.html").as_uri())
    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.closest('figure').id, i.complete, i.naturalWidth])"
    )
    assert {figure_id.removeprefix("plot-") for figure_id, _, _ in images} == PLOTS
    assert all(complete and width > 300 for _, complete, width in images), images
    assert browser.execute_script("return document.documentElement.scrollWidth") <= WINDOW_WIDTH
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(WINDOW_WIDTH, height)
    screenshot = tmp_path / "report.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 50_000
