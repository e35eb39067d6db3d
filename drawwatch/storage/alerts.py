"""The alert outbox: who a round alerts (one SQL predicate), queueing, and claiming rows for delivery.

Delivery is "exactly once" because of how rows move, not because of the sender:
- :func:`queue_round_alerts` runs in the transaction that stored the new round, as one set-based
  ``INSERT … SELECT … ON CONFLICT DO NOTHING``: the round and its alerts commit together, and repeating it
  (a retried check, two overlapping checks) adds nothing.
- :func:`claim_due` takes due rows with a lease in one ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP
  LOCKED) RETURNING``; concurrent senders on PostgreSQL skip each other's rows, and SQLite serialises
  writers (it has no SKIP LOCKED and needs none). A sender killed mid-batch leaves rows that become
  claimable when the lease ends.
- :func:`mark_sent` / :func:`mark_failed` only change a row still claimed by the caller, so a sender whose
  lease ran out and was taken over cannot overwrite the new owner's outcome.

The eligibility rules of PRODUCT.md ("Who gets an alert") live in :func:`eligibility_where` alone; queueing,
:func:`matches` and any later backtest build on it, so they cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Table,
    and_,
    case,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col
from sqlmodel import select as sqlmodel_select

from drawwatch.storage.db import begin_write, utcnow
from drawwatch.storage.models import (
    ALERT_STATUSES,
    RETRYABLE_STATUSES,
    Alert,
    Draw,
    Subscriber,
    SubscriberCategory,
    SubscriberChannel,
)

MAX_BACKOFF_SECONDS: Final = 6 * 3600
MAX_ERROR_LENGTH: Final = 4000  # an error is a diagnosis, not a log: keep rows small

_ALERT = cast(Table, Alert.__table__)  # type: ignore[attr-defined]
_SUBSCRIBER = cast(Table, Subscriber.__table__)  # type: ignore[attr-defined]
_CATEGORY = cast(Table, SubscriberCategory.__table__)  # type: ignore[attr-defined]
_CHANNEL = cast(Table, SubscriberChannel.__table__)  # type: ignore[attr-defined]
_DRAW = cast(Table, Draw.__table__)  # type: ignore[attr-defined]

# The statuses as SQL text, not bound parameters: only then can SQLite and PostgreSQL prove that the query
# matches the partial index ``ix_alert_due`` (whose WHERE is this very term).
_CLAIMABLE = _ALERT.c.status.in_([literal_column(f"'{status}'") for status in RETRYABLE_STATUSES])


# --- who gets an alert -----------------------------------------------------------------------------------


def _is_sql(value: Any) -> bool:
    return isinstance(value, ColumnElement) or hasattr(value, "__clause_element__")


def _is_null(value: Any) -> Any:
    """``value IS NULL`` for a column, a plain bool for a known value (folded away by and_/or_)."""
    return value.is_(None) if _is_sql(value) else value is None


# The conditions of "Who gets an alert", by name. The first two concern the subscription (is it live, did it
# exist when the round appeared); the others the subscriber's settings, which a backtest reports one by one.
SUBSCRIPTION_CONDITIONS: Final = ("active", "subscribed_before")
SETTINGS_CONDITIONS: Final = ("category", "score", "tie_break")


def eligibility_conditions(draw: Any) -> dict[str, ColumnElement[bool]]:
    """PRODUCT.md's "Who gets an alert" for one round, as named SQL conditions over ``subscriber``.

    ``draw`` is a :class:`Draw` row (its values are bound; conditions they settle, such as "the round is
    general", are folded away) or the ``Draw`` class / an ``aliased(Draw)`` (its columns are used, for one
    set-based query over many rounds, e.g. a backtest joining ``draw``). Conditions:

    - ``active``: the subscriber is active;
    - ``subscribed_before``: the subscriber was created before the round was first seen;
    - ``category``: the round is ``general``, or its category is one of the subscriber's (EXISTS on
      subscriber_category);
    - ``score``: CRS ≥ cut-off;
    - ``tie_break``: at exactly the cut-off, a known submission time after a known tie-break time means the
      subscriber was not invited.

    :func:`eligibility_where` ANDs them; the backtest selects each to explain its verdict.
    """
    crs, category, tie_break = draw.crs, draw.category, draw.tie_break
    submitted_at = col(Subscriber.submitted_at)
    in_category = exists().where(
        col(SubscriberCategory.subscriber_id) == col(Subscriber.id),
        col(SubscriberCategory.category) == category,
    )
    # A round without a tie-break time excludes nobody at the cut-off.
    not_tied_out: ColumnElement[bool] = (
        true()
        if _is_null(tie_break) is True
        else or_(
            col(Subscriber.crs) > crs, submitted_at.is_(None), _is_null(tie_break), submitted_at <= tie_break
        )
    )
    return {
        "active": col(Subscriber.active),
        "subscribed_before": col(Subscriber.created_at) < draw.first_seen_at,
        "category": or_(category == "general", in_category),
        "score": col(Subscriber.crs) >= crs,
        "tie_break": not_tied_out,
    }


def eligibility_where(draw: Any) -> ColumnElement[bool]:
    """The WHERE clause, over ``subscriber``, of who a round alerts: every :func:`eligibility_conditions`."""
    return and_(*eligibility_conditions(draw).values())  # a condition folded to true() is left out


STANDINGS: Final = ("clear", "tie_unknown", "tie_invited", "tie_not_invited", "below")


def standing_case(draw: Any) -> ColumnElement[str]:
    """Where a subscriber's score stands against a round's cut-off, as one of :data:`STANDINGS`:
    ``clear`` (above it), ``tie_unknown`` (at it, submission or tie-break time unknown), ``tie_invited`` (at
    it, submitted by the tie-break), ``tie_not_invited`` (at it, submitted after) or ``below``.

    The first three are the ``tie`` of an alert; correction notices and the backtest use all five.
    """
    crs, tie_break = draw.crs, draw.tie_break
    submitted_at = col(Subscriber.submitted_at)
    whens: list[Any] = [
        (col(Subscriber.crs) < crs, "below"),
        (col(Subscriber.crs) > crs, "clear"),
        (or_(submitted_at.is_(None), _is_null(tie_break)), "tie_unknown"),
    ]
    if _is_null(tie_break) is True:
        return case(*whens, else_="tie_unknown")
    return case(*whens, (submitted_at <= tie_break, "tie_invited"), else_="tie_not_invited")


def eligible_subscribers(draw: Any) -> Select[Any]:
    """``(subscriber_id, channel_id, tie)`` for each channel of each subscriber a round alerts.

    Reusable: :func:`queue_round_alerts` inserts from it; tests and reports can run it as it is.
    """
    return (
        select(
            col(Subscriber.id).label("subscriber_id"),
            col(SubscriberChannel.id).label("channel_id"),
            standing_case(draw).label("tie"),  # clear, tie_unknown or tie_invited for an eligible one
        )
        .join(SubscriberChannel, col(SubscriberChannel.subscriber_id) == col(Subscriber.id))
        .where(eligibility_where(draw))
    )


def matches(draw: Any) -> Select[Any]:
    """The ids of the subscribers a round alerts (same predicate, no channels)."""
    # SQLModel's select: ``session.exec(matches(draw))`` yields ids, not 1-tuples.
    return sqlmodel_select(col(Subscriber.id)).where(eligibility_where(draw))


def queue_round_alerts(
    session: Session, draws: Sequence[Draw], *, kind: str = "round", now: dt.datetime | None = None
) -> int:
    """Queue the alerts for new rounds; returns how many rows were added.

    One ``INSERT INTO alert … SELECT … ON CONFLICT DO NOTHING`` per round: the database does the work, so
    time and memory do not grow with the subscribers in Python, and queueing twice adds nothing. Rounds
    stored by a baseline check are history and alert nobody. Does not commit: run it in the transaction
    that stored the rounds, so they and their alerts become visible together.
    """
    now = now or utcnow()
    queued = 0
    for draw in draws:
        if draw.baseline:
            continue
        if draw.id is None:
            raise ValueError(f"round {draw.number} must be flushed (have an id) before alerts are queued")
        begin_write(session)
        source = eligible_subscribers(draw).add_columns(*_new_row_values(draw.id, kind, now, revision=0))
        queued += _insert_alerts(session, source)
    return queued


def _told_about_round(alert: Any) -> ColumnElement[bool]:
    """An alert row whose recipient may hold the round's old figures: sent, sent without an answer
    (ambiguous), or being sent right now (claimed: rendered from the round as it was)."""
    return or_(
        alert.c.status.in_(("sent", "ambiguous")),
        and_(alert.c.status.in_(RETRYABLE_STATUSES), alert.c.claimed_by.is_not(None)),
    )


def queue_corrections(session: Session, draw: Draw, *, revision: int, now: dt.datetime | None = None) -> int:
    """Queue one correction notice per channel that was told about ``draw`` before IRCC corrected it.

    ``revision`` is the id of the check that recorded the correction (its ``draw_change`` rows say what
    changed); the unique key makes queueing it twice add nothing. ``tie`` holds the subscriber's standing
    against the corrected round (:func:`standing_case`): a correction can take someone below the cut-off.
    Round alerts still waiting are not "told": they will be rendered from the corrected round. Inactive
    subscribers get nothing. Does not commit.
    """
    if draw.id is None:
        raise ValueError(f"round {draw.number} must be flushed (have an id) before corrections are queued")
    now = now or utcnow()
    begin_write(session)
    told = _ALERT.alias("told")
    source = (
        select(
            told.c.subscriber_id,
            told.c.channel_id,
            standing_case(draw),
            *_new_row_values(draw.id, "correction", now, revision=revision),
        )
        .select_from(told)
        .join(_SUBSCRIBER, _SUBSCRIBER.c.id == told.c.subscriber_id)
        .where(
            told.c.draw_id == draw.id,
            told.c.kind == "round",
            _told_about_round(told),
            _SUBSCRIBER.c.active,
        )
    )
    return _insert_alerts(session, source)


# What a queueing SELECT yields: (subscriber_id, channel_id, tie) from the query, then _new_row_values.
_QUEUED_COLUMNS: Final = (
    "subscriber_id", "channel_id", "tie",
    "draw_id", "kind", "status", "attempts", "next_attempt_at", "created_at", "revision",
)  # fmt: skip


def _new_row_values(draw_id: int, kind: str, now: dt.datetime, *, revision: int) -> tuple[Any, ...]:
    """The constant part of a new outbox row, as bound literals for an ``INSERT … SELECT``."""
    datetime_type = _ALERT.c.created_at.type
    return (
        literal(draw_id, Integer()),
        literal(kind),
        literal("pending"),
        literal(0, Integer()),
        literal(now, datetime_type),
        literal(now, datetime_type),
        literal(revision, Integer()),
    )


def _insert_alerts(session: Session, source: Select[Any]) -> int:
    """``INSERT INTO alert (_QUEUED_COLUMNS) SELECT … ON CONFLICT (the alert key) DO NOTHING``; rows added."""
    insert = postgresql.insert if _is_postgres(session) else sqlite.insert
    stmt = (
        insert(_ALERT)
        .from_select(list(_QUEUED_COLUMNS), source)
        .on_conflict_do_nothing(index_elements=["subscriber_id", "draw_id", "channel_id", "kind", "revision"])
        # Without it SQLAlchemy reports -1 for an INSERT on psycopg (it keeps rowcount for UPDATE/DELETE).
        .execution_options(preserve_rowcount=True)
    )
    return _rowcount(session.exec(stmt))


# --- delivery --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClaimedAlert:
    """Everything needed to render and send one claimed alert, without touching the database again.

    ``attempts`` counts the tries before this one.
    """

    alert_id: int
    attempts: int
    kind: str
    tie: str
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
    draw_id: int
    draw_number: str
    draw_date: dt.date
    draw_name: str
    draw_category: str
    draw_list_version: str | None
    draw_crs: int
    draw_invitations: int
    draw_tie_break: dt.datetime | None
    draw_tie_break_raw: str
    draw_url: str
    revision: int
    subscriber_active: bool
    subscriber_quiet_hours: str | None
    subscriber_timezone: str | None
    qualifying_occupation: str | None = None


_CLAIMED_COLUMNS = (
    _ALERT.c.id,
    _ALERT.c.attempts,
    _ALERT.c.kind,
    _ALERT.c.tie,
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
    _SUBSCRIBER.c.active,
    _SUBSCRIBER.c.quiet_hours,
    _SUBSCRIBER.c.timezone,
    _CATEGORY.c.via,
)


def claim_due(
    session: Session,
    *,
    worker: str,
    limit: int = 100,
    lease_seconds: float = 300,
    now: dt.datetime | None = None,
    due_by: dt.datetime | None = None,
) -> list[ClaimedAlert]:
    """Claim up to ``limit`` due alerts for ``worker`` until ``now + lease_seconds``; oldest due first.

    ``due_by`` (default ``now``) bounds ``next_attempt_at``: a delivery run passes its start time so that an
    alert it retried is not claimed again in the same run, whatever the backoff.

    Due: pending or failed, ``next_attempt_at`` reached, and not under someone else's unexpired lease.
    Commit right after (a short transaction), then send, then :func:`mark_sent` / :func:`mark_failed`;
    the lease must outlast a batch's sending, or a slow send may be taken over and sent twice.
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
    rows = session.exec(
        select(*_CLAIMED_COLUMNS)
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
        .order_by(_ALERT.c.next_attempt_at, _ALERT.c.id)
    )
    return [ClaimedAlert(*row) for row in rows]


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
    before = session.exec(select(_ALERT.c.attempts).where(*guard)).scalar_one_or_none()
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
    draw_id: int
    draw_number: str
    channel_id: int
    kind: str
    tie: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    sent_at: dt.datetime | None
    last_error: str | None
    created_at: dt.datetime


def list_alerts(session: Session, *, status: str | None = None, limit: int | None = None) -> list[AlertView]:
    """Outbox rows newest first, optionally of one status."""
    if status is not None and status not in ALERT_STATUSES:
        raise ValueError(f"unknown alert status {status!r} (known: {', '.join(ALERT_STATUSES)})")
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
        )
        .select_from(_ALERT)
        .join(_SUBSCRIBER, _SUBSCRIBER.c.id == _ALERT.c.subscriber_id)
        .join(_DRAW, _DRAW.c.id == _ALERT.c.draw_id)
        .order_by(_ALERT.c.created_at.desc(), _ALERT.c.id.desc())
    )
    if status is not None:
        stmt = stmt.where(_ALERT.c.status == status)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [AlertView(*row) for row in session.exec(stmt)]


def alert_counts(session: Session) -> dict[str, int]:
    """Rows per status; every known status is present (0 when none)."""
    counts = dict.fromkeys(ALERT_STATUSES, 0)
    stmt = select(_ALERT.c.status, func.count()).group_by(_ALERT.c.status)
    counts.update({status: count for status, count in session.exec(stmt)})
    return counts


def next_due_at(session: Session) -> dt.datetime | None:
    """When the earliest undelivered alert can next be claimed (None: nothing waits), for the daemon's
    sleep. A row under lease counts from its lease's end, so a daemon does not spin on rows another sender
    is working on."""
    due = case(
        (_ALERT.c.lease_until > _ALERT.c.next_attempt_at, _ALERT.c.lease_until),
        else_=_ALERT.c.next_attempt_at,
    )
    return session.exec(select(func.min(due)).where(_CLAIMABLE)).scalar_one_or_none()


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _rowcount(result: Any) -> int:
    return int(result.rowcount)
