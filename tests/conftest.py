"""Shared fixtures: real feed copies, and databases on SQLite and (when reachable) PostgreSQL.

PostgreSQL: ``DRAWWATCH_TEST_PG_URL`` names a server database used only to create a private database per test
session (``drawwatch_t_<pid>``), so parallel runs never see each other's rows. Tests that need it skip with the
reason when the server cannot be reached.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

FIXTURES = Path(__file__).parent / "fixtures"
PG_ADMIN_URL = os.environ.get("DRAWWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

# The real copies of IRCC's English feed (see tests/fixtures/SOURCES.md), oldest first.
FEED_COPIES = {
    229: "ee_rounds_123_en.229.reformatted.committed-2022-08-30.json",
    237: "ee_rounds_123_en.237.raw.committed-2023-01-17.json",
    238: "ee_rounds_123_en.238.raw.committed-2023-01-29.json",
    287: "ee_rounds_123_en.287.raw.committed-2024-03-06.json",
    295: "ee_rounds_123_en.295.raw.committed-2024-04-28.json",
    327: "ee_rounds_123_en.327.raw.committed-2024-11-20.json",
    411: "ee_rounds_123_en.411.raw.committed-2026-04-21.json",
    434: "ee_rounds_123_en.434.reserialized-indent2.committed-2026-08-07.json",
    "434-array": "ee_rounds_123_en.434.rounds-array-only.committed-2026-08-07.json",
    437: "ee_rounds_123_en.437.raw.committed-2026-08-19.json",
}
INVALID_COPY = "ee_rounds_123_en.336.raw-INVALID-JSON.committed-2025-02-19.json"


def feed_path(key: int | str) -> Path:
    return FIXTURES / (INVALID_COPY if key == "invalid" else FEED_COPIES[key])


def feed_bytes(key: int | str) -> bytes:
    return feed_path(key).read_bytes()


def _pg_reason() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install -e '.[test]')"
    try:
        with psycopg.connect(_libpq(PG_ADMIN_URL), connect_timeout=3):
            return None
    except Exception as exc:  # any failure means: no usable server
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {str(exc).splitlines()[0]}"


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a private, empty PostgreSQL database for this test session (dropped afterwards)."""
    reason = _pg_reason()
    if reason:
        pytest.skip(reason)
    import psycopg

    name = f"drawwatch_t_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(_libpq(PG_ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(_libpq(PG_ADMIN_URL), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL with an empty schema-less database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'drawwatch.db'}"
        return
    url = request.getfixturevalue("pg_server_url")
    _reset_pg(url)
    yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine with drawwatch's schema, on SQLite and PostgreSQL (``database_url``)."""
    from drawwatch.storage.db import make_engine
    from drawwatch.storage.migrate import init_schema

    engine = make_engine(database_url)
    init_schema(engine)
    yield engine
    engine.dispose()


def _reset_pg(url: str) -> None:
    import psycopg

    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that reaches PostgreSQL carries the ``postgres`` marker (``-m "not postgres"`` skips them)."""
    for item in items:
        if "pg_server_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
