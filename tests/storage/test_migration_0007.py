"""Migration 0007 (reminders: the subscriber's opt-in and next reminder day; outbox rows about no round) on
SQLite and PostgreSQL: every subscriber and alert row kept (SQLite rebuilds ``alert``), reminders queued once,
no drift from the models, and back down to 0006 without the reminders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine

from drawwatch.storage import migrate
from drawwatch.storage.db import session_scope
from drawwatch.storage.reminders import NewReminder, queue_reminders
from tests.support.databases import open_engine


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    with open_engine(database_url) as engine:
        yield engine


def test_0007_keeps_every_row_and_queues_each_reminder_once(engine: Engine) -> None:
    migrate.upgrade(engine, "0006")
    with engine.begin() as conn:
        for statement in (
            "INSERT INTO draw (number, number_int, number_suffix, date, name, category, programs, invitations, "
            "crs, run_at_raw, tie_break_raw, url, baseline, first_seen_at, updated_at) VALUES ('1', 1, '', "
            "'2026-01-01', 'n', 'stem', '', 1, 1, '', '', 'u', false, '2026-01-01', '2026-01-01')",
            "INSERT INTO subscriber (name, crs, active, language, unsubscribe_token, created_at, updated_at, "
            "profile) VALUES ('Ana', 500, true, 'en', 'tok', '2026-01-01', '2026-01-01', '{\"age\": 29}')",
            "INSERT INTO subscriber_channel (subscriber_id, url, created_at) VALUES (1, 'json://x', '2026-01-01')",
            "INSERT INTO alert (subscriber_id, draw_id, channel_id, kind, tie, status, attempts, next_attempt_at, "
            "created_at, revision) VALUES (1, 1, 1, 'round', 'clear', 'sent', 1, '2026-01-01', '2026-01-01', 0)",
        ):
            conn.exec_driver_sql(statement)

    migrate.upgrade(engine, "0007")

    with engine.connect() as conn:
        assert tuple(conn.exec_driver_sql("SELECT name, crs, profile, reminders, remind_on FROM subscriber").one()) == (
            "Ana", 500, '{"age": 29}', False, None,
        )  # fmt: skip
        alert = conn.exec_driver_sql("SELECT draw_id, kind, status, event_on FROM alert").one()
        assert tuple(alert) == (1, "round", "sent", None)
    migrate.upgrade(engine)
    assert migrate.check(engine) == []

    reminder = NewReminder(1, "birthday", date(2026, 8, 21))
    with session_scope(engine) as session:
        assert queue_reminders(session, [reminder]) == 1
    with session_scope(engine) as session:  # queued again (a second check, an overlapping one): nothing
        assert queue_reminders(session, [reminder, NewReminder(1, "birthday", date(2027, 8, 21))]) == 1
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM alert WHERE draw_id IS NULL").scalar() == 2

    from alembic import command

    with migrate.migration_connection(engine) as connection:
        command.downgrade(migrate._alembic_config(connection), "0006")
    with engine.connect() as conn:
        assert tuple(conn.exec_driver_sql("SELECT draw_id, kind, status FROM alert").one()) == (
            1,
            "round",
            "sent",
        )
        assert conn.exec_driver_sql("SELECT count(*) FROM subscriber").scalar() == 1
