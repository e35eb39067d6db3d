"""The report in a real browser: Debian's headless Chromium opens index.html from disk.

Chromium is driven over the Chrome DevTools Protocol through ``--remote-debugging-pipe`` (file descriptors 3
and 4, NUL-separated JSON), the transport Puppeteer and Playwright use. That needs no test dependency (no
websocket client, no Playwright, whose package wants to download a browser of its own) and opens no port.
The test records every console message, uncaught exception and network request of the page, checks the
charts and the table, filters the table by category and sorts it by a real mouse click, and saves
screenshots (desktop and phone width) under artifacts/ for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from drawwatch.report import write_report
from tests.support.browser import ARTIFACTS, CHROMIUM, Chromium
from tests.support.rows import ingested

pytestmark = pytest.mark.slow

CRS = 470


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of the 438-round copy, with a reader's score, written once for this module."""
    base = tmp_path_factory.mktemp("browser-report")
    with ingested(base) as engine:
        write_report(engine, base / "site", crs=CRS)
    return base / "site"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Chromium]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)")
    chromium = Chromium(CHROMIUM, tmp_path / "profile", tmp_path / "chromium.log")
    try:
        yield chromium
    finally:
        chromium.close()


def test_index_renders_offline_with_charts_and_table(site: Path, browser: Chromium) -> None:
    browser.open_page(1280, 900)
    browser.navigate((site / "index.html").as_uri())

    facts = browser.evaluate(
        """(() => {
          const charts = Array.from(document.querySelectorAll("svg.chart-svg"))
            .filter((svg) => svg.getBoundingClientRect().width > 0);  // the phone layouts are hidden here
          return {
            title: document.title,
            charts: charts.map((svg) => [svg.id, Math.round(svg.getBoundingClientRect().width),
                                         Math.round(svg.getBoundingClientRect().height),
                                         svg.querySelectorAll("path, use, text").length]),
            rows: document.querySelectorAll("#rounds tbody tr").length,
            cards: document.querySelectorAll(".cards .card").length,
            controls: !document.getElementById("rounds-controls").hidden,
          };
        })()"""
    )
    ARTIFACTS.mkdir(exist_ok=True)
    browser.screenshot(ARTIFACTS / "report-index.png", height=3400)

    assert browser.problems() == []
    assert (site / "index.html").as_uri() in browser.requests()  # the recording works…
    outside = [url for url in browser.requests() if not url.startswith(("file://", "data:"))]
    assert outside == [], f"the page made network requests: {outside}"
    assert "Express Entry" in facts["title"]
    assert [c[0] for c in facts["charts"]] == ["chart-cutoffs-wide", "chart-monthly-wide", "chart-pool"]
    for name, width, height, shapes in facts["charts"]:
        assert width > 500 and height > 200, f"{name} is drawn {width}×{height}"
        assert shapes > 50, f"{name} has only {shapes} shapes"
    assert facts["rows"] == 438
    assert facts["cards"] == 15
    assert facts["controls"], "the script did not run: the filter stays hidden"
    assert (ARTIFACTS / "report-index.png").stat().st_size > 50_000


def test_filtering_and_sorting_the_table_in_the_browser(site: Path, browser: Chromium) -> None:
    browser.open_page(1280, 900)
    browser.navigate((site / "index.html").as_uri())
    visible = """Array.from(document.querySelectorAll("#rounds tbody tr"))
        .filter((tr) => !tr.hidden).map((tr) => [tr.dataset.category, Number(tr.cells[3].textContent)])"""

    browser.evaluate(
        """(() => { const s = document.getElementById("category-filter"); s.focus(); s.value = "stem";
                    s.dispatchEvent(new Event("change", {bubbles: true})); })()"""
    )
    stem = browser.evaluate(visible)
    assert [category for category, _ in stem] == ["stem"] * 3
    assert browser.evaluate('document.getElementById("rounds-count").textContent') == "3 of 438 rounds"

    browser.click("#rounds thead th:nth-child(4) button")  # CRS, ascending
    assert [crs for _, crs in browser.evaluate(visible)] == sorted(crs for _, crs in stem)
    assert browser.evaluate('document.querySelector("#rounds thead th:nth-child(4)").ariaSort') == "ascending"
    browser.click("#rounds thead th:nth-child(4) button")  # and descending
    assert [crs for _, crs in browser.evaluate(visible)] == sorted((crs for _, crs in stem), reverse=True)

    browser.evaluate(
        """(() => { const s = document.getElementById("category-filter"); s.value = "";
                    s.dispatchEvent(new Event("change", {bubbles: true})); })()"""
    )
    everything = browser.evaluate(visible)
    assert len(everything) == 438
    assert everything[0][1] == 902  # still sorted by CRS, highest first (a PNP round)
    assert browser.problems() == []


def test_phone_width_and_category_page(site: Path, browser: Chromium) -> None:
    browser.open_page(390, 844, mobile=True, scale=2)
    browser.navigate((site / "index.html").as_uri())
    # Nothing wider than the screen except inside the scrolling chart and table boxes.
    assert browser.evaluate("document.documentElement.scrollWidth") <= 390
    shown = browser.evaluate(
        """Array.from(document.querySelectorAll("svg.chart-svg"))
             .filter((svg) => svg.getBoundingClientRect().width > 0).map((svg) => svg.id)"""
    )
    assert shown == ["chart-cutoffs-phone", "chart-monthly-phone", "chart-pool"]
    # Legible type: every chart's smallest text (tick labels, legend), as drawn on this screen, in CSS px.
    smallest = browser.evaluate(
        """Math.min(...Array.from(document.querySelectorAll("svg.chart-svg"))
             .filter((svg) => svg.getBoundingClientRect().width > 0)
             .flatMap((svg) => {
               const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
               return Array.from(svg.querySelectorAll("text"))
                 .map((t) => parseFloat(getComputedStyle(t).fontSize) * scale);
             }))"""
    )
    assert smallest >= 10.5, f"chart text is {smallest:.1f}px at phone width"
    ARTIFACTS.mkdir(exist_ok=True)
    browser.screenshot(ARTIFACTS / "report-index-phone.png", height=2600)

    browser.navigate((site / "categories" / "french.html").as_uri())
    assert browser.evaluate('document.querySelectorAll("#rounds tbody tr").length') == 36
    assert browser.evaluate('document.querySelectorAll("svg.chart-svg").length') == 1
    browser.screenshot(ARTIFACTS / "report-category-french-phone.png", height=1400)
    assert browser.problems() == []
    assert all(url.startswith(("file://", "data:")) for url in browser.requests())
