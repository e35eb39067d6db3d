"""The bot against a fake Bot API on 127.0.0.1: the acceptance flow (/start, /crs 470, /categories stem, a
STEM round at 468 alerts that chat once through the outbox, /stop, the next round sends nothing), 429 with
retry_after, 403, and an update whose transaction failed read again and answered once."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from datetime import timedelta
from itertools import pairwise

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

import drawwatch.bot.runner as runner
from drawwatch.app.deliver import deliver_due
from drawwatch.bot.runner import Bot
from drawwatch.config import Settings
from drawwatch.domain.clock import utcnow
from drawwatch.notify.message import RenderedMessage
from drawwatch.notify.pacing import TelegramPacer, chat_blocked
from drawwatch.notify.sending import send_one
from drawwatch.storage.bot import get_chat, reply_counts
from drawwatch.storage.db import session_scope
from drawwatch.storage.matching import queue_round_alerts
from drawwatch.storage.subscribers import get_subscriber
from tests.bot.conftest import RunningBot
from tests.support.rows import new_round
from tests.support.telegram import TELEGRAM_TOKEN
from tests.support.telegram_bot import FakeBotApi

CHAT = 5151
BOT_ID = TELEGRAM_TOKEN.split(":")[0]


def alerts_to(fake: FakeBotApi, chat_id: int) -> list[str]:
    """The alerts apprise sent the chat (its sendMessage calls carry a parse_mode; the bot's replies none)."""
    return [str(c.payload["text"]) for c in fake.of("sendMessage", chat_id) if "parse_mode" in c.payload]


def publish(engine: Engine, number: str, crs: int, database_url: str) -> None:
    """A new STEM round at ``crs`` queued and delivered, as a check does."""
    with session_scope(engine) as session:
        round_ = new_round(session, number, crs=crs, first_seen_at=utcnow() + timedelta(seconds=1))
        queue_round_alerts(session, [round_])
    stats = asyncio.run(
        deliver_due(engine, Settings(database_url=database_url), now=utcnow() + timedelta(seconds=2))
    )
    assert stats.failed == 0 and stats.dead == 0


def test_subscribe_alert_once_stop_then_nothing(engine: Engine, fake: FakeBotApi) -> None:
    with RunningBot(engine, fake.base_url):
        fake.send_text(CHAT, "/start")
        assert "Privacy" in fake.wait_texts(CHAT, 1)[0]
        fake.send_text(CHAT, "/crs 470")
        fake.send_text(CHAT, "/categories stem")
        replies = fake.wait_texts(CHAT, 3)
        assert replies[1].startswith("Saved: CRS 470") and replies[2] == "Saved categories: STEM."

        publish(engine, "600", 468, str(engine.url))
        alerts = alerts_to(fake, CHAT)
        assert len(alerts) == 1 and "468" in alerts[0]

        fake.send_text(CHAT, "/stop")
        assert fake.wait_texts(CHAT, 5)[4].startswith("Alerts paused")
        publish(engine, "601", 460, str(engine.url))
        assert len(alerts_to(fake, CHAT)) == 1  # nothing more
    assert fake.of("getUpdates")[0].payload["allowed_updates"] == ["message", "callback_query"]
    with session_scope(engine) as session:
        assert reply_counts(session, BOT_ID) == {"sent": 4}


def test_a_429_is_retried_after_retry_after(sqlite_engine: Engine, fake: FakeBotApi) -> None:
    fake.throttle_method("sendMessage", 1, 1)
    with RunningBot(sqlite_engine, fake.base_url) as running:
        fake.send_text(CHAT, "/help")
        assert fake.wait_texts(CHAT, 2)[1].startswith("Commands")
        refused, sent = fake.of("sendMessage", CHAT)
        assert sent.at - refused.at >= 1.0  # Telegram's retry_after was honoured
    assert running.bot.stats.replies_sent == 1


def test_a_chat_that_blocked_the_bot_is_deactivated(sqlite_engine: Engine, fake: FakeBotApi) -> None:
    with RunningBot(sqlite_engine, fake.base_url):
        fake.send_text(CHAT, "/start")
        fake.send_text(CHAT, "/crs 480")
        fake.wait_texts(CHAT, 2)
        fake.forbid(CHAT)
        update_id = fake.send_text(CHAT, "/status")
        fake.wait_confirmed(update_id)
        fake.send_text(CHAT + 1, "/help")  # handled after the 403 was recorded (one reply sender)
        fake.wait_texts(CHAT + 1, 1)
    with session_scope(sqlite_engine) as session:
        chat = get_chat(session, BOT_ID, CHAT)
        assert chat is not None and chat.blocked_at is not None and chat.subscriber_id is not None
        view = get_subscriber(session, chat.subscriber_id)
        assert view is not None and not view.active
        assert reply_counts(session, BOT_ID) == {"sent": 3, "failed": 1}
    # An alert through apprise gets the same 403: chat_blocked() recognises it for the delivery loop.
    url = fake.url(CHAT)
    result = asyncio.run(send_one(url, RenderedMessage("s", "text", "<b>html</b>", "short"), timeout=10))
    assert not result.ok and chat_blocked(url, result)
    assert TELEGRAM_TOKEN not in (result.error or "")


def test_an_update_whose_transaction_failed_is_read_again_and_answered_once(
    sqlite_engine: Engine, fake: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = runner.queue_reply
    failures = []

    def locked_once(*args: object, **kwargs: object) -> None:
        if not failures:
            failures.append(1)
            raise OperationalError("INSERT …", {}, sqlite3.OperationalError("database is locked"))
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "queue_reply", locked_once)
    with RunningBot(sqlite_engine, fake.base_url) as running:
        update_id = fake.send_text(CHAT, "/start")
        fake.wait_texts(CHAT, 1)
        fake.send_text(CHAT, "/help")
        fake.wait_texts(CHAT, 2)
    assert failures == [1]
    assert [ids for ids in fake.answered_updates.snapshot() if update_id in ids][:2] == [
        [update_id],
        [update_id],
    ]
    assert len(fake.texts(CHAT)) == 2  # the welcome once, then the help
    assert running.bot.stats.errors == {"update": 1}


def test_a_second_process_stands_by(sqlite_engine: Engine, fake: FakeBotApi) -> None:
    with RunningBot(sqlite_engine, fake.base_url):
        fake.send_text(CHAT, "/help")
        fake.wait_texts(CHAT, 1)
        other = Bot(sqlite_engine, TELEGRAM_TOKEN, api_url=fake.base_url, holder="other")
        assert other._lease() is None
    assert other._lease() is not None  # released at the clean stop


def test_replies_are_paced_within_telegrams_limits(sqlite_engine: Engine, fake: FakeBotApi) -> None:
    chats = [9000 + n for n in range(75)]
    for chat in chats:
        fake.send_text(chat, "/help")
    for _ in range(3):
        fake.send_text(CHAT, "/help")  # one chat, three answers: a second apart
    with RunningBot(sqlite_engine, fake.base_url, pacer=TelegramPacer()):  # 25 a second
        for chat in [*chats, CHAT]:
            fake.wait_texts(chat, 3 if chat == CHAT else 1, timeout=30)
    calls = fake.of("sendMessage")
    assert len(calls) == 78
    times = sorted(call.at for call in calls)
    assert max(sum(1 for t in times if start <= t < start + 1.0) for start in times) <= 30
    assert max(Counter(int(t) for t in times).values()) <= 30
    own = [call.at for call in calls if call.payload["chat_id"] == CHAT]
    assert all(b - a >= 0.95 for a, b in pairwise(own))
