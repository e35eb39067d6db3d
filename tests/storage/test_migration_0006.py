"""Migration 0006 (subscriber profiles: the profile and the score computed from it) on SQLite and PostgreSQL:
existing subscribers kept as bare CRS numbers, the new columns usable, no drift from the models, and back down
to 0005."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine

from drawwatch.storage import migrate
from drawwatch.storage.db import session_scope
from drawwatch.storage.subscribers import get_subscriber, score_state, set_score
from tests.support.databases import open_engine


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    with open_engine(database_url) as engine:
        yield engine


def test_0006_keeps_every_subscriber_as_a_bare_number_and_stores_profiles(engine: Engine) -> None:
    migrate.upgrade(engine, "0005")
    with engine.begin() as conn:
        for statement in (
            "INSERT INTO subscriber (name, crs, active, language, unsubscribe_token, created_at, updated_at, "
            "nclc_french, derived_year) VALUES ('Ana', 512, true, 'en', 't1', '2026-01-01', '2026-01-01', 7, "
            "2026)",
            "INSERT INTO subscriber_channel (subscriber_id, url, created_at) VALUES (1, 'json://h', '2026-01-01')",
        ):
            conn.exec_driver_sql(statement)

    migrate.upgrade(engine, "0006")

    assert migrate.current(engine) == "0006"
    with engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT name, crs, nclc_french, derived_year, profile, score_on, score_until, score_rules, "
            "score_note FROM subscriber"
        ).one()
        assert tuple(row) == ("Ana", 512, 7, 2026, None, None, None, None, None)
        assert conn.exec_driver_sql("SELECT count(*) FROM subscriber_channel").scalar() == 1
    migrate.upgrade(engine)  # the models are those of the head
    assert migrate.check(engine) == []

    with session_scope(engine) as session:
        set_score(
            session,
            1,
            crs=500,
            on=date(2026, 8, 20),
            until=date(2026, 8, 21),
            rules="crs-2025-03-25",
            profile='{"age": 29}',
        )
    with session_scope(engine) as session:
        state = score_state(session, 1)
        view = get_subscriber(session, 1)
    assert state is not None and view is not None
    assert state.profile == '{"age": 29}' and state.crs == view.crs == 500
    assert (state.score_on, state.score_until) == (date(2026, 8, 20), date(2026, 8, 21))
    assert state.score_rules == "crs-2025-03-25" and state.score_note is None

    from alembic import command

    with migrate.migration_connection(engine) as connection:
        command.downgrade(migrate._alembic_config(connection), "0005")
    with engine.connect() as conn:
        assert tuple(conn.exec_driver_sql("SELECT name, crs FROM subscriber").one()) == ("Ana", 500)
        assert conn.exec_driver_sql("SELECT count(*) FROM subscriber_channel").scalar() == 1
