"""Every real English copy of IRCC's feed (2022–2026) ingests completely into the database."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from drawwatch.scrapers.feed import parse_feed
from drawwatch.storage.checks import finish_check, start_check
from drawwatch.storage.db import session_scope
from drawwatch.storage.models import Round
from drawwatch.storage.rounds import sync_rounds
from tests.support.databases import open_engine
from tests.support.feeds import FEED_COPIES, feed_bytes, feed_rounds


@pytest.mark.parametrize("copy", list(FEED_COPIES))
def test_copy_ingests_completely(copy: int | str, database_url: str) -> None:
    in_file = len(feed_rounds(copy))
    parsed = parse_feed(feed_bytes(copy))
    with open_engine(database_url, schema=True) as engine:
        with session_scope(engine) as session:
            check = start_check(session, "copy")
            result = sync_rounds(session, parsed.rounds, check=check)
            finish_check(session, check, outcome="ok")
        with session_scope(engine) as session:
            stored = session.exec(select(func.count()).select_from(Round)).one()
            unknown = session.exec(select(Round.number).where(Round.category == "other")).all()
    assert parsed.rejected == []
    assert len(result.new) == stored == in_file
    assert unknown == []
