"""The rounds table on a phone: at 390 CSS px the CRS column shows without scrolling the table, and rows are
green exactly where the page says. Headless Chromium, driven the way ``test_report_browser.py`` drives it;
the screenshot goes to artifacts/report-rounds-phone.png for a person to look at."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from drawwatch.report import write_report
from tests.support.browser import ARTIFACTS, CHROMIUM, Chromium
from tests.support.rows import ingested

pytestmark = pytest.mark.slow

PHONE = 390
CRS = 470


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("phone-report")
    with ingested(base) as engine:
        write_report(engine, base / "site", crs=CRS)
    return base / "site"


@pytest.fixture
def phone(tmp_path: Path, site: Path) -> Iterator[Chromium]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)")
    browser = Chromium(CHROMIUM, tmp_path / "profile", tmp_path / "chromium.log")
    try:
        browser.open_page(PHONE, 844, mobile=True, scale=2)
        browser.navigate((site / "index.html").as_uri())
        yield browser
    finally:
        browser.close()


def screenshot_of_table(browser: Chromium, path: Path) -> None:
    """A 390-px-wide shot from just above the rounds table down (the table sits below the charts)."""
    top = browser.evaluate(
        'document.getElementById("rounds-heading").getBoundingClientRect().top + window.scrollY'
    )
    clip = {"x": 0, "y": max(top - 8, 0), "width": PHONE, "height": 900, "scale": 1}
    data = browser.call(
        "Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True}
    )
    path.write_bytes(base64.b64decode(data["data"]))


def test_crs_column_shows_on_a_phone(phone: Chromium) -> None:
    facts = phone.evaluate(
        """(() => {
          const box = (e) => e.getBoundingClientRect();
          const heads = Array.from(document.querySelectorAll("#rounds thead th"));
          const crs = heads.find((th) => th.textContent.trim() === "CRS");
          const cells = Array.from(document.querySelectorAll("#rounds tbody tr")).slice(0, 40)
            .map((tr) => tr.cells[crs.cellIndex]);
          return {
            viewport: window.innerWidth,
            page: document.documentElement.scrollWidth,
            head: [crs.cellIndex, box(crs).left, box(crs).right],
            wrap: box(document.querySelector(".table-wrap")).right,
            cells: cells.map((td) => [td.textContent.trim(), box(td).right]),
          };
        })()"""
    )
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot_of_table(phone, ARTIFACTS / "report-rounds-phone.png")

    assert facts["viewport"] == PHONE
    assert facts["page"] <= PHONE  # nothing wider than the screen outside the scrolling boxes
    index, left, right = facts["head"]
    assert index == 3  # the 4th column, after #, date and category
    assert left >= 0 and right <= PHONE, f"the CRS header spans {left:.0f}–{right:.0f} px of {PHONE}"
    # Visible inside the table's scrolling box too, without scrolling it.
    assert right <= facts["wrap"], (
        f"the CRS header ends at {right:.0f} px, the table box at {facts['wrap']:.0f}"
    )
    for text, cell_right in facts["cells"]:
        assert text.isdigit() and cell_right <= facts["wrap"], (text, cell_right)
    assert (ARTIFACTS / "report-rounds-phone.png").stat().st_size > 20_000
    assert phone.problems() == []


def test_rows_are_green_where_the_cut_off_is_at_or_below_the_reference(phone: Chromium) -> None:
    rows = phone.evaluate(
        """Array.from(document.querySelectorAll("#rounds tbody tr")).map((tr) => [
             Number(tr.cells[3].textContent), getComputedStyle(tr).backgroundColor,
             getComputedStyle(tr.cells[3]).color])"""
    )
    assert len(rows) == 438
    green_row, green_text = "rgb(234, 245, 236)", "rgb(30, 123, 52)"
    for cutoff, background, colour in rows:
        if cutoff <= CRS:
            assert (background, colour) == (green_row, green_text), cutoff
        else:
            assert background != green_row and colour != green_text, cutoff
    assert any(cutoff <= CRS for cutoff, _, _ in rows) and any(cutoff > CRS for cutoff, _, _ in rows)
    lead = phone.evaluate('document.querySelector("p.lead").textContent')
    assert f"compared with the reference score of {CRS} (cut-offs at or below it are green)" in lead
