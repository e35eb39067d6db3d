"""``sync_rounds(progress=…)``: the first check's bar, fed while the whole history is stored; on SQLite and
PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine

from drawwatch.scrapers.feed import parse_feed
from drawwatch.storage.checks import finish_check, start_check
from drawwatch.storage.db import session_scope
from drawwatch.storage.models import Round
from drawwatch.storage.rounds import PROGRESS_CHUNK, sync_rounds
from tests.support.databases import count_rows
from tests.support.feeds import feed_bytes


def sync(engine: Engine, copy: int, calls: list[tuple[int, int]] | None) -> list[str]:
    rounds = parse_feed(feed_bytes(copy)).rounds
    with session_scope(engine) as session:
        check = start_check(session, "file:///feed.json")
        progress = None if calls is None else (lambda done, total: calls.append((done, total)))
        result = sync_rounds(session, rounds, check=check, progress=progress)
        finish_check(session, check, outcome="ok")
    return result.new


def test_the_first_sync_reports_each_chunk_up_to_every_round(engine: Engine) -> None:
    calls: list[tuple[int, int]] = []

    new = sync(engine, 437, calls)

    total = len(new)
    assert total == count_rows(engine, Round) > 400
    assert calls[-1] == (total, total) and {t for _, t in calls} == {total}
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert len(calls) == -(-total // PROGRESS_CHUNK)  # one report per INSERT of PROGRESS_CHUNK rounds


def test_a_later_sync_reports_the_comparisons_and_stores_the_same_as_without(engine: Engine) -> None:
    sync(engine, 434, None)
    calls: list[tuple[int, int]] = []

    new = sync(engine, 437, calls)

    assert new and calls and calls[-1][0] == calls[-1][1] == count_rows(engine, Round)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
