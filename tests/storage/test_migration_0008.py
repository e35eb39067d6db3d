"""Migration 0008 (the sign-up site's ``signup`` table) on SQLite and PostgreSQL: existing subscribers kept
(without a sign-up: the operator added them), sign-ups storable with one per address, no drift from the
models, and back down to 0007."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from drawwatch.storage import migrate
from drawwatch.storage.db import session_scope
from drawwatch.storage.signup import add_signup, confirm_signup, find_signup, signup_of
from drawwatch.storage.subscribers import get_subscriber
from tests.support.databases import open_engine


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    with open_engine(database_url) as engine:
        yield engine


def test_0008_keeps_every_subscriber_and_stores_sign_ups(engine: Engine) -> None:
    migrate.upgrade(engine, "0007")
    with engine.begin() as conn:
        for statement in (
            "INSERT INTO subscriber (name, crs, active, language, unsubscribe_token, created_at, updated_at, "
            "reminders) VALUES ('Ana', 512, true, 'en', 't1', '2026-01-01', '2026-01-01', false)",
            "INSERT INTO subscriber (name, crs, active, language, unsubscribe_token, created_at, updated_at, "
            "reminders) VALUES ('Bo', 470, false, 'fr', 't2', '2026-01-01', '2026-01-01', false)",
            "INSERT INTO subscriber_channel (subscriber_id, url, created_at) VALUES (1, 'json://h', '2026-01-01')",
        ):
            conn.exec_driver_sql(statement)

    migrate.upgrade(engine, "0008")

    assert migrate.current(engine) == "0008"
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT name, crs, active FROM subscriber ORDER BY id").all()
        assert [tuple(row) for row in rows] == [("Ana", 512, True), ("Bo", 470, False)]
        assert conn.exec_driver_sql("SELECT count(*) FROM subscriber_channel").scalar() == 1
        assert conn.exec_driver_sql("SELECT count(*) FROM signup").scalar() == 0
    migrate.upgrade(engine)  # the models are those of the head
    assert migrate.check(engine) == []
    with session_scope(engine) as session:
        assert signup_of(session, 1) is None
        add_signup(session, 2, "Bo@Example.org")
    with session_scope(engine) as session:
        found = find_signup(session, "bo@example.ORG")
        assert found is not None and found.subscriber_id == 2 and found.confirmed_at is None
        assert found.mails_sent == 0 and found.language == "fr"
        assert confirm_signup(session, 2)
    with session_scope(engine) as session:
        view = get_subscriber(session, 2)
        assert view is not None and view.active
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        add_signup(session, 1, "bo@example.org")  # one sign-up per address

    from alembic import command

    with migrate.migration_connection(engine) as connection:
        command.downgrade(migrate._alembic_config(connection), "0007")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM subscriber").scalar() == 2
