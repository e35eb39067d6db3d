"""Check runs, feed state, and the engine/session plumbing they rely on. SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from drawwatch.domain.clock import utcnow
from drawwatch.domain.errors import StorageError
from drawwatch.storage.checks import (
    finish_check,
    get_feed_state,
    last_checks,
    last_successful_check,
    record_feed_failure,
    record_feed_success,
    start_check,
)
from drawwatch.storage.db import make_engine, session_scope
from drawwatch.storage.migrate import init_schema
from drawwatch.storage.models import CheckRun, FeedState, RoundChange
from tests.support.feeds import FEED_URL


def run_check(engine: Engine, outcome: str | None) -> CheckRun:
    """A committed check that ended with ``outcome`` (None: still running)."""
    with session_scope(engine) as session:
        check = start_check(session, FEED_URL)
        if outcome is not None:
            finish_check(session, check, outcome=outcome)
        return check


# --- checks --------------------------------------------------------------------------------------------


def test_the_first_check_is_a_flushed_running_baseline(engine: Engine) -> None:
    with session_scope(engine) as session:
        check = start_check(session, FEED_URL)
        assert check.id is not None  # flushed: rounds can reference it
        assert (check.outcome, check.baseline, check.finished_at) == ("running", True, None)
        assert check.started_at.utcoffset() == timedelta(0)
    with Session(engine) as session:
        stored = session.get_one(CheckRun, check.id)
        assert (stored.outcome, stored.baseline, stored.feed_url) == ("running", True, FEED_URL)
        assert (stored.new_count, stored.changed_count, stored.skipped_count) == (0, 0, 0)


@pytest.mark.parametrize("success", ["ok", "unchanged", "not_modified"])
def test_checks_stay_baseline_until_one_succeeds(engine: Engine, success: str) -> None:
    assert run_check(engine, "failed").baseline
    assert run_check(engine, None).baseline  # crashed while running: proves nothing
    assert run_check(engine, success).baseline  # itself still baseline: nothing had succeeded before it
    assert not run_check(engine, "failed").baseline
    assert not run_check(engine, "ok").baseline


def test_finish_check_records_outcome_and_counts(engine: Engine) -> None:
    with session_scope(engine) as session:
        check = start_check(session, FEED_URL)
        finish_check(
            session,
            check,
            outcome="failed",
            http_status=503,
            bytes_received=1234,
            rounds_in_feed=None,
            skipped_count=2,
            error="HTTP 503 from https://www.canada.ca/…",
        )
    with Session(engine) as session:
        stored = session.get_one(CheckRun, check.id)
        assert (stored.outcome, stored.http_status, stored.bytes_received) == ("failed", 503, 1234)
        assert (stored.skipped_count, stored.error) == (2, "HTTP 503 from https://www.canada.ca/…")
        assert stored.finished_at is not None and stored.finished_at >= stored.started_at


@pytest.mark.parametrize("outcome", ["running", "success", ""])
def test_finish_check_refuses_unknown_outcomes(engine: Engine, outcome: str) -> None:
    with session_scope(engine) as session:
        check = start_check(session, FEED_URL)
        with pytest.raises(ValueError, match="a check ends with one of"):
            finish_check(session, check, outcome=outcome)


def test_last_checks_and_last_successful_check(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert last_checks(session, 5) == [] and last_successful_check(session) is None
    ids = [run_check(engine, outcome).id for outcome in ("ok", "unchanged", "failed", None)]
    with session_scope(engine) as session:
        assert [c.id for c in last_checks(session, 3)] == ids[::-1][:3]
        assert [c.outcome for c in last_checks(session, 10)] == ["running", "failed", "unchanged", "ok"]
        success = last_successful_check(session)
        assert success is not None and success.id == ids[1]


# --- feed state ----------------------------------------------------------------------------------------


def test_feed_failures_count_up_and_a_success_resets_them(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert get_feed_state(session, FEED_URL) is None
        assert record_feed_failure(session, FEED_URL) == 1
    with session_scope(engine) as session:
        assert record_feed_failure(session, FEED_URL) == 2
        state = get_feed_state(session, FEED_URL)
        assert state is not None
        assert (state.consecutive_failures, state.last_success_at, state.etag) == (2, None, None)
        assert state.last_checked_at.utcoffset() == timedelta(0)

    with session_scope(engine) as session:
        state = record_feed_success(
            session,
            FEED_URL,
            etag='"abc"',
            last_modified="Wed, 19 Aug 2026 20:00:00 GMT",
            content_hash="f" * 64,
            rounds_in_feed=438,
        )
        assert state.consecutive_failures == 0
    with Session(engine) as session:
        state = session.get_one(FeedState, FEED_URL)
        assert (state.etag, state.content_hash, state.rounds_in_feed) == ('"abc"', "f" * 64, 438)
        assert state.last_modified == "Wed, 19 Aug 2026 20:00:00 GMT"
        assert state.last_success_at is not None and state.last_success_at.utcoffset() == timedelta(0)
        assert state.last_success_at == state.last_checked_at
        succeeded_at = state.last_success_at

    with session_scope(engine) as session:
        assert record_feed_failure(session, FEED_URL) == 1  # a new streak; validators are kept
        state = get_feed_state(session, FEED_URL)
        assert state is not None and state.etag == '"abc"' and state.last_success_at == succeeded_at
        assert state.last_checked_at > succeeded_at
        record_feed_success(
            session, FEED_URL, etag=None, last_modified=None, content_hash="0" * 64, rounds_in_feed=439
        )
        state = get_feed_state(session, FEED_URL)
        assert state is not None
        assert (state.etag, state.rounds_in_feed, state.consecutive_failures) == (None, 439, 0)
        assert record_feed_failure(session, "file:///elsewhere.json") == 1  # per URL
    with session_scope(engine) as session:
        assert len(session.exec(select(FeedState)).all()) == 2


# --- engine and sessions -------------------------------------------------------------------------------


def test_session_scope_commits_on_success_and_rolls_back_on_error(engine: Engine) -> None:
    with session_scope(engine) as session:
        kept = start_check(session, FEED_URL)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        start_check(session, FEED_URL)
        raise RuntimeError("boom")
    with session_scope(engine) as session:
        assert [c.id for c in session.exec(select(CheckRun))] == [kept.id]
    assert kept.feed_url == FEED_URL  # still readable after the block (expire_on_commit=False)


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(RoundChange(draw_id=999, field="crs", old_value="1", new_value="2", changed_at=utcnow()))
        session.flush()


def test_sqlite_engine_creates_the_directory_and_sets_its_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "drawwatch.db"
    engine = make_engine(f"sqlite:///{path}", create_dir=True)  # as for the default location
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10000
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert path.exists()
    finally:
        engine.dispose()


def test_sqlite_engine_works_in_memory_and_across_threads() -> None:
    engine = make_engine("sqlite://")
    init_schema(engine)
    with session_scope(engine) as session:
        assert start_check(session, FEED_URL).baseline
    assert sqlite3.sqlite_version_info >= (3, 35)


def test_postgres_engine_pings_its_pool(pg_server_url: str) -> None:
    engine = make_engine(pg_server_url)
    try:
        assert engine.pool._pre_ping  # type: ignore[attr-defined]
        assert engine.dialect.driver == "psycopg"
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
    plain = make_engine(pg_server_url.replace("postgresql+psycopg://", "postgresql://"))
    assert plain.dialect.driver == "psycopg"
    plain.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "mysql://admin:s3cret-pw@db.example.org/drawwatch",
        "postgresql+psycopg2://admin:s3cret-pw@db.example.org/drawwatch",
        "sqlite+aiosqlite:///data.db",
        "postgresql+psycopg://admin:s3cret-pw@db.example.org:notaport/drawwatch",
        "admin:s3cret-pw@db.example.org/drawwatch",
        "not a url",
        "",
    ],
)
def test_bad_database_urls_fail_clearly_without_their_password(url: str) -> None:
    with pytest.raises(StorageError) as caught:
        make_engine(url)
    message = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert "database URL" in message
    assert "s3cret" not in message and "s3cret" not in repr(caught.value)
    assert "s3cret" not in str(caught.value.__cause__) and "s3cret" not in str(caught.value.__context__)
    if "@" in url:
        assert "***" in message and "db.example.org" in message
