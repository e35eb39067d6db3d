"""Test databases: the PostgreSQL server the suite may use, engines on a test database, counting rows.

PostgreSQL: ``DRAWWATCH_TEST_PG_URL`` names a server database used only to create a private database per test
session (the ``pg_server_url`` fixture), so parallel runs never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select

PG_ADMIN_URL = os.environ.get("DRAWWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def libpq_url(url: str) -> str:
    """A SQLAlchemy ``postgresql+psycopg://`` URL as psycopg itself takes it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def pg_unavailable_reason() -> str | None:
    """Why the PostgreSQL tests cannot run (the reason they skip with), or None when the server answers."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install -e '.[test]')"
    try:
        with psycopg.connect(libpq_url(PG_ADMIN_URL), connect_timeout=3):
            return None
    except Exception as exc:  # any failure means: no usable server
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {str(exc).splitlines()[0]}"


def create_private_pg_database() -> str:
    """Create an empty database of this process on the server; its URL (drop it with :func:`drop_pg_database`)."""
    import psycopg

    name = f"drawwatch_t_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(libpq_url(PG_ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def drop_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(libpq_url(PG_ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def reset_pg_schema(url: str) -> None:
    """Empty a PostgreSQL test database: no tables, no alembic_version."""
    import psycopg

    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def empty_pg_rows(url: str) -> bool:
    """Empty every table of a PostgreSQL test database that holds exactly drawwatch's newest schema (the one
    the last test left), keeping the schema: much quicker than dropping it and migrating again. False (and
    nothing done) when the schema is anything else: then the caller resets it and migrates."""
    import psycopg

    from drawwatch.storage.migrate import VERSION_TABLE, script_heads
    from drawwatch.storage.models import SQLModel

    wanted = {table.name for table in SQLModel.metadata.sorted_tables} | {VERSION_TABLE}
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        tables = {
            row[0]
            for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
        }
        if tables != wanted:
            return False
        versions = {row[0] for row in conn.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchall()}
        others = conn.execute(  # views, sequences of its own, types: a test made them; start clean
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm', 'f')"
        ).fetchone()
        if versions != set(script_heads()) or (others is not None and others[0]):
            return False
        names = ", ".join(f'"{name}"' for name in sorted(wanted - {VERSION_TABLE}))
        conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    return True


@contextmanager
def open_engine(url: str, *, schema: bool = False) -> Iterator[Engine]:
    """An engine on ``url`` for the ``with`` block, disposed afterwards; ``schema`` creates drawwatch's first."""
    # drawwatch is imported when an engine is made, not with this module: conftest.py imports it.
    from drawwatch.storage.db import make_engine
    from drawwatch.storage.migrate import init_schema

    engine = make_engine(url)
    try:
        if schema:
            init_schema(engine)
        yield engine
    finally:
        engine.dispose()


def count_rows(engine: Engine, model: type[Any], *where: Any) -> int:
    """How many rows of ``model`` match ``where`` (all of them without it)."""
    from drawwatch.storage.db import session_scope

    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


# For an end-to-end test whose subject does not depend on the database (HTTP, the daemon's signals, the
# command line's output): it runs on SQLite only, because the storage it goes through is tested on both
# databases by faster tests in tests/storage. Tests of concurrency or dialect-specific SQL keep both.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@contextmanager
def sqlite_write_lock(path: Any) -> Iterator[Any]:
    """Hold SQLite's write lock on the database file ``path`` from a connection of its own (as another
    process would) for the ``with`` block; yields the ``sqlite3`` connection (``rollback()`` frees it early)."""
    import sqlite3

    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        yield holder
    finally:
        if holder.in_transaction:
            holder.rollback()
        holder.close()
