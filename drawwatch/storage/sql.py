"""SQL helpers every repository module shares: Core tables, the dialect's upsert, row counts.

Core tables rather than ORM entities where rows move in bulk: the ORM splits batches by the pattern of None
values (120 round trips for 438 rounds on PostgreSQL), Core sends them in one statement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from drawwatch.storage.models import Alert, Round, Subscriber, SubscriberCategory, SubscriberChannel


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a SQLModel table class."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


ALERT = table_of(Alert)
SUBSCRIBER = table_of(Subscriber)
CATEGORY = table_of(SubscriberCategory)
CHANNEL = table_of(SubscriberChannel)
ROUND = table_of(Round)


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def dialect_insert(session: Session, model: type[SQLModel] | Table) -> postgresql.Insert | sqlite.Insert:
    """``INSERT … ON CONFLICT`` (both dialects have it, with the same API) into the model's Core table."""
    table = model if isinstance(model, Table) else table_of(model)
    return postgresql.insert(table) if is_postgres(session) else sqlite.insert(table)


def execute_in_chunks(
    session: Session, stmt: Any, rows: Sequence[Mapping[str, Any]], chunk: int = 5_000
) -> None:
    """``stmt`` once per row of parameters, as one executemany per ``chunk`` rows (memory bounded, one
    round trip per chunk rather than per row)."""
    connection = session.connection()
    for start in range(0, len(rows), chunk):
        connection.execute(stmt, list(rows[start : start + chunk]))


def rowcount(result: Any) -> int:
    """Rows a statement changed (an INSERT needs ``preserve_rowcount`` for psycopg to report it)."""
    return int(result.rowcount)
