"""Migration 0005 (robots_txt, robots.txt kept between checks) on SQLite and PostgreSQL: existing rows kept,
the new table usable, no drift from the models, and back down to 0004."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from drawwatch.storage import migrate
from drawwatch.storage.db import session_scope
from drawwatch.storage.robots import save_robots, stored_robots
from tests.support.databases import open_engine


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    with open_engine(database_url) as engine:
        yield engine


def test_0005_keeps_every_feed_state_and_check_row_and_stores_robots_txt(engine: Engine) -> None:
    migrate.upgrade(engine, "0004")
    with engine.begin() as conn:
        for statement in (
            "INSERT INTO check_run (started_at, outcome, baseline, feed_url, new_count, changed_count, "
            "skipped_count) VALUES ('2026-01-01', 'ok', true, 'u', 1, 0, 0)",
            "INSERT INTO feed_state (feed_url, etag, last_modified, content_hash, last_checked_at, "
            "consecutive_failures) VALUES ('u', 'e', 'lm', 'h', '2026-01-01', 2)",
        ):
            conn.exec_driver_sql(statement)

    migrate.upgrade(engine)

    assert migrate.current(engine) == migrate.head()  # 0005, and any later revision on top
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM check_run").scalar() == 1
        state = conn.exec_driver_sql(
            "SELECT etag, last_modified, content_hash, consecutive_failures FROM feed_state"
        ).one()
        assert tuple(state) == ("e", "lm", "h", 2)
        assert conn.exec_driver_sql("SELECT count(*) FROM robots_txt").scalar() == 0
    assert migrate.check(engine) == []

    fetched = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)
    body = b"User-agent: *\nDisallow: /x\n\x00\xff"  # bytes as received, not text
    with session_scope(engine) as session:
        save_robots(
            session,
            "https://a/robots.txt",
            status=200,
            body=body,
            etag='"1"',
            last_modified=None,
            fetched_at=fetched,
        )
    with session_scope(engine) as session:  # an upsert: the next copy replaces it
        save_robots(
            session,
            "https://a/robots.txt",
            status=404,
            body=b"",
            etag=None,
            last_modified="lm",
            fetched_at=fetched,
        )
        save_robots(
            session,
            "https://b/robots.txt",
            status=200,
            body=body,
            etag='"2"',
            last_modified=None,
            fetched_at=fetched,
        )
    with session_scope(engine) as session:
        copies = {c.url: c for c in stored_robots(session)}
    assert (copies["https://a/robots.txt"].status, copies["https://a/robots.txt"].body) == (404, b"")
    assert copies["https://a/robots.txt"].last_modified == "lm"
    assert copies["https://b/robots.txt"].body == body
    assert copies["https://b/robots.txt"].fetched_at == fetched  # timezone-aware UTC, both databases

    from alembic import command

    with migrate.migration_connection(engine) as connection:
        command.downgrade(migrate._alembic_config(connection), "0004")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM feed_state").scalar() == 1
        assert conn.exec_driver_sql("SELECT count(*) FROM check_run").scalar() == 1
