"""A database that cannot be used (locked by another process, disk full, server unreachable) is one line
that names the problem, never a traceback or SQL; a check that meets it still records its failure when the
lock goes within the busy timeout; and a new SQLite file is readable by its owner only.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import select

from drawwatch.app.check import _begin, _store
from drawwatch.cli.base import DatabaseTrouble
from drawwatch.config import Settings
from drawwatch.scrapers.feed import parse_feed
from drawwatch.scrapers.fetch import FetchResult
from drawwatch.storage import db
from drawwatch.storage.db import DATABASE_TROUBLE_EXIT, describe_database_error, make_engine
from drawwatch.storage.models import CheckRun, FeedState, Round
from tests.support.databases import count_rows, open_engine, sqlite_write_lock
from tests.support.disks import fill, small_tmpfs
from tests.support.feeds import feed_bytes
from tests.support.ports import closed_port

FEED = "http://127.0.0.1:9/ee_rounds_123_en.json"
BUSY_MS = 100
# SQL and parameters SQLAlchemy puts in str(error): none of it may reach a message.
STATEMENT = "INSERT INTO subscriber_channel (url) VALUES (?)"
PARAMS = ("tgram://987654321:AAE-secret-token/1",)


@pytest.fixture
def short_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Engines made after this wait 0.1 s for a lock instead of 10 s."""
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", BUSY_MS)


@pytest.fixture
def schema_db(tmp_path: Path, short_busy: None) -> Iterator[tuple[Path, Engine]]:
    path = tmp_path / "drawwatch.db"
    with open_engine(f"sqlite:///{path}", schema=True) as engine:
        yield path, engine


def sqlite_error(message: str, kind: type[Exception] = OperationalError) -> Exception:
    return kind(STATEMENT, PARAMS, sqlite3.OperationalError(message))


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("database is locked", "the database is locked by another process (waited 0.1 s): /d/drawwatch.db"),
        ("database or disk is full", "the disk holding the database is full: /d/drawwatch.db"),
        ("disk I/O error", "disk I/O error on the database (is its disk full or failing?): /d/drawwatch.db"),
        ("unable to open database file", "cannot open the database file: /d/drawwatch.db"),
        (
            "attempt to write a readonly database",
            "the database is read-only for this user (check its permissions): /d/drawwatch.db",
        ),
        ("file is not a database", "the database file is damaged or not a SQLite database: /d/drawwatch.db"),
        ("no such table: draw", None),  # not trouble with the database itself: a bug, handled as before
    ],
)
def test_sqlite_trouble_is_one_line_naming_the_file(
    short_busy: None, message: str, expected: str | None
) -> None:
    line = describe_database_error(sqlite_error(message), "sqlite:////d/drawwatch.db")
    assert line == expected


def test_a_constraint_is_no_database_trouble() -> None:
    error = sqlite_error("UNIQUE constraint failed: draw.number", IntegrityError)
    assert describe_database_error(error, "sqlite:////d/drawwatch.db") is None


def test_a_real_lock_is_reported_after_the_busy_timeout(schema_db: tuple[Path, Engine]) -> None:
    path, engine = schema_db
    with sqlite_write_lock(path), pytest.raises(OperationalError) as caught, engine.begin() as conn:
        conn.execute(text("DELETE FROM draw"))
    line = describe_database_error(caught.value, engine.url)
    assert line == f"the database is locked by another process (waited 0.1 s): {path}"


def test_an_unreachable_postgresql_names_the_host_and_hides_the_password() -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql+psycopg://drawwatch:s3cret-pw@127.0.0.1:{closed_port()}/drawwatch"
    engine = make_engine(url)
    try:
        with pytest.raises(OperationalError) as caught, engine.connect():
            pass
    finally:
        engine.dispose()
    line = describe_database_error(caught.value, engine.url)
    assert line is not None and "\n" not in line
    assert line.startswith("cannot use the database postgresql+psycopg://drawwatch:***@127.0.0.1:")
    assert "refused" in line.lower() and "s3cret-pw" not in line


def test_the_command_line_exit_code_is_the_storage_one() -> None:
    assert DatabaseTrouble.exit_code == DATABASE_TROUBLE_EXIT == 3


def release_on_first_error(engine: Engine, holder: sqlite3.Connection) -> None:
    """The other process commits just as drawwatch gives up: the next write (recording the failure) works."""

    def release(_context: Any) -> None:
        if holder.in_transaction:
            holder.rollback()

    event.listen(engine, "handle_error", release)


@pytest.mark.parametrize(
    ("released", "recorded_outcome", "suffix"),
    [
        (True, "failed", ""),  # the lock went within the busy timeout of recording: the failure is kept
        (False, "running", "; this failed check could not be recorded either"),
    ],
)
def test_a_check_under_a_lock_fails_with_one_line_and_records_it_when_it_can(
    schema_db: tuple[Path, Engine],
    caplog: pytest.LogCaptureFixture,
    released: bool,
    recorded_outcome: str,
    suffix: str,
) -> None:
    path, engine = schema_db
    parsed = parse_feed(feed_bytes(434))
    result = FetchResult(url=FEED, status=200, rounds=parsed.rounds, rejected=parsed.rejected)
    check_id, _, _ = _begin(engine, FEED)
    caplog.set_level(logging.DEBUG, logger="drawwatch")
    with sqlite_write_lock(path) as holder:
        if released:
            release_on_first_error(engine, holder)
        summary = _store(engine, Settings(database_url=f"sqlite:///{path}"), check_id, result, None)

    line = f"the database is locked by another process (waited 0.1 s): {path}"
    assert summary.error == line + suffix
    assert (summary.outcome, summary.database_error, summary.exit_code) == ("failed", True, 3)
    assert count_rows(engine, Round) == 0  # nothing of the check was stored
    # The traceback, with its SQL, is logged at DEBUG only.
    assert [r.levelno for r in caplog.records if r.exc_info] == [logging.DEBUG] * (1 if released else 2)
    with engine.connect() as conn:
        check = conn.execute(select(CheckRun.outcome, CheckRun.error).where(CheckRun.id == check_id)).one()
        failures = conn.execute(select(FeedState.consecutive_failures)).scalar()
    assert check.outcome == recorded_outcome
    assert check.error == (line if released else None)
    assert failures == (1 if released else None)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, under which SQLite alone would make the file 0644."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.parametrize(
    ("layout", "file_mode", "dir_mode"),
    [
        ("new directory", 0o600, 0o700),
        ("existing directory", 0o600, 0o755),  # the operator's directory is left as it is
        ("existing file", 0o644, 0o755),  # and so is an existing database
    ],
)
def test_new_database_files_are_private(
    tmp_path: Path, umask_022: None, layout: str, file_mode: int, dir_mode: int
) -> None:
    folder = tmp_path / "data" / "drawwatch"
    path = folder / "drawwatch.db"
    if layout != "new directory":
        folder.mkdir(parents=True, mode=0o755)
    if layout == "existing file":
        sqlite3.connect(path).close()
        path.chmod(0o644)
    engine = make_engine(f"sqlite:///{path}", create_dir=True)
    try:
        with engine.begin() as conn:  # a write: SQLite makes its -wal and -shm files now
            conn.execute(text("CREATE TABLE t (x)"))
            sidecars = [Path(f"{path}-wal"), Path(f"{path}-shm")]
            assert [mode(p) for p in (path, *sidecars)] == [file_mode] * 3
    finally:
        engine.dispose()
    assert mode(folder) == dir_mode


def test_a_check_that_fills_the_disk_while_storing_says_so_and_loses_nothing(
    tmp_path: Path, short_busy: None
) -> None:
    parsed = parse_feed(feed_bytes(434))
    result = FetchResult(url=FEED, status=200, rounds=parsed.rounds, rejected=parsed.rejected)
    with small_tmpfs(tmp_path / "small-disk") as disk:
        path = disk / "drawwatch.db"
        with open_engine(f"sqlite:///{path}", schema=True) as engine:
            settings = Settings(database_url=f"sqlite:///{path}")
            check_id, _, _ = _begin(engine, FEED)
            filler = fill(disk)
            summary = _store(engine, settings, check_id, result, None)
            filler.unlink()

            assert summary.error == (
                f"the disk holding the database is full: {path}"
                "; this failed check could not be recorded either"
            )
            assert (summary.database_error, summary.exit_code) == (True, 3)
            assert count_rows(engine, Round) == 0
            # With space again, the same check stores the feed.
            assert _store(engine, settings, check_id, result, None).outcome == "ok"
            assert count_rows(engine, Round) == len(parsed.rounds)
