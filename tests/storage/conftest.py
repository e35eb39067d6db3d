"""An engine with drawwatch's schema, on SQLite and PostgreSQL (see ``database_url`` in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from drawwatch.storage.db import init_schema, make_engine


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    init_schema(engine)
    yield engine
    engine.dispose()
