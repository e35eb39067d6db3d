"""The report's reference score (``--crs``), its Atom entries' ``updated`` times and its progress bar."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

import drawwatch.storage.rounds as stored_rounds
from drawwatch.report import write_report
from drawwatch.scrapers.feed import parse_feed
from drawwatch.storage.checks import finish_check, start_check
from drawwatch.storage.db import session_scope
from drawwatch.storage.migrate import init_schema
from drawwatch.storage.rounds import list_rounds, sync_rounds
from tests.support.commands import drawwatch, run_on_terminal
from tests.support.databases import open_engine
from tests.support.feeds import feed_body, feed_bytes, feed_document, feed_path
from tests.support.rows import ingest, ingested

ATOM = "{http://www.w3.org/2005/Atom}"
CRS = 470
ROW = re.compile(
    r'<tr data-category="[^"]+"(?: class="([^"]*)")?>\s*<td class="num" data-value="\d+"><a[^>]*>([^<]+)</a>'
)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with ingested(tmp_path_factory.mktemp("reference")) as engine:
        yield engine


@pytest.fixture(scope="module")
def cutoffs(history: Engine) -> dict[str, int]:
    with session_scope(history) as session:
        return {r.number: r.crs for r in list_rounds(session)}


def row_classes(html: str) -> dict[str, str | None]:
    """Each table row's class attribute (None without one), by round number."""
    return {number: cls or None for cls, number in ROW.findall(html)}


# --- rows coloured against the reference score, as the page says ----------------------------------------


def test_rows_are_coloured_as_the_page_says(history: Engine, cutoffs: dict[str, int], tmp_path: Path) -> None:
    write_report(history, tmp_path, crs=CRS)
    index = (tmp_path / "index.html").read_text()
    # What the page promises…
    assert f"the reference score of {CRS}</span> (cut-offs at or below it are green)" in index
    # …is what every row gets: "clear" exactly when the cut-off is at or below the score (470 itself too).
    classes = row_classes(index)
    assert len(classes) == len(cutoffs) == 438
    for number, crs in cutoffs.items():
        assert classes[number] == ("clear" if crs <= CRS else "above"), (number, crs)
    assert any(crs == CRS for crs in cutoffs.values())  # the boundary is exercised: at the score is green
    # …and the style sheet makes "clear" rows green (it had no rule for them).
    assert re.search(r"table\.rounds tbody tr\.clear \{ background: #eaf5ec; \}", index)
    assert re.search(r"tr\.clear td\.crs \{ color: #1e7b34;", index)

    stem = (tmp_path / "categories" / "stem.html").read_text()
    assert f'Cut-offs at or below the reference score of <span class="you">{CRS}</span> are green.' in stem
    stem_classes = row_classes(stem)
    assert stem_classes and all(
        cls == ("clear" if cutoffs[n] <= CRS else "above") for n, cls in stem_classes.items()
    )


def test_without_a_reference_score_no_row_is_coloured(history: Engine, tmp_path: Path) -> None:
    write_report(history, tmp_path)
    index = (tmp_path / "index.html").read_text()
    assert set(row_classes(index).values()) == {None}
    assert "are green" not in index and "reference score" not in index


# --- the operator's --crs is a reference score, not "your score" -----------------------------------------


def test_reference_score_wording(history: Engine, tmp_path: Path) -> None:
    write_report(history, tmp_path, crs=CRS)
    pages = [tmp_path / "index.html", *sorted((tmp_path / "categories").glob("*.html"))]
    for page in pages:
        # Only the page text: the chart legends (drawn by report/charts.py) are left as they were.
        text = re.sub(r"<svg.*?</svg>", "", page.read_text(), flags=re.S)
        assert not re.search(r"\byour (crs )?score\b", text, re.I), page.name
    index = (tmp_path / "index.html").read_text()
    assert f'<h3 class="you">Reference score: {CRS}</h3>' in index
    assert "The dashed line is the reference score." in index
    assert "rounds had a cut-off at or below the reference score" in index
    assert '<li class="you">Reference score<b>470</b>' in (tmp_path / "categories" / "stem.html").read_text()

    helped = drawwatch("report", "--help", env={})
    assert helped.code == 0
    help_text = " ".join(helped.stdout.split())
    assert "--crs N A reference CRS score to compare the rounds with" in help_text
    assert "your" not in help_text.lower()


# --- Atom: updated is when a round was first seen or last corrected --------------------------------------

T1 = datetime(2026, 8, 8, 9, 0, 1, tzinfo=UTC)
T2 = datetime(2026, 8, 20, 6, 30, 2, tzinfo=UTC)
T3 = datetime(2026, 9, 1, 14, 15, 3, tzinfo=UTC)


def sync_at(engine: Engine, monkeypatch: pytest.MonkeyPatch, when: datetime, body: bytes, url: str) -> None:
    """Store a feed body the way a check does, with the storage's clock reading ``when``."""
    monkeypatch.setattr(stored_rounds, "utcnow", lambda: when)
    feed = parse_feed(body)
    with session_scope(engine) as session:
        check = start_check(session, url)
        result = sync_rounds(session, feed.rounds, check=check)
        finish_check(session, check, outcome="ok", rounds_in_feed=len(feed.rounds), new_count=len(result.new))


def atom_times(path: Path) -> dict[str, tuple[str, str]]:
    feed = ET.fromstring(path.read_bytes())
    return {
        (e.findtext(f"{ATOM}id") or "").rsplit("/", 1)[1]: (
            e.findtext(f"{ATOM}updated") or "",
            e.findtext(f"{ATOM}published") or "",
        )
        for e in feed.findall(f"{ATOM}entry")
    } | {"": (feed.findtext(f"{ATOM}updated") or "", "")}


def test_atom_updated_is_first_seen_or_last_corrected(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with open_engine(database_url) as engine:
        init_schema(engine)
        sync_at(engine, monkeypatch, T1, feed_bytes(434), feed_path(434).as_uri())  # the first check
        sync_at(engine, monkeypatch, T2, feed_bytes(437), feed_path(437).as_uri())  # #435–#437 arrive
        write_report(engine, tmp_path / "before")
        # IRCC corrects #300's cut-off in a later copy of the feed.
        document = feed_document(437)
        (entry,) = [r for r in document["rounds"] if r["drawNumber"] == "300"]
        entry["drawCRS"] = str(int(entry["drawCRS"]) + 1)
        sync_at(engine, monkeypatch, T3, feed_body(document), feed_path(437).as_uri())
        write_report(engine, tmp_path / "after")

    before = atom_times(tmp_path / "before" / "feed.atom")
    assert {before[n][0] for n in ("437", "436", "435")} == {"2026-08-20T06:30:02Z"}
    assert {before[n][0] for n in ("434", "300", "1")} == {"2026-08-08T09:00:01Z"}
    assert before[""][0] == "2026-08-20T06:30:02Z"  # the feed's own updated: its newest entry's

    after = atom_times(tmp_path / "after" / "feed.atom")
    assert after["300"][0] == "2026-09-01T14:15:03Z"  # the correction's time
    assert after["300"][1] == before["300"][1]  # published stays when the round ran
    assert after[""][0] == "2026-09-01T14:15:03Z"
    assert {n: t for n, t in after.items() if n not in ("300", "")} == {
        n: t for n, t in before.items() if n not in ("300", "")
    }


# --- progress on stderr: a bar on a terminal, nothing when piped ------------------------------------------


def test_progress_callback_counts_every_step(history: Engine, tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    result = write_report(history, tmp_path, progress=lambda done, total: calls.append((done, total)))
    total = 3 + len(result.categories)  # the front page, each category page, the feed, the exports
    assert calls == [(done, total) for done in range(total + 1)]


@pytest.mark.slow
def test_report_piped_prints_no_progress(tmp_path: Path) -> None:
    env = {"DRAWWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'drawwatch.db'}"}
    with open_engine(env["DRAWWATCH_DATABASE_URL"]) as engine:
        ingest(engine, 437)
    run = drawwatch("report", "--out", str(tmp_path / "site"), "--crs", str(CRS), env=env)
    assert run.code == 0, run.stderr
    assert run.stderr == ""
    assert run.stdout.startswith("Wrote the report of 438 rounds to") and run.stdout.count("\n") == 1
    assert "Writing the report" not in run.stdout


@pytest.mark.slow
def test_report_on_a_terminal_shows_a_progress_bar(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'drawwatch.db'}"
    with open_engine(url) as engine:
        ingest(engine, 437)
    code, stdout, shown = run_on_terminal(
        "report", "--out", str(tmp_path / "site"), env={"DRAWWATCH_DATABASE_URL": url}
    )
    assert code == 0
    assert "Writing the report" in shown and "100%" in shown, shown
    assert stdout.startswith("Wrote the report of 438 rounds to")  # stdout is not the terminal: no bar there
