"""The static report: pages, charts, the Atom feed and the exports, from real feed copies, on SQLite and
PostgreSQL, in-process and through the real command line.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from drawwatch.notify.render import TemplateProblem
from drawwatch.report import ReportResult, write_report
from drawwatch.storage.db import make_engine, session_scope
from drawwatch.storage.migrate import init_schema
from drawwatch.storage.models import Round
from drawwatch.storage.rounds import list_rounds
from tests.support.commands import ROOT, drawwatch
from tests.support.databases import SQLITE_ONLY, open_engine
from tests.support.feeds import feed_path
from tests.support.rows import ingest

ATOM = "{http://www.w3.org/2005/Atom}"
NASTY_NAME = 'Trades & <crafts> "quoted"'
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")
CATEGORIES_437 = {
    "general",
    "cec",
    "fsw",
    "fst",
    "pnp",
    "french",
    "stem",
    "healthcare",
    "trades",
    "transport",
    "agriculture",
    "education",
    "physicians",
    "senior_managers",
    "military",
}


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    with open_engine(database_url) as engine:
        ingest(engine, 437)
        yield engine


@pytest.fixture(scope="module")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The 438-round history on SQLite, shared by the tests that only read it."""
    with open_engine(f"sqlite:///{tmp_path_factory.mktemp('history') / 'drawwatch.db'}") as engine:
        ingest(engine, 437)
        yield engine


def entries(feed: ET.Element) -> list[ET.Element]:
    return feed.findall(f"{ATOM}entry")


# --- the whole report, on both databases --------------------------------------------------------------


def test_full_history_report(engine: Engine, tmp_path: Path) -> None:
    result = write_report(engine, tmp_path / "site", crs=470)

    assert isinstance(result, ReportResult)
    assert result.rounds == 438
    assert set(result.categories) == CATEGORIES_437
    assert result.pool_as_on is not None and result.pool_as_on.isoformat() == "2026-08-16"
    site = tmp_path / "site"
    expected = {"index.html", "feed.atom", "rounds.json", "rounds.csv"} | {
        f"categories/{key}.html" for key in CATEGORIES_437
    }
    assert {p.relative_to(site).as_posix() for p in result.files} == expected
    assert {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()} == expected

    with session_scope(engine) as session:
        stored = list_rounds(session)
    rounds = json.loads((site / "rounds.json").read_text())
    assert [r["number"] for r in rounds] == [d.number for d in stored]  # newest first, 91b before 91a
    assert rounds[0] == {
        "number": "437",
        "date": "2026-08-19",
        "name": "French-Language proficiency 2026-Version 2",
        "category": "french",
        "crs": 382,
        "invitations": 5000,
        "tie_break": rounds[0]["tie_break"],
    }
    assert datetime.fromisoformat(rounds[0]["tie_break"]).utcoffset() is not None
    numbers = [r["number"] for r in rounds]
    assert numbers.index("92") + 1 == numbers.index("91b") == numbers.index("91a") - 1

    with (site / "rounds.csv").open(newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0]) == ["number", "date", "name", "category", "crs", "invitations", "tie_break"]
    assert len(table) == 438
    for row, data in zip(table, rounds, strict=True):
        assert row == {k: "" if v is None else str(v) for k, v in data.items()}
    assert table[-1]["tie_break"] == ""  # round #1 has no tie-breaking rule

    index = (site / "index.html").read_text()
    for chart in ("cutoffs-wide", "cutoffs-phone", "monthly-wide", "monthly-phone", "pool"):
        assert f'id="chart-{chart}"' in index
    assert index.count("<tr data-category=") == 438
    assert "Reference score (470)" in index and "Your score" not in index  # the cut-off chart's legend
    assert "In the <b>461–470</b> band with 16,133 candidates." in index
    assert "<b>61,703</b> candidates (27.2%) are in higher bands." in index
    stem = (site / "categories" / "stem.html").read_text()
    assert stem.count("<tr data-category=") == 3 and 'id="chart-category-stem"' in stem
    military = (site / "categories" / "military.html").read_text()
    assert "<svg" not in military and "One round so far" in military


# --- self-contained pages --------------------------------------------------------------------------------


def test_pages_load_nothing_from_elsewhere(sqlite_engine: Engine, tmp_path: Path) -> None:
    write_report(sqlite_engine, tmp_path)
    for page in [tmp_path / "index.html", *sorted((tmp_path / "categories").glob("*.html"))]:
        html = page.read_text()
        assert "Content-Security-Policy" in html and "default-src 'none'" in html
        # No resource references at all: every src, stylesheet, import or CSS url() would be a request.
        resource = re.search(r"\ssrc\s*=|@import|url\((?!#)|rel=\"stylesheet\"|xlink:href=\"http", html)
        assert resource is None, (page.name, resource)
        # Absolute links are only the rounds' pages on canada.ca (and the SVG namespaces).
        hosts = set(re.findall(r'href="https?://([^/"]+)', html))
        assert hosts <= {"www.canada.ca"}, (page.name, hosts)
        for svg in re.findall(r"<svg[^>]*>", html):
            assert "viewBox=" in svg and 'width="' not in svg, (page.name, svg)


def test_relative_links_resolve_within_the_site(sqlite_engine: Engine, tmp_path: Path) -> None:
    """Every page links only to files the report wrote (or to canada.ca): it works from file:// and any host."""
    write_report(sqlite_engine, tmp_path)
    pages = [tmp_path / "index.html", *sorted((tmp_path / "categories").glob("*.html"))]
    assert len(pages) == 16
    for page in pages:
        for href in re.findall(r'href="([^"#]+)', page.read_text()):
            if href.startswith(("https://www.canada.ca/", "data:")):
                continue
            assert (page.parent / href).resolve().is_file(), (page.name, href)


def test_concurrent_reports_from_threads(sqlite_engine: Engine, tmp_path: Path) -> None:
    """The daemon writes reports from a worker thread: matplotlib's global style must not leak between calls."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(write_report, sqlite_engine, tmp_path / str(i), crs=400 + i) for i in range(2)]
        results = [f.result() for f in futures]
    assert [r.rounds for r in results] == [438, 438]
    for i in range(2):
        assert f"Reference score ({400 + i})" in (tmp_path / str(i) / "index.html").read_text()
    write_report(sqlite_engine, tmp_path / "alone", crs=400)
    svg = re.compile(r"<svg.*?</svg>", re.S)
    assert svg.findall((tmp_path / "0" / "index.html").read_text()) == svg.findall(
        (tmp_path / "alone" / "index.html").read_text()
    )


def test_charts_are_deterministic(sqlite_engine: Engine, tmp_path: Path) -> None:
    """Same data, same SVG: no timestamps or random ids in the charts, so regenerations diff cleanly."""
    write_report(sqlite_engine, tmp_path / "a", crs=455)
    write_report(sqlite_engine, tmp_path / "b", crs=455)
    svg = re.compile(r"<svg.*?</svg>", re.S)
    first = svg.findall((tmp_path / "a" / "index.html").read_text())
    assert len(first) == 5  # the cut-off and monthly charts come in two layouts
    assert first == svg.findall((tmp_path / "b" / "index.html").read_text())
    ids = re.findall(r'\sid="([^"]+)"', "".join(first))
    assert len(ids) == len(set(ids)), "two charts on one page share an SVG id"


def test_other_commands_do_not_import_matplotlib() -> None:
    code = "import sys, drawwatch.cli, drawwatch.report; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False).returncode == 0


# --- the Atom feed ----------------------------------------------------------------------------------------


def check_atom(path: Path) -> ET.Element:
    """Parse feed.atom and check RFC 4287's required elements; return the feed element."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith(
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
    )
    feed = ET.fromstring(text.encode("utf-8"))
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):  # §4.1.1: exactly one of each
        assert len(feed.findall(f"{ATOM}{name}")) == 1, name
    assert RFC3339.match(feed.findtext(f"{ATOM}updated") or "")
    assert feed.findtext(f"{ATOM}id", "").startswith("tag:")
    links = {link.get("rel", "alternate"): link for link in feed.findall(f"{ATOM}link")}
    assert links["self"].get("type") == "application/atom+xml" and links["self"].get("href")
    assert links["alternate"].get("type") == "text/html"
    # §4.1.1: an author on the feed, or on every entry.
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    for entry in entries(feed):  # §4.1.2
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        assert RFC3339.match(entry.findtext(f"{ATOM}updated") or "")
        assert RFC3339.match(entry.findtext(f"{ATOM}published") or "")
        # No content element, so a summary and an alternate link are both required.
        assert entry.find(f"{ATOM}content") is None
        assert (entry.findtext(f"{ATOM}summary") or "").strip()
        alternate = [x for x in entry.findall(f"{ATOM}link") if x.get("rel", "alternate") == "alternate"]
        assert len(alternate) == 1 and alternate[0].get("href", "").startswith("https://www.canada.ca/")
    ids = [e.findtext(f"{ATOM}id") for e in entries(feed)]
    assert len(ids) == len(set(ids)), "entry ids must be unique"
    return feed


def test_atom_feed_is_valid_stable_and_newest_first(engine: Engine, tmp_path: Path) -> None:
    write_report(engine, tmp_path / "one")
    first = check_atom(tmp_path / "one" / "feed.atom")
    assert len(entries(first)) == 438
    ids = [e.findtext(f"{ATOM}id") for e in entries(first)]
    assert ids[:3] == [
        "tag:drawwatch,2015:round/437",
        "tag:drawwatch,2015:round/436",
        "tag:drawwatch,2015:round/435",
    ]
    assert ids[-1] == "tag:drawwatch,2015:round/1"
    published = [datetime.fromisoformat(e.findtext(f"{ATOM}published", "")) for e in entries(first)]
    assert published == sorted(published, reverse=True)
    newest = entries(first)[0]
    assert newest.findtext(f"{ATOM}title") == "Round #437 (French): CRS 382, 5,000 invitations"
    assert newest.find(f"{ATOM}category").get("term") == "french"  # type: ignore[union-attr]

    # A new round arrives (the #437 copy over the #434 one would be the same): regenerate, ids stay put.
    write_report(engine, tmp_path / "two", crs=500)
    second = check_atom(tmp_path / "two" / "feed.atom")
    assert [e.findtext(f"{ATOM}id") for e in entries(second)] == ids
    assert (tmp_path / "one" / "feed.atom").read_text() == (tmp_path / "two" / "feed.atom").read_text()


def test_atom_ids_survive_new_rounds_and_corrections(database_url: str, tmp_path: Path) -> None:
    engine = make_engine(database_url)
    try:
        ingest(engine, 434)
        write_report(engine, tmp_path / "before")
        before = {e.findtext(f"{ATOM}id"): e for e in entries(check_atom(tmp_path / "before" / "feed.atom"))}
        ingest(engine, 437)
        # IRCC edits a round's name with characters XML must escape: the feed stays well-formed.
        with session_scope(engine) as session:
            rename = update(Round).where(Round.number == "300").values(name=NASTY_NAME)  # type: ignore[arg-type]
            session.exec(rename)  # type: ignore[call-overload]
        write_report(engine, tmp_path / "after")
        after_feed = check_atom(tmp_path / "after" / "feed.atom")
    finally:
        engine.dispose()
    after = {e.findtext(f"{ATOM}id"): e for e in entries(after_feed)}
    assert set(after) - set(before) == {f"tag:drawwatch,2015:round/{n}" for n in (435, 436, 437)}
    assert set(before) <= set(after)
    summary = after["tag:drawwatch,2015:round/300"].findtext(f"{ATOM}summary") or ""
    assert NASTY_NAME in summary
    index = (tmp_path / "after" / "index.html").read_text()
    assert "Trades &amp; &lt;crafts&gt; &#34;quoted&#34;" in index


def test_feed_links_absolute_with_base_url(sqlite_engine: Engine, tmp_path: Path) -> None:
    write_report(sqlite_engine, tmp_path, base_url="https://example.org/ee")
    feed = check_atom(tmp_path / "feed.atom")
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links == {
        "self": "https://example.org/ee/feed.atom",
        "alternate": "https://example.org/ee/index.html",
    }


# --- edge cases ------------------------------------------------------------------------------------------


def test_empty_database_writes_an_empty_but_valid_report(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    init_schema(engine)
    try:
        result = write_report(engine, tmp_path / "site", crs=480)
    finally:
        engine.dispose()
    assert (result.rounds, result.categories, result.pool_as_on) == (0, [], None)
    assert "No rounds are stored yet" in (tmp_path / "site" / "index.html").read_text()
    assert entries(check_atom(tmp_path / "site" / "feed.atom")) == []
    assert json.loads((tmp_path / "site" / "rounds.json").read_text()) == []
    header = (tmp_path / "site" / "rounds.csv").read_text().strip()
    assert header == "number,date,name,category,crs,invitations,tie_break"


def test_stale_category_pages_are_removed_and_others_kept(sqlite_engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "categories").mkdir()
    (tmp_path / "categories" / "researchers.html").write_text("a category that has no rounds (any more)")
    (tmp_path / "categories" / "notes.html").write_text("someone else's file")
    write_report(sqlite_engine, tmp_path)
    assert not (tmp_path / "categories" / "researchers.html").exists()
    assert (tmp_path / "categories" / "notes.html").read_text() == "someone else's file"
    assert not list(tmp_path.rglob("*.tmp"))


def test_operator_template_override(sqlite_engine: Engine, tmp_path: Path) -> None:
    templates = tmp_path / "templates" / "report"
    templates.mkdir(parents=True)
    (templates / "index.html.j2").write_text(
        '{% extends "report/base.html.j2" %}{% block content %}<p id="ours">{{ rounds|length }} rounds, '
        "{{ categories|length }} categories</p>{% endblock %}"
    )
    write_report(sqlite_engine, tmp_path / "site", templates_dir=tmp_path / "templates")
    assert '<p id="ours">438 rounds, 15 categories</p>' in (tmp_path / "site" / "index.html").read_text()
    # The pages not overridden still come from drawwatch.
    assert "chart-category-stem" in (tmp_path / "site" / "categories" / "stem.html").read_text()

    (templates / "index.html.j2").write_text("{% for r in rounds %}{{ r.nope }}{% endfor %}")
    with pytest.raises(TemplateProblem, match=r"report/index\.html\.j2"):
        write_report(sqlite_engine, tmp_path / "site", templates_dir=tmp_path / "templates")


# --- the command line -------------------------------------------------------------------------------------


@pytest.mark.slow
@SQLITE_ONLY
def test_report_command_end_to_end(database_url: str, tmp_path: Path) -> None:
    env = {"DRAWWATCH_DATABASE_URL": database_url, "DRAWWATCH_FEED_URL": feed_path(437).as_uri()}
    checked = drawwatch("check", "--json", "--no-deliver", env=env)
    assert checked.code == 0, checked.stderr

    out = tmp_path / "public" / "ee"
    run = drawwatch("report", "--out", str(out), "--crs", "470", env=env)
    assert run.code == 0, run.stderr
    assert run.stdout.startswith(f"Wrote the report of 438 rounds to {out}: index.html, 15 category page(s)")
    listed = drawwatch("draws", "list", "--json", "--limit", "0", env=env)
    assert json.loads((out / "rounds.json").read_text()) == listed.json()
    check_atom(out / "feed.atom")
    assert 'id="chart-pool"' in (out / "index.html").read_text()

    bad = drawwatch("report", "--out", str(out), "--crs", "1300", env=env)
    assert bad.code == 2 and "1300" in bad.stderr
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    clash = drawwatch("report", "--out", str(blocked / "site"), env=env)
    assert clash.code == 2 and clash.stderr.startswith("error: cannot write the report to"), clash.stderr


def test_report_command_reports_a_broken_template(tmp_path: Path) -> None:
    (tmp_path / "templates" / "report").mkdir(parents=True)
    (tmp_path / "templates" / "report" / "feed.atom.j2").write_text("{% for %}")
    env = {
        "DRAWWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'dw.db'}",
        "DRAWWATCH_TEMPLATES_DIR": str(tmp_path / "templates"),
    }
    assert drawwatch("db", "upgrade", env=env).code == 0  # the database exists: stderr is the report's alone
    run = drawwatch("report", "--out", str(tmp_path / "site"), env=env)
    assert run.code == 2
    assert run.stderr.startswith("error: template report/feed.atom.j2") and "line 1" in run.stderr, run.stderr


def test_csv_export_quotes_what_needs_quoting(sqlite_engine: Engine, tmp_path: Path) -> None:
    write_report(sqlite_engine, tmp_path)
    raw = (tmp_path / "rounds.csv").read_bytes()
    assert raw.startswith(b"number,date,name,category,crs,invitations,tie_break\r\n")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    names = {row[2] for row in rows[1:]}
    assert "Healthcare and Social Services Occupations, 2026-Version 3" in names  # a comma, quoted
