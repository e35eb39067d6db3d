"""Alerts to many bot chats through the one outbox (``deliver_due``), paced by the bot's pacer: every alert
arrives once, no second of the fake's clock holds more than 30 messages, no chat gets two within a second; a
chat that blocked the bot (403) is deactivated and never tried again. The 5,000-chat figure is
benchmarks/bench_telegram.py --outbox (about 200 s at 25 a second)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy import Engine

from drawwatch.app.deliver import deliver_due
from drawwatch.config import Settings
from drawwatch.domain.clock import utcnow
from drawwatch.notify.pacing import TelegramPacer
from drawwatch.storage.db import session_scope
from drawwatch.storage.matching import queue_round_alerts
from drawwatch.storage.subscribers import SubscriberInput, add_subscriber, get_subscriber
from tests.support.rows import new_round
from tests.support.telegram_bot import FakeBotApi

CHATS = 120


def test_many_chats_one_round(sqlite_engine: Engine, fake: FakeBotApi) -> None:
    ids = {}
    with session_scope(sqlite_engine) as session:
        for chat in range(CHATS):
            row = add_subscriber(
                session,
                SubscriberInput(
                    name=f"Telegram chat {chat}", crs=500, categories=["stem"], urls=[fake.url(chat)]
                ),
            )
            ids[chat] = row.id
    fake.forbid(7)
    with session_scope(sqlite_engine) as session:
        queue_round_alerts(
            session, [new_round(session, "700", crs=468, first_seen_at=utcnow() + timedelta(seconds=1))]
        )
    settings = Settings(database_url=str(sqlite_engine.url))
    stats = asyncio.run(
        deliver_due(sqlite_engine, settings, now=utcnow() + timedelta(seconds=2), pacer=TelegramPacer())
    )
    calls = fake.of("sendMessage")
    assert Counter(str(call.payload["chat_id"]) for call in calls) == Counter(
        str(chat) for chat in range(CHATS)
    )
    times = sorted(call.at for call in calls)
    assert max(sum(1 for t in times if start <= t < start + 1.0) for start in times) <= 30
    assert stats.sent == CHATS - 1
    with session_scope(sqlite_engine) as session:
        blocked = get_subscriber(session, ids[7])
        assert blocked is not None and not blocked.active
    again = asyncio.run(deliver_due(sqlite_engine, settings, now=utcnow() + timedelta(hours=1)))
    assert again.sent == again.failed == 0
    assert len(fake.of("sendMessage", 7)) == 1  # never tried again
