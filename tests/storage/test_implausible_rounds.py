"""Implausible values in a real check: the real command line against the local feed server serving a real
copy of IRCC's feed with implausible values in it, on SQLite and PostgreSQL (issue 16, point 3).

The round that carries one is held back with a clear message and no traceback, the other rounds are stored
and alerted as usual, nothing stored is overwritten, and the next check of the good feed stores the round.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import col, select

from drawwatch.storage.db import session_scope
from drawwatch.storage.models import Alert, Round, RoundChange
from tests.support.commands import Run, drawwatch
from tests.support.databases import count_rows, open_engine
from tests.support.feed_server import FeedServer
from tests.support.feeds import ROUNDS_PAGE, feed_bytes, feed_document, feed_rounds
from tests.support.implausible import HELD_BACK, OFF_SITE_FIELDS, Implausible, body_with, edit, label
from tests.support.rows import ingest, new_subscriber

pytestmark = pytest.mark.slow

# The values that broke a check in the fault campaign: a traceback on PostgreSQL, mojibake, a refused feed.
CAMPAIGN = {"date-2099-full-only", "name-nul", "name-not-utf8", "number-4e9-json", "number-5000-digits"}


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


def check(server: FeedServer, database_url: str, body: bytes, **env: str) -> Run:
    """Serve ``body`` and run ``drawwatch check --json --no-deliver``; the run, which must not have failed."""
    server.serve(body)
    run = drawwatch(
        "check",
        "--json",
        "--no-deliver",
        env={"DRAWWATCH_DATABASE_URL": database_url, "DRAWWATCH_FEED_URL": server.url, **env},
    )
    assert run.code == 0, (run.stdout[-2000:], run.stderr[-2000:])
    assert "Traceback" not in run.stderr
    return run


def stored(database_url: str) -> dict[str, tuple[Any, ...]]:
    """Every stored round by number: what an alert says about it, and when it was last written."""
    with open_engine(database_url) as engine, session_scope(engine) as session:
        return {r.number: (r.date, r.name, r.crs, r.url, r.updated_at) for r in session.exec(select(Round))}


def alerted(database_url: str) -> list[str]:
    """The numbers of the rounds with a queued alert."""
    with open_engine(database_url) as engine, session_scope(engine) as session:
        stmt = select(Round.number).join(Alert, col(Alert.draw_id) == col(Round.id)).order_by(Round.number)
        return list(session.exec(stmt))


def seeded(database_url: str, copy: int) -> None:
    """The database after checks of copy ``copy``, with a CEC subscriber whom round #436 (CEC, 523) alerts."""
    with open_engine(database_url) as engine:
        ingest(engine, copy)
        with session_scope(engine) as session:
            new_subscriber(session, "Ana", crs=600, categories=["cec"])


@pytest.mark.parametrize("case", [c for c in HELD_BACK if c.id in CAMPAIGN], ids=lambda c: c.id)
def test_one_implausible_new_round_is_held_back_and_the_rest_stored(
    case: Implausible, server: FeedServer, database_url: str
) -> None:
    seeded(database_url, 434)
    first = check(server, database_url, body_with(feed_document(437), "436", case.fields))
    summary = first.json()
    reason = f"{label(case, '436')}: {case.reason}"
    assert [r[: len(reason)] for r in summary["skipped_rounds"]] == [reason]
    assert reason in first.stderr  # the operator is told, in one line
    assert {r["number"] for r in summary["new_rounds"]} == {"435", "437"}
    rounds = stored(database_url)
    assert "436" not in rounds and {"435", "437"} <= set(rounds)
    assert len(rounds) == len(feed_rounds(437)) - 1
    assert alerted(database_url) == []  # nobody is told about a round that was held back

    # The next check, of the good feed, is unaffected: #436 is stored and alerted as if nothing had happened.
    second = check(server, database_url, feed_bytes(437))
    assert [r["number"] for r in second.json()["new_rounds"]] == ["436"]
    assert second.json()["skipped_rounds"] == []
    after = stored(database_url)
    assert after["436"][:4] == (
        dt.date(2026, 8, 18),
        "Canadian Experience Class",
        523,
        f"{ROUNDS_PAGE}invitations.html?q=436",
    )
    assert {n: v for n, v in after.items() if n != "436"} == rounds
    assert alerted(database_url) == ["436"]


def test_every_implausible_value_at_once(server: FeedServer, database_url: str) -> None:
    # Rounds 412.. of copy 437 each carry one value of the table, #411 all off-site links; the rest is real.
    seeded(database_url, 411)
    cases = {str(412 + i): case for i, case in enumerate(HELD_BACK)}
    document = feed_document(437)
    for number, case in cases.items():
        edit(document, number, case.fields)
    body = body_with(document, "411", OFF_SITE_FIELDS)
    before = stored(database_url)
    allow = {"DRAWWATCH_MAX_REJECTED": str(len(cases)), "DRAWWATCH_MAX_NEW_ROUNDS": "100"}

    summary = check(server, database_url, body, **allow).json()
    reasons = [f"{label(case, number)}: {case.reason}" for number, case in cases.items()]
    for got, want in zip(summary["skipped_rounds"], reversed(reasons), strict=True):  # newest first
        assert got.startswith(want), (got[:200], want)
    kept = {str(n) for n in range(412 + len(cases), 438)}
    assert {r["number"] for r in summary["new_rounds"]} == kept
    rounds = stored(database_url)
    assert set(rounds) == set(before) | kept
    # #411 was stored before: its off-site link is no correction (and would never be stored).
    assert rounds["411"] == before["411"] and rounds["411"][3] == f"{ROUNDS_PAGE}invitations.html?q=411"
    assert all(url.startswith("https://www.canada.ca/") for *_, url, _ in rounds.values())
    with open_engine(database_url) as engine:
        assert count_rows(engine, RoundChange) == 0

    summary = check(server, database_url, feed_bytes(437), **allow).json()
    assert sorted(r["number"] for r in summary["new_rounds"]) == sorted(cases)
    assert len(stored(database_url)) == len(feed_rounds(437))


@pytest.mark.parametrize("number", ["437", "436"])  # the newest stored round, and one before it
def test_a_stored_round_is_not_corrected_to_2036(number: str, server: FeedServer, database_url: str) -> None:
    seeded(database_url, 437)
    before = stored(database_url)
    corrected = {"drawDate": "2036-08-19", "drawDateFull": "August 19, 2036"}

    summary = check(server, database_url, body_with(feed_document(437), number, corrected)).json()
    assert summary["skipped_rounds"][0].startswith(f"round {number}: date 2036-08-19 is more than 2 days")
    assert summary["changed_rounds"] == {} and summary["new_rounds"] == []
    assert stored(database_url) == before
    with open_engine(database_url) as engine:
        assert count_rows(engine, RoundChange) == 0
        assert count_rows(engine, Alert) == 0

    again = check(server, database_url, feed_bytes(437)).json()
    assert again["skipped_rounds"] == [] and again["changed_rounds"] == {}
    assert stored(database_url) == before
