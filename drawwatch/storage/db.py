"""Engine, schema and session handling for SQLite and PostgreSQL.

Create one engine per process with :func:`make_engine` and pass it around: the SQLite settings live in a
connect event and the PostgreSQL pool is per engine, so engines built ad hoc would lose both.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import Session, create_engine

from drawwatch.domain.errors import StorageError

SQLITE_BUSY_TIMEOUT_MS = 10_000
PG_CONNECT_TIMEOUT_S = 10
# ON CONFLICT … RETURNING, which every upsert here uses, needs SQLite 3.35.
MIN_SQLITE = (3, 35, 0)

_PG_ALIASES = {"postgres", "postgresql", "postgresql+psycopg"}


def redact_url(url: str | URL) -> str:
    """``url`` for messages, with any password replaced, even when it cannot be parsed."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError, TypeError):
        text = str(url)
        if "@" not in text:
            return text
        # Unparseable: keep only the scheme and what follows the last "@" (host, database).
        scheme = re.match(r"^[A-Za-z0-9+_.-]+://", text)
        return f"{scheme.group(0) if scheme else ''}***@{text.rsplit('@', 1)[1]}"


def sqlite_file(url: str | URL) -> Path | None:
    """The file a SQLite URL names; None for other databases, in-memory ones and ``file:`` URIs."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def make_engine(url: str, *, create_dir: bool | None = None) -> Engine:
    """Build the process's engine for a ``sqlite:///path`` or ``postgresql+psycopg://…`` URL.

    SQLite gets WAL (readers never block the writer), a busy timeout (concurrent writers wait instead of
    failing with "database is locked") and enforced foreign keys. Its file's directory is created when
    ``create_dir`` is true; when false, a missing directory is a :class:`StorageError` (a typo in the path
    should not quietly start an empty database somewhere else). The caller knows whether the URL is the
    default location (the user data directory, which may not exist yet) and says so; None, for callers that
    do not, means "only for :func:`drawwatch.config.default_database_url`".
    PostgreSQL gets ``pool_pre_ping`` so a daemon survives server restarts between checks.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):
        # "from None": the parser's own message could quote the URL, password included, in a traceback.
        raise StorageError(f"cannot parse database URL {redact_url(url)!r}") from None
    shown = parsed.render_as_string(hide_password=True)

    backend = parsed.get_backend_name()
    if backend == "sqlite" and parsed.get_driver_name() in ("pysqlite", ""):
        if create_dir is None:
            from drawwatch.config import default_database_url

            create_dir = sqlite_file(parsed) == sqlite_file(default_database_url())
        return _sqlite_engine(parsed, shown, create_dir=create_dir)
    if parsed.drivername in _PG_ALIASES:
        return _postgres_engine(parsed.set(drivername="postgresql+psycopg"))
    raise StorageError(
        f"unsupported database URL {shown!r}: use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
    )


def _sqlite_engine(url: URL, shown: str, *, create_dir: bool) -> Engine:
    if sqlite3.sqlite_version_info < MIN_SQLITE:
        raise StorageError(
            f"SQLite {sqlite3.sqlite_version} is too old for {shown!r}: drawwatch needs "
            f"{'.'.join(map(str, MIN_SQLITE))} or newer"
        )
    path = sqlite_file(url)
    if path is not None and create_dir:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the directory for {shown!r}: {exc}") from exc
    elif path is not None and not path.parent.is_dir():
        problem = "is not a directory" if path.parent.exists() else "does not exist"
        raise StorageError(
            f"DRAWWATCH_DATABASE_URL: the directory {path.parent} of {shown!r} {problem} "
            "(check the path, or create the directory first)"
        )
    engine = create_engine(url, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _sqlite_on_connect)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _postgres_engine(url: URL) -> Engine:
    # Without a connect timeout a one-shot check against an unreachable server hangs for minutes.
    connect_args = {} if "connect_timeout" in url.query else {"connect_timeout": PG_CONNECT_TIMEOUT_S}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit when the block succeeds, roll back when it raises.

    ``expire_on_commit=False`` keeps returned rows readable after the block, e.g. for printing.
    """
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def begin_write(session: Session) -> None:
    """Make the session's transaction a write transaction now, before it reads what it will change.

    PostgreSQL uses ``SELECT … FOR UPDATE`` for this. SQLite has no row locks, and Python's sqlite3 only
    opens a transaction at the first INSERT/UPDATE, so reads before it may be stale by the time of the
    write; ``BEGIN IMMEDIATE`` takes SQLite's single writer lock (waiting up to the busy timeout) so that
    everything read afterwards stays current until commit. A no-op when a write transaction is open.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is not None and not dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
