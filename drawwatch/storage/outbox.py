"""The alert outbox: claiming due rows for delivery and recording what became of them.

Delivery is "exactly once" because of how rows move, not because of the sender:
- alerts are queued once per key (see :mod:`drawwatch.storage.matching`);
- :func:`claim_due` takes due rows with a lease in one ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP
  LOCKED) RETURNING``; concurrent senders on PostgreSQL skip each other's rows, and SQLite serialises
  writers (it has no SKIP LOCKED and needs none). A sender killed mid-batch leaves rows that become
  claimable when the lease ends.
- :func:`mark_sent` / :func:`mark_failed` only change a row still claimed by the caller, so a sender whose
  lease ran out and was taken over cannot overwrite the new owner's outcome.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import (
    and_,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlmodel import Session

from drawwatch.domain.clock import utcnow
from drawwatch.domain.errors import InvalidInput
from drawwatch.domain.vocabulary import ALERT_STATUSES, RETRYABLE_STATUSES
from drawwatch.storage.db import begin_write
from drawwatch.storage.sql import ALERT as _ALERT
from drawwatch.storage.sql import CATEGORY as _CATEGORY
from drawwatch.storage.sql import CHANNEL as _CHANNEL
from drawwatch.storage.sql import ROUND as _DRAW
from drawwatch.storage.sql import SUBSCRIBER as _SUBSCRIBER
from drawwatch.storage.sql import rowcount as _rowcount

# The selects here are Core ones over the tables (sqlalchemy.select): SQLModel's Session.exec runs them as it
# runs its own select(), but types only its own, hence the ``type: ignore[call-overload]`` on those calls.

MAX_BACKOFF_SECONDS: Final = 6 * 3600
MAX_ERROR_LENGTH: Final = 4000  # an error is a diagnosis, not a log: keep rows small


# The statuses as SQL text, not bound parameters: only then can SQLite and PostgreSQL prove that the query
# matches the partial index ``ix_alert_due`` (whose WHERE is this very term).
_CLAIMABLE = _ALERT.c.status.in_([literal_column(f"'{status}'") for status in RETRYABLE_STATUSES])


# --- delivery --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    """What every claimed outbox row carries: the row, its subscriber and the channel, so it can be held,
    rendered, sent and recorded without touching the database again. ``attempts`` counts the tries before
    this one. A row is a :class:`ClaimedAlert` (about a round) or a :class:`ClaimedReminder`."""

    alert_id: int
    attempts: int
    kind: str
    created_at: dt.datetime
    lease_until: dt.datetime
    subscriber_id: int
    subscriber_name: str
    subscriber_crs: int
    subscriber_submitted_at: dt.datetime | None
    subscriber_language: str
    subscriber_unsubscribe_token: str
    channel_id: int
    channel_url: str
    subscriber_active: bool
    subscriber_quiet_hours: str | None
    subscriber_timezone: str | None
    # A CRS profile (JSON) when the subscriber saved one: alerts state its score on the round's day,
    # reminders say what it foresees.
    subscriber_profile: str | None


@dataclass(frozen=True, slots=True)
class ClaimedAlert(ClaimedMessage):
    """A round alert or correction notice, with its round."""

    tie: str
    draw_id: int
    round_number: str
    round_date: dt.date
    round_name: str
    round_category: str
    round_list_version: str | None
    round_crs: int
    round_invitations: int
    round_tie_break: dt.datetime | None
    round_tie_break_raw: str
    round_url: str
    revision: int
    qualifying_occupation: str | None = None
    # The day of the round of the subscriber's previous round alert (what "changed since" compares with).
    previous_round_date: dt.date | None = None


@dataclass(frozen=True, slots=True)
class ClaimedReminder(ClaimedMessage):
    """A reminder: about no round, about what the profile foresees on ``event_on``."""

    event_on: dt.date


_PREVIOUS = _ALERT.alias("previous_alert")
_PREVIOUS_DRAW = _DRAW.alias("previous_draw")
# The latest earlier round the subscriber was alerted about, for a profile's "changed since" note.
_PREVIOUS_ROUND_DATE = (
    select(func.max(_PREVIOUS_DRAW.c.date))
    .select_from(_PREVIOUS.join(_PREVIOUS_DRAW, _PREVIOUS_DRAW.c.id == _PREVIOUS.c.draw_id))
    .where(
        _PREVIOUS.c.subscriber_id == _ALERT.c.subscriber_id,
        _PREVIOUS.c.kind == "round",
        _PREVIOUS_DRAW.c.date < _DRAW.c.date,
    )
    .correlate(_ALERT, _DRAW)
    .scalar_subquery()
)

_MESSAGE_COLUMNS = (  # in the order of ClaimedMessage's fields
    _ALERT.c.id,
    _ALERT.c.attempts,
    _ALERT.c.kind,
    _ALERT.c.created_at,
    _ALERT.c.lease_until,
    _SUBSCRIBER.c.id,
    _SUBSCRIBER.c.name,
    _SUBSCRIBER.c.crs,
    _SUBSCRIBER.c.submitted_at,
    _SUBSCRIBER.c.language,
    _SUBSCRIBER.c.unsubscribe_token,
    _CHANNEL.c.id,
    _CHANNEL.c.url,
    _SUBSCRIBER.c.active,
    _SUBSCRIBER.c.quiet_hours,
    _SUBSCRIBER.c.timezone,
    _SUBSCRIBER.c.profile,
)
_ALERT_COLUMNS = (  # then ClaimedAlert's
    *_MESSAGE_COLUMNS,
    _ALERT.c.tie,
    _DRAW.c.id,
    _DRAW.c.number,
    _DRAW.c.date,
    _DRAW.c.name,
    _DRAW.c.category,
    _DRAW.c.list_version,
    _DRAW.c.crs,
    _DRAW.c.invitations,
    _DRAW.c.tie_break,
    _DRAW.c.tie_break_raw,
    _DRAW.c.url,
    _ALERT.c.revision,
    _CATEGORY.c.via,
    _PREVIOUS_ROUND_DATE,
)
_REMINDER_COLUMNS = (*_MESSAGE_COLUMNS, _ALERT.c.event_on)  # then ClaimedReminder's


def claim_due(
    session: Session,
    *,
    worker: str,
    limit: int = 100,
    lease_seconds: float = 300,
    now: dt.datetime | None = None,
    due_by: dt.datetime | None = None,
) -> list[ClaimedMessage]:
    """Claim up to ``limit`` due alerts for ``worker`` until ``now + lease_seconds``; oldest due first.

    ``due_by`` (default ``now``) bounds ``next_attempt_at``: a delivery run passes its start time so that an
    alert it retried is not claimed again in the same run, whatever the backoff.

    Due: pending or failed, ``next_attempt_at`` reached, and not under someone else's unexpired lease.
    Commit right after (a short transaction), then send, then :func:`mark_sent` / :func:`mark_failed`;
    the lease must outlast a batch's sending, or a slow send may be taken over and sent twice
    (:func:`drawwatch.app.deliver.lease_problem` refuses settings under which it cannot).
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    now = now or utcnow()
    begin_write(session)  # SQLite: hold the writer lock from the SELECT on, so no two senders pick a row
    due = (
        select(_ALERT.c.id)
        .where(
            _CLAIMABLE,
            _ALERT.c.next_attempt_at <= (due_by or now),
            or_(_ALERT.c.lease_until.is_(None), _ALERT.c.lease_until < now),
        )
        .order_by(_ALERT.c.next_attempt_at, _ALERT.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claim = (
        update(_ALERT)
        .where(_ALERT.c.id.in_(due))
        .values(claimed_by=worker, lease_until=now + dt.timedelta(seconds=lease_seconds))
        .returning(_ALERT.c.id)
    )
    ids = list(session.exec(claim).scalars())
    if not ids:
        return []
    order = (_ALERT.c.next_attempt_at, _ALERT.c.id)
    alerts = session.exec(  # type: ignore[call-overload]  # a Core select: see the note at the top
        select(*_ALERT_COLUMNS)
        .select_from(_ALERT)
        .join(_SUBSCRIBER, _SUBSCRIBER.c.id == _ALERT.c.subscriber_id)
        .join(_CHANNEL, _CHANNEL.c.id == _ALERT.c.channel_id)
        .join(_DRAW, _DRAW.c.id == _ALERT.c.draw_id)
        .outerjoin(  # the occupation that made the subscriber eligible, when the category was derived
            _CATEGORY,
            and_(
                _CATEGORY.c.subscriber_id == _ALERT.c.subscriber_id,
                _CATEGORY.c.category == _DRAW.c.category,
                _CATEGORY.c.source == "noc",
            ),
        )
        .where(_ALERT.c.id.in_(ids))
        .order_by(*order)
    )
    claimed: list[ClaimedMessage] = [ClaimedAlert(*row) for row in alerts]
    if len(claimed) < len(ids):  # the rest are reminders (about no round)
        reminders = session.exec(  # type: ignore[call-overload]  # a Core select
            select(*_REMINDER_COLUMNS)
            .select_from(_ALERT)
            .join(_SUBSCRIBER, _SUBSCRIBER.c.id == _ALERT.c.subscriber_id)
            .join(_CHANNEL, _CHANNEL.c.id == _ALERT.c.channel_id)
            .where(_ALERT.c.id.in_(ids), _ALERT.c.draw_id.is_(None))
            .order_by(*order)
        )
        claimed.extend(ClaimedReminder(*row) for row in reminders)
    return claimed


def _settle(session: Session, alert_id: int, worker: str, **values: Any) -> bool:
    """Set ``values`` on an alert ``worker`` still holds and release the claim; False when it does not (its
    lease ran out and another sender took it over: that sender's outcome stands)."""
    begin_write(session)
    stmt = (
        update(_ALERT)
        .where(_ALERT.c.id == alert_id, _ALERT.c.claimed_by == worker, _CLAIMABLE)
        .values(claimed_by=None, lease_until=None, **values)
    )
    return _rowcount(session.exec(stmt)) == 1


def mark_sent(session: Session, alert_id: int, *, worker: str, now: dt.datetime | None = None) -> bool:
    """Record a delivered alert; False (and nothing changed) when ``worker`` no longer holds the claim."""
    return _settle(
        session, alert_id, worker, status="sent", sent_at=now or utcnow(), attempts=_ALERT.c.attempts + 1
    )


def mark_sent_many(
    session: Session | Connection,
    alert_ids: Sequence[int],
    *,
    worker: str,
    now: dt.datetime | None = None,
) -> set[int]:
    """:func:`mark_sent` for several alerts in one statement; the ids recorded (those ``worker`` still held).

    An id missing from the result was taken over by another sender after its lease ran out: nothing of it
    changed, as with :func:`mark_sent` returning False. It takes a plain connection too (the delivery loop's
    groups of accepted sends: an ORM session would cost more than the statement), and the statement is
    built once: each group of sends only binds its ids.
    """
    if not alert_ids:
        return set()
    begin_write(session)
    params = {"ids": list(alert_ids), "worker": worker, "sent_at": now or utcnow()}
    return set(session.execute(_MARK_SENT, params).scalars())


_MARK_SENT: Final = (
    update(_ALERT)
    .where(
        _ALERT.c.id.in_(bindparam("ids", expanding=True)),
        _ALERT.c.claimed_by == bindparam("worker"),
        _CLAIMABLE,
    )
    .values(
        claimed_by=None,
        lease_until=None,
        status="sent",
        sent_at=bindparam("sent_at", type_=_ALERT.c.sent_at.type),
        attempts=_ALERT.c.attempts + 1,
    )
    .returning(_ALERT.c.id)
)


def retry_delay(attempts: int, backoff_seconds: float, retry_after: float | None = None) -> float:
    """Seconds to wait after the ``attempts``-th failed try: exponential backoff capped at 6 hours, but
    never sooner than the channel's own ``Retry-After``."""
    exponential = backoff_seconds * 2 ** min(max(attempts - 1, 0), 32)
    return max(min(exponential, MAX_BACKOFF_SECONDS), retry_after or 0.0, 0.0)


def mark_failed(
    session: Session,
    alert_id: int,
    *,
    worker: str,
    error: str,
    now: dt.datetime | None = None,
    max_attempts: int,
    backoff_seconds: float,
    retry_after: float | None = None,
) -> str:
    """Record a failed try and release the claim; returns the new status.

    ``"dead"`` once ``max_attempts`` tries failed (the caller tells the operator), else ``"failed"`` with
    the next try scheduled by :func:`retry_delay`. ``"lost"`` (nothing changed) when ``worker`` no longer
    holds the claim. ``error`` must already be redacted: it is stored and shown as given.
    """
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
    now = now or utcnow()
    begin_write(session)
    guard = (_ALERT.c.id == alert_id, _ALERT.c.claimed_by == worker, _CLAIMABLE)
    before = session.exec(select(_ALERT.c.attempts).where(*guard)).scalar_one_or_none()  # type: ignore[call-overload]  # a Core select: see the note at the top
    if before is None:
        return "lost"
    attempts = before + 1
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_error": error[:MAX_ERROR_LENGTH],
        "claimed_by": None,
        "lease_until": None,
    }
    if attempts >= max_attempts:
        values["status"] = "dead"
    else:
        values["status"] = "failed"
        delay = retry_delay(attempts, backoff_seconds, retry_after)
        values["next_attempt_at"] = now + dt.timedelta(seconds=delay)
    # attempts == before: another sender cannot have changed the row since we read it (on SQLite the
    # writer lock already ensures that; on PostgreSQL the row is not locked by the SELECT).
    stmt = update(_ALERT).where(*guard, _ALERT.c.attempts == before).values(**values)
    return values["status"] if _rowcount(session.exec(stmt)) == 1 else "lost"


def mark_ambiguous(session: Session, alert_id: int, *, worker: str, error: str) -> bool:
    """Record a send that may have arrived (the request left, no answer came): status ``ambiguous``, which
    nothing claims again; only the operator resends it (:func:`retry_alerts`). False when the claim is lost."""
    return _settle(
        session,
        alert_id,
        worker,
        status="ambiguous",
        attempts=_ALERT.c.attempts + 1,
        last_error=error[:MAX_ERROR_LENGTH],
    )


def defer(
    session: Session, alert_id: int, *, worker: str, until: dt.datetime, note: str | None = None
) -> bool:
    """Give a claim back unsent, not to be claimed before ``until`` (quiet hours, a service's rate limit).

    Not a failed try: ``attempts`` is unchanged, so waiting never makes an alert dead. ``note`` (redacted)
    replaces ``last_error`` when given. False when ``worker`` no longer holds the claim.
    """
    values: dict[str, Any] = {"next_attempt_at": until}
    if note is not None:
        values["last_error"] = note[:MAX_ERROR_LENGTH]
    return _settle(session, alert_id, worker, **values)


def cancel(session: Session, alert_id: int, *, worker: str, reason: str) -> bool:
    """Cancel a claimed alert that must not be sent (its subscriber was deactivated since it was queued)."""
    return _settle(session, alert_id, worker, status="cancelled", last_error=reason)


RESENDABLE_STATUSES: Final = ("ambiguous", "dead", "failed")


def retry_alerts(session: Session, alert_ids: Sequence[int], *, now: dt.datetime | None = None) -> list[int]:
    """Make ambiguous, dead or failed alerts due again now (an operator's decision); returns the ids changed.

    ``attempts`` is kept, and a dead alert gets one more try (``max_attempts`` counts from there). Alerts of
    inactive subscribers, and sent or cancelled ones, are left alone.
    """
    now = now or utcnow()
    begin_write(session)
    active = select(_SUBSCRIBER.c.id).where(_SUBSCRIBER.c.active)
    stmt = (
        update(_ALERT)
        .where(
            _ALERT.c.id.in_(list(alert_ids)),
            _ALERT.c.status.in_(RESENDABLE_STATUSES),
            _ALERT.c.subscriber_id.in_(active),
        )
        .values(status="pending", next_attempt_at=now, claimed_by=None, lease_until=None)
        .returning(_ALERT.c.id)
    )
    return sorted(session.exec(stmt).scalars())


def release(session: Session, alert_id: int, *, worker: str) -> bool:
    """Give a claim back untouched (e.g. on shutdown before sending): claimable again at once."""
    return _settle(session, alert_id, worker)


# --- reading the outbox ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertView:
    """One outbox row for listing (no channel URL: it holds secrets; look it up by ``channel_id``)."""

    id: int
    subscriber_id: int
    subscriber_name: str
    draw_id: int | None  # None for a reminder (about ``event_on``, no round)
    round_number: str | None
    channel_id: int
    kind: str
    tie: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    sent_at: dt.datetime | None
    last_error: str | None
    created_at: dt.datetime
    event_on: dt.date | None = None


def list_alerts(session: Session, *, status: str | None = None, limit: int | None = None) -> list[AlertView]:
    """Outbox rows newest first, optionally of one status."""
    if status is not None and status not in ALERT_STATUSES:
        raise InvalidInput(f"unknown alert status {status!r} (known: {', '.join(ALERT_STATUSES)})")
    stmt = (
        select(
            _ALERT.c.id,
            _ALERT.c.subscriber_id,
            _SUBSCRIBER.c.name,
            _ALERT.c.draw_id,
            _DRAW.c.number,
            _ALERT.c.channel_id,
            _ALERT.c.kind,
            _ALERT.c.tie,
            _ALERT.c.status,
            _ALERT.c.attempts,
            _ALERT.c.next_attempt_at,
            _ALERT.c.sent_at,
            _ALERT.c.last_error,
            _ALERT.c.created_at,
            _ALERT.c.event_on,
        )
        .select_from(_ALERT)
        .join(_SUBSCRIBER, _SUBSCRIBER.c.id == _ALERT.c.subscriber_id)
        .outerjoin(_DRAW, _DRAW.c.id == _ALERT.c.draw_id)  # a reminder has no round
        .order_by(_ALERT.c.created_at.desc(), _ALERT.c.id.desc())
    )
    if status is not None:
        stmt = stmt.where(_ALERT.c.status == status)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [AlertView(*row) for row in session.exec(stmt)]  # type: ignore[call-overload]  # a Core select: see the note at the top


def alert_counts(session: Session) -> dict[str, int]:
    """Rows per status; every known status is present (0 when none)."""
    counts = dict.fromkeys(ALERT_STATUSES, 0)
    stmt = select(_ALERT.c.status, func.count()).group_by(_ALERT.c.status)
    counts.update({status: count for status, count in session.exec(stmt)})  # type: ignore[call-overload]  # a Core select: see the note at the top
    return counts


def next_due_at(session: Session) -> dt.datetime | None:
    """When the earliest undelivered alert can next be claimed (None: nothing waits), for the daemon's
    sleep. A row under lease counts from its lease's end, so a daemon does not spin on rows another sender
    is working on."""
    due = case(
        (_ALERT.c.lease_until > _ALERT.c.next_attempt_at, _ALERT.c.lease_until),
        else_=_ALERT.c.next_attempt_at,
    )
    return session.exec(select(func.min(due)).where(_CLAIMABLE)).scalar_one_or_none()  # type: ignore[call-overload]  # a Core select: see the note at the top
