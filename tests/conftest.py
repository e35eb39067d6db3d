"""Shared fixtures and hooks: databases on SQLite and (when reachable) PostgreSQL. What tests import lives in
``tests/support``.

PostgreSQL: ``DRAWWATCH_TEST_PG_URL`` names a server database used only to create a private database per test
session (``drawwatch_t_<pid>``), so parallel runs never see each other's rows. Tests that need it skip with the
reason when the server cannot be reached.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.support.databases import (
    create_private_pg_database,
    drop_pg_database,
    empty_pg_rows,
    open_engine,
    pg_unavailable_reason,
    reset_pg_schema,
)


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a private, empty PostgreSQL database for this test session (dropped afterwards)."""
    reason = pg_unavailable_reason()
    if reason:
        pytest.skip(reason)
    url = create_private_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL with an empty schema-less database, once on SQLite and once on PostgreSQL (for the
    ``engine`` fixture, PostgreSQL may keep the schema with its rows emptied)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'drawwatch.db'}"
        return
    url = request.getfixturevalue("pg_server_url")
    # A test that only wants drawwatch's schema (this file's ``engine`` fixture, not a module's own) gets the
    # last test's schema with its rows emptied, when it is exactly the newest one; every other test gets an
    # empty database.
    wants_schema = "engine" in request.fixturenames and not hasattr(request.module, "engine")
    if not wants_schema or not empty_pg_rows(url):
        reset_pg_schema(url)
    yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine with drawwatch's schema, on SQLite and PostgreSQL (``database_url``)."""
    with open_engine(database_url, schema=True) as engine:
        yield engine


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that reaches PostgreSQL carries the ``postgres`` marker (``-m "not postgres"`` skips them).

    The ``slow`` (end-to-end) tests are scheduled first, so that pytest-xdist hands the long ones out while
    every worker is free and the quick ones fill the gaps at the end instead of one worker finishing a
    long test alone. The order is stable, so every worker collects the same list.
    """
    for item in items:
        if "pg_server_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
