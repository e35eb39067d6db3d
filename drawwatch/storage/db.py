"""Engine, schema and session handling for SQLite and PostgreSQL.

Create one engine per process with :func:`make_engine` and pass it around: the SQLite settings live in a
connect event and the PostgreSQL pool is per engine, so engines built ad hoc would lose both.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlmodel import Session, create_engine

from drawwatch.domain.errors import StorageError

# How long a SQLite statement waits for another process's write lock before failing with "database is
# locked": long enough for any write drawwatch makes, short enough that a stuck lock is reported, not hung
# on. The test suite shortens it through DRAWWATCH_TEST_SQLITE_BUSY_TIMEOUT_MS (not a setting).
BUSY_TIMEOUT_VARIABLE = "DRAWWATCH_TEST_SQLITE_BUSY_TIMEOUT_MS"
SQLITE_BUSY_TIMEOUT_MS = 10_000


def busy_timeout_ms() -> int:
    """The busy timeout in force: :data:`SQLITE_BUSY_TIMEOUT_MS`, or the test suite's shorter one (read at
    each use, not at import: a process forked from one that imported this module sees its own setting)."""
    override = os.environ.get(BUSY_TIMEOUT_VARIABLE, "").strip()
    return int(override) if override.isdigit() else SQLITE_BUSY_TIMEOUT_MS


# The exit status of a command that could not use the database (locked, disk full, server unreachable):
# 1 is a failed check and 2 a usage or configuration error (README, "Using it").
DATABASE_TROUBLE_EXIT = 3
# A new SQLite file (and its -wal/-shm files, which SQLite creates with the database file's mode) holds
# subscribers' notification URLs with their tokens: only its owner may read it. So may the directory, when
# drawwatch creates it.
NEW_FILE_MODE = 0o600
NEW_DIR_MODE = 0o700
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

    SQLite gets WAL (readers never block the writer) with ``synchronous=NORMAL`` (no fsync per commit; a power
    loss may undo the last commits, never corrupt the file: see :func:`_sqlite_on_connect`), a bounded busy
    timeout (concurrent writers wait up to
    :data:`SQLITE_BUSY_TIMEOUT_MS` instead of failing at once with "database is locked"; then
    :func:`describe_database_error` says so in one line) and enforced foreign keys; a new file is created
    0600 and a directory it creates 0700. Its file's directory is created when
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
            # mode applies to the last directory only (the one named for drawwatch); existing ones stay.
            os.makedirs(path.parent, mode=NEW_DIR_MODE, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the directory for {shown!r}: {exc}") from exc
    elif path is not None and not path.parent.is_dir():
        problem = "is not a directory" if path.parent.exists() else "does not exist"
        raise StorageError(
            f"DRAWWATCH_DATABASE_URL: the directory {path.parent} of {shown!r} {problem} "
            "(check the path, or create the directory first)"
        )
    # sqlite3's own timeout covers the connect itself, before the busy_timeout pragma below runs.
    connect_args = {"check_same_thread": False, "timeout": busy_timeout_ms() / 1000}
    engine = create_engine(url, connect_args=connect_args)
    if path is not None:
        event.listen(engine, "do_connect", _private_file(path))
    event.listen(engine, "connect", _sqlite_on_connect)
    return engine


def _private_file(path: Path) -> Any:
    """A ``do_connect`` hook that creates a missing database file 0600 before SQLite would make it 0644."""

    def create(*_: Any) -> None:
        # OSError: it exists (its mode is kept), or cannot be made (SQLite then says why).
        with suppress(OSError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, NEW_FILE_MODE))

    return create


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms()}")  # first: the next one may wait
        mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()
        if mode is not None and str(mode[0]).lower() == "wal":
            # Under WAL, NORMAL syncs at checkpoints, not at every commit: the database stays consistent
            # through a crash or power loss, which can only undo the last commits. drawwatch can live with
            # that: an alert's "sent" mark undone means that alert is sent once more (with the same
            # idempotency key), never lost; a queued alert or a stored round undone is queued or stored again
            # by the next check, which compares the feed with what the database holds.
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


# Less free space than this on the database's file system makes a "disk I/O error" a full disk.
DISK_FULL_BYTES = 1 << 20
# What SQLite says (sqlite3's message) → what the operator reads; {where} is the file, {waited} the timeout.
_SQLITE_TROUBLE = (
    ("database is locked", "the database is locked by another process (waited {waited} s): {where}"),
    ("database table is locked", "the database is locked by another process (waited {waited} s): {where}"),
    ("database or disk is full", "the disk holding the database is full: {where}"),
    ("disk i/o error", "disk I/O error on the database (is its disk full or failing?): {where}"),
    ("unable to open database file", "cannot open the database file: {where}"),
    ("readonly database", "the database is read-only for this user (check its permissions): {where}"),
    ("file is not a database", "the database file is damaged or not a SQLite database: {where}"),
    ("malformed", "the database file is damaged or not a SQLite database: {where}"),
)


def describe_database_error(exc: BaseException, url: str | URL | None = None) -> str | None:
    """One line saying why the database could not be used (locked, disk full, server unreachable), or None
    when ``exc`` is no such trouble (a bug, a constraint): callers keep their handling for those.

    Never the SQL or its parameters (SQLAlchemy's ``str(exc)`` holds both); for PostgreSQL the URL without
    its password and the driver's first line, which names the host.
    """
    orig: BaseException = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    if isinstance(orig, sqlite3.Error):
        message = str(orig).lower()
        where = _where(url)
        waited = f"{busy_timeout_ms() / 1000:g}"
        if "disk i/o error" in message and _disk_full(url):
            message = "database or disk is full"  # what a WAL write that found no space often reports
        for needle, line in _SQLITE_TROUBLE:
            if needle in message:
                return line.format(where=where, waited=waited)
        return None
    if type(orig).__module__.split(".")[0] == "psycopg" and _is_operational(orig):
        first = (str(orig).strip().splitlines() or ["no answer"])[0]
        if url is None:
            return f"cannot use the PostgreSQL database: {first}"
        password = _password(url)
        if password:  # libpq does not echo it; this makes sure of it
            first = first.replace(password, "***")
        return f"cannot use the database {redact_url(url)}: {first}"
    return None


def _password(url: str | URL) -> str | None:
    try:
        password = make_url(url).password
    except (ArgumentError, ValueError, TypeError):
        return None
    return str(password) if password else None


def _is_operational(error: BaseException) -> bool:
    import psycopg

    return isinstance(error, psycopg.OperationalError)


def _disk_full(url: str | URL | None) -> bool:
    """Whether the file system holding the SQLite file has (almost) no space left."""
    path = sqlite_file(url) if url is not None else None
    try:
        return path is not None and shutil.disk_usage(path.parent).free < DISK_FULL_BYTES
    except OSError:
        return False


def _where(url: str | URL | None) -> str:
    if url is None:
        return "the SQLite database"
    path = sqlite_file(url)
    return str(path) if path is not None else redact_url(url)


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


def begin_write(session: Session | Connection) -> None:
    """Make the session's transaction a write transaction now, before it reads what it will change.

    PostgreSQL uses ``SELECT … FOR UPDATE`` for this. SQLite has no row locks, and Python's sqlite3 only
    opens a transaction at the first INSERT/UPDATE, so reads before it may be stale by the time of the
    write; ``BEGIN IMMEDIATE`` takes SQLite's single writer lock (waiting up to the busy timeout) so that
    everything read afterwards stays current until commit. A no-op when a write transaction is open.
    """
    connection = session if isinstance(session, Connection) else session.connection()
    if connection.dialect.name != "sqlite":
        return
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is not None and not dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
