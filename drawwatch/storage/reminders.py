"""Reminders in the outbox: who is due a look today, queueing a reminder once per channel, the next day to
look. A reminder is an ``alert`` row about no round (``draw_id`` NULL, ``event_on`` the day it warns of), so
it is claimed, sent, retried and held in quiet hours exactly like an alert (:mod:`drawwatch.storage.outbox`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import Date, Integer, and_, bindparam, case, literal, select, update
from sqlmodel import Session

from drawwatch.domain.clock import utcnow
from drawwatch.domain.vocabulary import REMINDER_KINDS
from drawwatch.storage.db import begin_write
from drawwatch.storage.sql import ALERT as _ALERT
from drawwatch.storage.sql import CHANNEL as _CHANNEL
from drawwatch.storage.sql import SUBSCRIBER as _SUBSCRIBER
from drawwatch.storage.sql import dialect_insert
from drawwatch.storage.sql import rowcount as _rowcount

NO_ROUND = _ALERT.c.draw_id.is_(None)
_QUEUED_COLUMNS = (
    "subscriber_id", "channel_id", "tie", "kind", "status", "attempts", "next_attempt_at", "created_at",
    "event_on",
)  # fmt: skip


class DueProfile(NamedTuple):
    subscriber_id: int
    profile: str


class NewReminder(NamedTuple):
    subscriber_id: int
    kind: str
    event_on: dt.date


def reminders_due(session: Session, today: dt.date) -> list[DueProfile]:
    """Active subscribers who opted in, have a profile and whose next reminder day has come."""
    rows = session.exec(  # type: ignore[call-overload]  # a Core select
        select(_SUBSCRIBER.c.id, _SUBSCRIBER.c.profile)
        .where(
            _SUBSCRIBER.c.remind_on.is_not(None),
            _SUBSCRIBER.c.remind_on <= today,
            _SUBSCRIBER.c.reminders,
            _SUBSCRIBER.c.active,
            _SUBSCRIBER.c.profile.is_not(None),
        )
        .order_by(_SUBSCRIBER.c.id)
    )
    return [DueProfile(*row) for row in rows]


def queue_reminders(
    session: Session, reminders: Sequence[NewReminder], *, now: dt.datetime | None = None
) -> int:
    """One outbox row per channel of each reminder's subscriber; a reminder queued before adds nothing.
    Returns the rows added. Does not commit."""
    if not reminders:
        return 0
    if unknown := {r.kind for r in reminders} - set(REMINDER_KINDS):
        raise ValueError(f"not reminder kinds: {sorted(unknown)}")
    now = now or utcnow()
    begin_write(session)
    added = 0
    stamp = _ALERT.c.created_at.type
    for reminder in reminders:
        source = select(
            _CHANNEL.c.subscriber_id,
            _CHANNEL.c.id,
            literal("clear"),  # ``tie`` is a round's matter; a reminder has no standing
            literal(reminder.kind),
            literal("pending"),
            literal(0, Integer()),
            literal(now, stamp),
            literal(now, stamp),
            literal(reminder.event_on, Date()),
        ).where(_CHANNEL.c.subscriber_id == reminder.subscriber_id)
        stmt = (
            dialect_insert(session, _ALERT)
            .from_select(list(_QUEUED_COLUMNS), source)
            .on_conflict_do_nothing(
                index_elements=["subscriber_id", "channel_id", "kind", "event_on"], index_where=NO_ROUND
            )
            .execution_options(preserve_rowcount=True)
        )
        added += _rowcount(session.exec(stmt))
    return added


def set_remind_on(session: Session, days: Sequence[tuple[int, dt.date | None]]) -> None:
    """Store each subscriber's next reminder day (None: nothing foreseen). Does not commit."""
    if not days:
        return
    begin_write(session)
    stmt = (
        update(_SUBSCRIBER)
        .where(_SUBSCRIBER.c.id == bindparam("sid"))
        .values(remind_on=bindparam("day", type_=Date()))
        .execution_options(synchronize_session=False)
    )
    session.connection().execute(stmt, [{"sid": sid, "day": day} for sid, day in days])


class ReminderState(NamedTuple):
    enabled: bool
    next_on: dt.date | None  # the next day the reminders step looks (None: nothing foreseen, or off)


def reminder_state(session: Session, subscriber_id: int) -> ReminderState | None:
    row = session.exec(  # type: ignore[call-overload]  # a Core select
        select(_SUBSCRIBER.c.reminders, _SUBSCRIBER.c.remind_on).where(_SUBSCRIBER.c.id == subscriber_id)
    ).first()
    return None if row is None else ReminderState(*row)


def reset_reminders(
    session: Session, subscriber_id: int, today: dt.date, *, enabled: bool | None = None
) -> None:
    """After the subscriber's profile or opt-in changed (``enabled``: a new opt-in; None keeps it): cancel
    the reminders not yet sent and let the next check look again today, or never without a profile or
    opt-in. Does not commit."""
    begin_write(session)
    values: dict[str, object] = {
        "remind_on": case(
            (and_(_SUBSCRIBER.c.profile.is_not(None), _SUBSCRIBER.c.reminders), literal(today, Date())),
            else_=None,
        )
    }
    if enabled is not None:
        session.exec(update(_SUBSCRIBER).where(_SUBSCRIBER.c.id == subscriber_id).values(reminders=enabled))
    session.exec(update(_SUBSCRIBER).where(_SUBSCRIBER.c.id == subscriber_id).values(**values))
    cancel_pending_reminders(session, subscriber_id)


def cancel_pending_reminders(session: Session, subscriber_id: int) -> int:
    """Cancel a subscriber's reminders not yet sent (they opted out, or their profile changed)."""
    stmt = (
        update(_ALERT)
        .where(
            _ALERT.c.subscriber_id == subscriber_id,
            NO_ROUND,
            _ALERT.c.status.in_(("pending", "failed")),
            _ALERT.c.claimed_by.is_(None),
        )
        .values(status="cancelled", last_error="reminders turned off or profile changed")
        .execution_options(preserve_rowcount=True)
    )
    return _rowcount(session.exec(stmt))
