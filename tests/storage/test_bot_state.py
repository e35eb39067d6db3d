"""The bot's state in the database: one poller at a time (the lease), the offset only its holder moves, the
reply outbox's statuses, and a 403'd Telegram channel deactivated for good."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from drawwatch.domain.clock import utcnow
from drawwatch.storage.bot import (
    abandon_in_flight,
    acquire_lease,
    advance_offset,
    block_channel,
    due_replies,
    mark_reply,
    mark_sending,
    prune_replies,
    queue_reply,
    release_lease,
    reply_counts,
    save_chat,
    stored_offset,
)
from drawwatch.storage.db import session_scope
from drawwatch.storage.subscribers import get_subscriber
from tests.support.rows import URL_A, new_subscriber

BOT = "123"


def test_one_poller_at_a_time(engine: Engine) -> None:
    now = utcnow()
    with session_scope(engine) as session:
        assert acquire_lease(session, BOT, "a", seconds=60, now=now) == 0
    with session_scope(engine) as session:
        assert acquire_lease(session, BOT, "b", seconds=60, now=now) is None  # a holds it
        assert acquire_lease(session, BOT, "a", seconds=60, now=now) == 0  # renewed
        assert advance_offset(session, BOT, "a", 10)
    with session_scope(engine) as session:
        assert not advance_offset(session, BOT, "b", 11)  # not the holder: nothing moves
        assert not advance_offset(session, BOT, "a", 9)  # handled already
        assert stored_offset(session, BOT) == 11
    later = now + dt.timedelta(seconds=61)
    with session_scope(engine) as session:
        assert acquire_lease(session, BOT, "b", seconds=60, now=later) == 11  # a's lease ran out
    with session_scope(engine) as session:
        assert not advance_offset(session, BOT, "a", 11)  # a lost it: its transaction must roll back
        release_lease(session, BOT, "b")
    with session_scope(engine) as session:
        assert acquire_lease(session, BOT, "c", seconds=60, now=later) == 11  # released: free at once
    with session_scope(engine) as session:
        assert acquire_lease(session, BOT, "d", seconds=60, now=later, replacing="b") is None  # c holds it
        assert acquire_lease(session, BOT, "d", seconds=60, now=later, replacing="c") == 11  # c is dead


def test_reply_outbox_statuses(engine: Engine) -> None:
    now = utcnow()
    with session_scope(engine) as session:
        for update_id in (1, 2, 3):
            queue_reply(session, BOT, 42, update_id, "sendMessage", {"chat_id": 42, "text": f"r{update_id}"})
    with session_scope(engine) as session:
        first, second, third = due_replies(session, BOT)
        assert [first.payload["text"], second.update_id] == ["r1", 2]
        assert mark_sending(session, first.id)
        assert not mark_sending(session, first.id)  # claimed once
        mark_reply(session, first.id, "sent")
        assert mark_sending(session, second.id)  # left "sending": the process dies here
        mark_reply(session, third.id, "pending", retry_at=now + dt.timedelta(seconds=30))
    with session_scope(engine) as session:
        assert due_replies(session, BOT) == []  # r3 waits for its retry_after
        assert [r.id for r in due_replies(session, BOT, now=now + dt.timedelta(seconds=31))] == [third.id]
        assert abandon_in_flight(session, BOT) == 1
        assert reply_counts(session, BOT) == {"sent": 1, "unknown": 1, "pending": 1}
        assert prune_replies(session, BOT, now + dt.timedelta(days=1)) == 2
        assert reply_counts(session, BOT) == {"pending": 1}


def test_a_blocked_channel_is_never_used_again(engine: Engine) -> None:
    with session_scope(engine) as session:
        only = new_subscriber(session, "Ana", urls=["tgram://123:abc/42"])
        both = new_subscriber(session, "Bo", urls=["tgram://123:abc/43", URL_A])
        save_chat(session, BOT, 42, subscriber_id=only)
    with session_scope(engine) as session:
        ana, bo = get_subscriber(session, only), get_subscriber(session, both)
        assert ana is not None and bo is not None
        assert block_channel(session, ana.channels[0].id)
        assert block_channel(session, bo.channels[0].id)
        assert not block_channel(session, 10_000)
    with session_scope(engine) as session:
        ana, bo = get_subscriber(session, only), get_subscriber(session, both)
        assert ana is not None and not ana.active  # its only channel: the subscriber stops
        assert bo is not None and bo.active and [c.url for c in bo.channels] == [URL_A]
