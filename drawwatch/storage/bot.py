"""The Telegram bot's SQL: its polling state (offset and lease), its chats, and its replies' outbox.

Exactly-once handling of an update (:mod:`drawwatch.bot.runner`): in ONE transaction the command's effect is
applied, its replies are queued (:func:`queue_reply`) and the stored offset moves past the update
(:func:`advance_offset`, which only the lease holder can do); the replies are sent afterwards and marked. A
process killed before the commit re-reads the update (Telegram's ``getUpdates`` returns every update at or
above the offset again); one killed after it finds the replies queued. A reply is marked ``sending`` (and
committed) before its request leaves, so a process killed while it was on the wire never sends it twice.

A chat is a subscriber whose channel is ``tgram://<bot token>/<chat id>``; ``bot_chat`` maps the chat to that
subscriber. Nothing here commits: callers wrap calls in :func:`~drawwatch.storage.db.session_scope`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from drawwatch.domain.clock import utcnow
from drawwatch.storage.db import begin_write
from drawwatch.storage.models import BotChat, BotReply, BotState, Subscriber, SubscriberChannel
from drawwatch.storage.signup import delete_everything
from drawwatch.storage.sql import dialect_insert, rowcount
from drawwatch.storage.subscribers import edit_subscriber, get_subscriber, remove_subscriber

# --- polling state ---------------------------------------------------------------------------------------


def acquire_lease(
    session: Session,
    bot_id: str,
    holder: str,
    *,
    seconds: float,
    replacing: str | None = None,
    now: dt.datetime | None = None,
) -> int | None:
    """Take or renew the poller's lease for ``seconds``: the stored offset when ``holder`` has it now, None
    when another process holds an unexpired lease (that one polls; this one waits). ``replacing``: a holder
    known to be dead (a killed process), whose lease is taken before it runs out."""
    now = now or utcnow()
    begin_write(session)
    if session.get(BotState, bot_id) is None:  # two first processes at once: one row, no error
        session.exec(
            dialect_insert(session, BotState)
            .values(bot_id=bot_id, update_offset=0, updated_at=now)
            .on_conflict_do_nothing(index_elements=["bot_id"])
        )
    taken = session.exec(
        update(BotState)
        .where(
            col(BotState.bot_id) == bot_id,
            or_(
                col(BotState.holder).is_(None),
                col(BotState.holder) == holder,
                col(BotState.holder) == (replacing or holder),
                col(BotState.lease_until).is_(None),
                col(BotState.lease_until) < now,
            ),
        )
        .values(holder=holder, lease_until=now + dt.timedelta(seconds=seconds), updated_at=now)
    )
    if rowcount(taken) != 1:
        return None
    return stored_offset(session, bot_id)


def lease_holder(session: Session, bot_id: str) -> str | None:
    """Who holds (or last held) the poller's lease, if anyone."""
    return session.exec(select(col(BotState.holder)).where(col(BotState.bot_id) == bot_id)).first()


def stored_offset(session: Session, bot_id: str) -> int:
    """The next update id to handle (0: none handled yet)."""
    offset = session.exec(select(col(BotState.update_offset)).where(col(BotState.bot_id) == bot_id)).first()
    return int(offset or 0)


def release_lease(session: Session, bot_id: str, holder: str) -> None:
    """Give the lease up (a clean stop), so another process may poll at once."""
    begin_write(session)
    session.exec(
        update(BotState)
        .where(col(BotState.bot_id) == bot_id, col(BotState.holder) == holder)
        .values(holder=None, lease_until=None, updated_at=utcnow())
    )


def advance_offset(session: Session, bot_id: str, holder: str, update_id: int) -> bool:
    """Move the stored offset past ``update_id``, in the transaction that handled it; False (the caller must
    roll back) when ``holder`` lost the lease to another process or the update was handled already."""
    begin_write(session)
    moved = session.exec(
        update(BotState)
        .where(
            col(BotState.bot_id) == bot_id,
            col(BotState.holder) == holder,
            col(BotState.update_offset) <= update_id,
        )
        .values(update_offset=update_id + 1, updated_at=utcnow())
    )
    return rowcount(moved) == 1


# --- chats -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatView:
    bot_id: str
    chat_id: int
    subscriber_id: int | None
    language: str
    step: str | None
    stopped_at: dt.datetime | None
    blocked_at: dt.datetime | None


def get_chat(session: Session, bot_id: str, chat_id: int) -> ChatView | None:
    row = session.get(BotChat, (bot_id, chat_id))
    if row is None:
        return None
    return ChatView(
        row.bot_id, row.chat_id, row.subscriber_id, row.language, row.step, row.stopped_at, row.blocked_at
    )


def save_chat(
    session: Session,
    bot_id: str,
    chat_id: int,
    *,
    language: str | None = None,
    subscriber_id: int | None = None,
    step: str | bool | None = False,
    stopped: bool | None = None,
    now: dt.datetime | None = None,
) -> ChatView:
    """Create or change a chat row: ``step`` False leaves it (None clears it); ``stopped`` sets or clears
    ``stopped_at``; starting a chat again (``stopped=False``) also forgets that it had blocked the bot."""
    now = now or utcnow()
    begin_write(session)
    row = session.get(BotChat, (bot_id, chat_id))
    if row is None:
        row = BotChat(bot_id=bot_id, chat_id=chat_id, created_at=now, updated_at=now)
    if language is not None:
        row.language = language
    if subscriber_id is not None:
        row.subscriber_id = subscriber_id
    if step is not False:
        row.step = step if isinstance(step, str) else None
    if stopped is True:
        row.stopped_at = now
    elif stopped is False:
        row.stopped_at = None
        row.blocked_at = None
    row.updated_at = now
    session.add(row)
    session.flush()
    view = get_chat(session, bot_id, chat_id)
    assert view is not None
    return view


def forget_chat(session: Session, bot_id: str, chat_id: int) -> None:
    """Delete everything stored about a chat: its subscriber (alerts, channels, categories, occupations),
    the chat row and its past replies (queued ones stay, to be sent: the confirmation of the deletion)."""
    begin_write(session)
    row = session.get(BotChat, (bot_id, chat_id))
    if row is None:
        return
    subscriber_id = row.subscriber_id
    session.exec(delete(BotChat).where(col(BotChat.bot_id) == bot_id, col(BotChat.chat_id) == chat_id))
    session.exec(
        delete(BotReply).where(
            col(BotReply.bot_id) == bot_id,
            col(BotReply.chat_id) == chat_id,
            col(BotReply.status) != "pending",
        )
    )
    session.expunge(row)
    if subscriber_id is not None and get_subscriber(session, subscriber_id) is not None:
        delete_everything(session, subscriber_id)  # a sign-up row too, should the person have one


def count_chats(session: Session, bot_id: str) -> int:
    return len(session.exec(select(col(BotChat.chat_id)).where(col(BotChat.bot_id) == bot_id)).all())


def block_channel(session: Session, channel_id: int, *, now: dt.datetime | None = None) -> bool:
    """A Telegram chat refused an alert with 403 (it blocked the bot, or the account is gone): stop using
    that channel for good. The subscriber whose only channel it is becomes inactive (undelivered alerts
    cancelled, as /stop does); a subscriber with other channels loses this one. Marks the bot chat (if it is
    one) ``blocked_at``; a later /start makes it active again. False when the channel is unknown (deleted
    meanwhile). Run it in its own transaction, after recording the alert's outcome."""
    now = now or utcnow()
    begin_write(session)
    channel = session.get(SubscriberChannel, channel_id)
    if channel is None:
        return False
    subscriber_id = channel.subscriber_id
    session.exec(
        update(BotChat)
        .where(col(BotChat.subscriber_id) == subscriber_id)
        .values(blocked_at=now, updated_at=now)
    )
    view = get_subscriber(session, subscriber_id)
    if view is None:
        return False
    others = [c.url for c in view.channels if c.id != channel_id]
    if others:
        edit_subscriber(session, subscriber_id, urls=others)
    elif view.active:
        remove_subscriber(session, subscriber_id)
    return True


def block_chat(session: Session, bot_id: str, chat_id: int, *, now: dt.datetime | None = None) -> bool:
    """A reply to this chat was refused with 403 (it blocked the bot): mark it ``blocked_at`` and make its
    subscriber inactive (as /stop does; a later /start makes it active again). False for an unknown chat."""
    now = now or utcnow()
    begin_write(session)
    row = session.get(BotChat, (bot_id, chat_id))
    if row is None:
        return False
    row.blocked_at = now
    row.updated_at = now
    session.add(row)
    session.flush()
    if row.subscriber_id is not None:
        view = get_subscriber(session, row.subscriber_id)
        if view is not None and view.active:
            remove_subscriber(session, row.subscriber_id)
    return True


def active_chats(session: Session, bot_id: str) -> list[tuple[int, int]]:
    """``(chat id, subscriber id)`` of the chats whose subscriber is active, by chat id."""
    rows = session.exec(
        select(col(BotChat.chat_id), col(BotChat.subscriber_id))
        .join(Subscriber, col(Subscriber.id) == col(BotChat.subscriber_id))
        .where(col(BotChat.bot_id) == bot_id, col(Subscriber.active).is_(True))
        .order_by(col(BotChat.chat_id))
    ).all()
    return [(int(chat), int(subscriber)) for chat, subscriber in rows if subscriber is not None]


# --- replies ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyView:
    id: int
    chat_id: int
    update_id: int
    method: str
    payload: dict[str, Any]
    attempts: int


def queue_reply(
    session: Session,
    bot_id: str,
    chat_id: int,
    update_id: int,
    method: str,
    payload: dict[str, Any],
    *,
    now: dt.datetime | None = None,
) -> None:
    """Queue one Bot API call (in the transaction that handles ``update_id``)."""
    now = now or utcnow()
    begin_write(session)
    session.add(
        BotReply(
            bot_id=bot_id,
            chat_id=chat_id,
            update_id=update_id,
            method=method,
            payload=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
            next_attempt_at=now,
            created_at=now,
        )
    )
    session.flush()


def due_replies(
    session: Session, bot_id: str, *, limit: int = 100, now: dt.datetime | None = None
) -> list[ReplyView]:
    """Pending replies whose time has come, oldest first (a chat's replies in the order they were queued)."""
    now = now or utcnow()
    rows = session.exec(
        select(BotReply)
        .where(
            col(BotReply.bot_id) == bot_id,
            col(BotReply.status) == "pending",
            col(BotReply.next_attempt_at) <= now,
        )
        .order_by(col(BotReply.id))
        .limit(limit)
    ).all()
    return [
        ReplyView(
            int(row.id or 0), row.chat_id, row.update_id, row.method, json.loads(row.payload), row.attempts
        )
        for row in rows
    ]


def mark_sending(session: Session, reply_id: int) -> bool:
    """Claim a pending reply just before its request leaves; False when it is no longer pending."""
    begin_write(session)
    claimed = session.exec(
        update(BotReply)
        .where(col(BotReply.id) == reply_id, col(BotReply.status) == "pending")
        .values(status="sending", attempts=col(BotReply.attempts) + 1)
    )
    return rowcount(claimed) == 1


def mark_reply(
    session: Session,
    reply_id: int,
    status: str,
    *,
    error: str | None = None,
    retry_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Record a reply's outcome: ``sent``, ``failed``, or ``pending`` again (with ``retry_at``: nothing
    reached the chat, e.g. a 429 or a refused connection)."""
    now = now or utcnow()
    begin_write(session)
    values: dict[str, Any] = {"status": status, "last_error": error}
    if status == "sent":
        values["sent_at"] = now
    if retry_at is not None:
        values["next_attempt_at"] = retry_at
    session.exec(update(BotReply).where(col(BotReply.id) == reply_id).values(**values))


def abandon_in_flight(session: Session, bot_id: str) -> int:
    """Replies a dead process left ``sending`` become ``unknown``: they may have arrived, so they are never
    sent again. Call it once the lease is held (no other process is sending). How many."""
    begin_write(session)
    return rowcount(
        session.exec(
            update(BotReply)
            .where(col(BotReply.bot_id) == bot_id, col(BotReply.status) == "sending")
            .values(status="unknown", last_error="the bot stopped while it was sending this reply")
        )
    )


def prune_replies(session: Session, bot_id: str, older_than: dt.datetime) -> int:
    """Delete replies done (sent, failed, unknown) before ``older_than``: their text is no history worth
    keeping. How many."""
    begin_write(session)
    return rowcount(
        session.exec(
            delete(BotReply).where(
                col(BotReply.bot_id) == bot_id,
                col(BotReply.status).in_(("sent", "failed", "unknown")),
                col(BotReply.created_at) < older_than,
            )
        )
    )


def reply_counts(session: Session, bot_id: str) -> dict[str, int]:
    """How many replies are in each status (tests, diagnostics)."""
    counts: dict[str, int] = {}
    for status in session.exec(select(col(BotReply.status)).where(col(BotReply.bot_id) == bot_id)).all():
        counts[status] = counts.get(status, 0) + 1
    return counts


__all__ = [
    "ChatView",
    "ReplyView",
    "abandon_in_flight",
    "acquire_lease",
    "active_chats",
    "advance_offset",
    "block_channel",
    "block_chat",
    "count_chats",
    "due_replies",
    "forget_chat",
    "get_chat",
    "lease_holder",
    "mark_reply",
    "mark_sending",
    "prune_replies",
    "queue_reply",
    "release_lease",
    "reply_counts",
    "save_chat",
    "stored_offset",
]
