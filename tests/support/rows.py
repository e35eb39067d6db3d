"""Stored rows for storage and delivery tests: rounds, subscribers, and a whole feed copy stored the way a
check stores it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from drawwatch.domain.clock import utcnow
from drawwatch.scrapers.feed import parse_feed
from drawwatch.storage.checks import finish_check, start_check
from drawwatch.storage.db import session_scope
from drawwatch.storage.migrate import init_schema
from drawwatch.storage.models import Round
from drawwatch.storage.rounds import sync_rounds
from drawwatch.storage.subscribers import SubscriberInput, add_subscriber
from tests.support.databases import open_engine
from tests.support.feeds import feed_bytes, feed_path
from tests.support.times import TIE_BREAK, TIE_TEXT

# Channels nothing listens on (port 9, discard): for rows that are queued but never sent.
URL_A = "json://127.0.0.1:9/a"
URL_B = "json://127.0.0.1:9/b"


def new_round(session: Session, number: str = "500", **overrides: Any) -> Round:
    """A stored, non-baseline STEM round at 480 first seen an hour from now (after every subscriber)."""
    fields: dict[str, Any] = {
        "number": number,
        "number_int": int(number),
        "date": date(2026, 3, 4),
        "name": "For STEM occupations (2026-Version 1)",
        "category": "stem",
        "list_version": "2026-Version 1",
        "invitations": 4000,
        "crs": 480,
        "tie_break": TIE_BREAK,
        "tie_break_raw": TIE_TEXT,
        "url": f"https://www.canada.ca/en/immigration-refugees-citizenship/round-{number}.html",
        "first_seen_at": utcnow() + timedelta(hours=1),
    }
    fields.update(overrides)
    round_ = Round(**fields)
    session.add(round_)
    session.flush()
    return round_


def subscriber_input(name: str = "Ana", **overrides: Any) -> SubscriberInput:
    """A STEM subscriber at CRS 500 with one channel (``URL_A``), unless ``overrides`` say otherwise."""
    fields: dict[str, Any] = {"name": name, "crs": 500, "categories": ["stem"], "urls": [URL_A]}
    fields.update(overrides)
    return SubscriberInput(**fields)


def new_subscriber(session: Session, name: str = "Ana", **overrides: Any) -> int:
    """A stored :func:`subscriber_input`; its id."""
    subscriber = add_subscriber(session, subscriber_input(name, **overrides))
    assert subscriber.id is not None
    return subscriber.id


def general_round(day: date, cut_off: int) -> Round:
    """An unsaved general round on ``day`` at ``cut_off``, first seen a day from now (after every
    subscriber): what ``matches`` is asked about."""
    return Round(
        number="900",
        number_int=900,
        date=day,
        name="No Program Specified",
        category="general",
        invitations=1000,
        crs=cut_off,
        url="https://example.org",
        first_seen_at=utcnow() + timedelta(days=1),
    )


def ingest(engine: Engine, copy: int | str) -> None:
    """Store one real feed copy the way a check does (schema, check row, sync, finish)."""
    init_schema(engine)
    feed = parse_feed(feed_bytes(copy))
    with session_scope(engine) as session:
        check = start_check(session, feed_path(copy).as_uri())
        result = sync_rounds(session, feed.rounds, check=check)
        finish_check(session, check, outcome="ok", rounds_in_feed=len(feed.rounds), new_count=len(result.new))


@contextmanager
def ingested(directory: Path, copy: int | str = 437) -> Iterator[Engine]:
    """A SQLite database in ``directory`` holding a real feed copy's rounds, as after a first check."""
    with open_engine(f"sqlite:///{directory / 'drawwatch.db'}") as engine:
        ingest(engine, copy)
        yield engine


# A subscribers file as an operator writes one: three people, one with two channels (imports, progress).
PEOPLE_CSV = """name,crs,categories,urls,submitted_at
Ana,480,stem,json://127.0.0.1:9/ana,2026-03-01T18:34:05Z
Bo,470,cec pnp,json://127.0.0.1:9/bo mailto://bo:pw@example.org,
Cy,455,,json://127.0.0.1:9/cy,
"""
