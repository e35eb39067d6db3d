"""Migration 0009 (the Telegram bot: bot_state, bot_chat, bot_reply) on SQLite and PostgreSQL: every existing
row kept, the new tables usable (a chat, its reply, the offset and the lease), no drift from the models, and
back down to 0008 without them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, inspect

from drawwatch.storage import migrate
from drawwatch.storage.bot import acquire_lease, advance_offset, get_chat, queue_reply, save_chat
from drawwatch.storage.db import session_scope
from tests.support.databases import open_engine


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    with open_engine(database_url) as engine:
        yield engine


def test_0009_keeps_every_row_and_adds_the_bot_tables(engine: Engine) -> None:
    migrate.upgrade(engine, "0008")
    with engine.begin() as conn:
        for statement in (
            "INSERT INTO subscriber (name, crs, active, language, unsubscribe_token, created_at, updated_at) "
            "VALUES ('Ana', 500, true, 'fr', 'tok', '2026-01-01', '2026-01-01')",
            "INSERT INTO subscriber_channel (subscriber_id, url, created_at) "
            "VALUES (1, 'tgram://123:abc/42', '2026-01-01')",
            "INSERT INTO signup (subscriber_id, email, created_at, mails_sent) "
            "VALUES (1, 'ana@example.org', '2026-01-01', 1)",
        ):
            conn.exec_driver_sql(statement)

    migrate.upgrade(engine, "0009")

    assert migrate.current(engine) == "0009"
    with engine.connect() as conn:
        assert tuple(conn.exec_driver_sql("SELECT name, crs, language FROM subscriber").one()) == (
            "Ana",
            500,
            "fr",
        )
        assert conn.exec_driver_sql("SELECT url FROM subscriber_channel").scalar() == "tgram://123:abc/42"
        assert conn.exec_driver_sql("SELECT email FROM signup").scalar() == "ana@example.org"
    migrate.upgrade(engine)
    assert migrate.check(engine) == []

    big_chat = -1001234567890  # group and channel ids do not fit 32 bits
    with session_scope(engine) as session:
        assert acquire_lease(session, "123", "me", seconds=60) == 0
        save_chat(session, "123", big_chat, language="fr", subscriber_id=1)
        queue_reply(session, "123", big_chat, 2**40, "sendMessage", {"chat_id": big_chat, "text": "é"})
        assert advance_offset(session, "123", "me", 2**40)
    with session_scope(engine) as session:
        chat = get_chat(session, "123", big_chat)
        assert chat is not None and (chat.subscriber_id, chat.language) == (1, "fr")
        assert acquire_lease(session, "123", "me", seconds=60) == 2**40 + 1

    from alembic import command

    with migrate.migration_connection(engine) as connection:
        command.downgrade(migrate._alembic_config(connection), "0008")
    tables = set(inspect(engine).get_table_names())
    assert not tables & {"bot_state", "bot_chat", "bot_reply"}
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM subscriber").scalar() == 1
        assert conn.exec_driver_sql("SELECT count(*) FROM signup").scalar() == 1
