"""Who a round alerts, as SQL, and queueing their alerts in the outbox.

The eligibility rules ("who gets an alert") live in :func:`eligibility_conditions` alone; queueing,
:func:`matches`, correction notices and the backtest all build on it, so they cannot drift apart.
:func:`queue_round_alerts` runs in the transaction that stored the new round, as one set-based
``INSERT … SELECT … ON CONFLICT DO NOTHING``: the round and its alerts commit together, and repeating it
(a retried check, two overlapping checks) adds nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    exists,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col
from sqlmodel import select as sqlmodel_select

from drawwatch.domain.clock import utcnow
from drawwatch.domain.vocabulary import RETRYABLE_STATUSES
from drawwatch.storage.db import begin_write
from drawwatch.storage.models import (
    Round,
    Subscriber,
    SubscriberCategory,
    SubscriberChannel,
)
from drawwatch.storage.scores_ahead import crs_on
from drawwatch.storage.sql import ALERT as _ALERT
from drawwatch.storage.sql import SUBSCRIBER as _SUBSCRIBER
from drawwatch.storage.sql import is_postgres as _is_postgres
from drawwatch.storage.sql import rowcount as _rowcount

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


def eligibility_conditions(round_: Any) -> dict[str, ColumnElement[bool]]:
    """docs/design.md, "Who gets an alert": for one round, as named SQL conditions over ``subscriber``.

    ``draw`` is a :class:`Round` row (its values are bound; conditions they settle, such as "the round is
    general", are folded away) or the ``Round`` class / an ``aliased(Round)`` (its columns are used, for one
    set-based query over many rounds, e.g. a backtest joining ``draw``). Conditions:

    - ``active``: the subscriber is active;
    - ``subscribed_before``: the subscriber was created before the round was first seen;
    - ``category``: the round is ``general``, or its category is one of the subscriber's (EXISTS on
      subscriber_category);
    - ``score``: CRS ≥ cut-off (a profile's CRS for the round's day: :func:`crs_on`);
    - ``tie_break``: at exactly the cut-off, a known submission time after a known tie-break time means the
      subscriber was not invited.

    :func:`eligibility_where` ANDs them; the backtest selects each to explain its verdict.
    """
    crs, category, tie_break = round_.crs, round_.category, round_.tie_break
    score = crs_on(round_.date)  # a profile's score computed ahead, where it holds on the round's day
    submitted_at = col(Subscriber.submitted_at)
    in_category = exists().where(
        col(SubscriberCategory.subscriber_id) == col(Subscriber.id),
        col(SubscriberCategory.category) == category,
    )
    # A round without a tie-break time excludes nobody at the cut-off.
    not_tied_out: ColumnElement[bool] = (
        true()
        if _is_null(tie_break) is True
        else or_(score > crs, submitted_at.is_(None), _is_null(tie_break), submitted_at <= tie_break)
    )
    return {
        "active": col(Subscriber.active),
        "subscribed_before": col(Subscriber.created_at) < round_.first_seen_at,
        "category": or_(category == "general", in_category),
        "score": score >= crs,
        "tie_break": not_tied_out,
    }


def eligibility_where(round_: Any) -> ColumnElement[bool]:
    """The WHERE clause, over ``subscriber``, of who a round alerts: every :func:`eligibility_conditions`."""
    return and_(*eligibility_conditions(round_).values())  # a condition folded to true() is left out


def standing_case(round_: Any) -> ColumnElement[str]:
    """Where a subscriber's score stands against a round's cut-off, as one of :data:`STANDINGS`:
    ``clear`` (above it), ``tie_unknown`` (at it, submission or tie-break time unknown), ``tie_invited`` (at
    it, submitted by the tie-break), ``tie_not_invited`` (at it, submitted after) or ``below``.

    The first three are the ``tie`` of an alert; correction notices and the backtest use all five.
    """
    crs, tie_break = round_.crs, round_.tie_break
    score = crs_on(round_.date)
    submitted_at = col(Subscriber.submitted_at)
    whens: list[Any] = [
        (score < crs, "below"),
        (score > crs, "clear"),
        (or_(submitted_at.is_(None), _is_null(tie_break)), "tie_unknown"),
    ]
    if _is_null(tie_break) is True:
        return case(*whens, else_="tie_unknown")
    return case(*whens, (submitted_at <= tie_break, "tie_invited"), else_="tie_not_invited")


def eligible_subscribers(round_: Any) -> Select[int, int, str]:
    """``(subscriber_id, channel_id, tie)`` for each channel of each subscriber a round alerts.

    Reusable: :func:`queue_round_alerts` inserts from it; tests and reports can run it as it is.
    """
    return (
        select(
            col(Subscriber.id).label("subscriber_id"),
            col(SubscriberChannel.id).label("channel_id"),
            standing_case(round_).label("tie"),  # clear, tie_unknown or tie_invited for an eligible one
        )
        .join(SubscriberChannel, col(SubscriberChannel.subscriber_id) == col(Subscriber.id))
        .where(eligibility_where(round_))
    )


def matches(round_: Any) -> Select[Any]:
    """The ids of the subscribers a round alerts (same predicate, no channels)."""
    # SQLModel's select: ``session.exec(matches(draw))`` yields ids, not 1-tuples.
    return sqlmodel_select(col(Subscriber.id)).where(eligibility_where(round_))


def queue_round_alerts(
    session: Session, rounds: Sequence[Round], *, kind: str = "round", now: dt.datetime | None = None
) -> int:
    """Queue the alerts for new rounds; returns how many rows were added.

    One ``INSERT INTO alert … SELECT … ON CONFLICT DO NOTHING`` per round: the database does the work, so
    time and memory do not grow with the subscribers in Python, and queueing twice adds nothing. Rounds
    stored by a baseline check are history and alert nobody. Does not commit: run it in the transaction
    that stored the rounds, so they and their alerts become visible together.
    """
    now = now or utcnow()
    queued = 0
    for round_ in rounds:
        if round_.baseline:
            continue
        if round_.id is None:
            raise ValueError(f"round {round_.number} must be flushed (have an id) before alerts are queued")
        begin_write(session)
        source = eligible_subscribers(round_).add_columns(*_new_row_values(round_.id, kind, now, revision=0))
        queued += _insert_alerts(session, source)
    return queued


def _told_about_round(alert: Any) -> ColumnElement[bool]:
    """An alert row whose recipient may hold the round's old figures: sent, sent without an answer
    (ambiguous), or being sent right now (claimed: rendered from the round as it was)."""
    return or_(
        alert.c.status.in_(("sent", "ambiguous")),
        and_(alert.c.status.in_(RETRYABLE_STATUSES), alert.c.claimed_by.is_not(None)),
    )


def queue_corrections(
    session: Session, round_: Round, *, revision: int, now: dt.datetime | None = None
) -> int:
    """Queue one correction notice per channel that was told about ``draw`` before IRCC corrected it.

    ``revision`` is the id of the check that recorded the correction (its ``draw_change`` rows say what
    changed); the unique key makes queueing it twice add nothing. ``tie`` holds the subscriber's standing
    against the corrected round (:func:`standing_case`): a correction can take someone below the cut-off.
    Round alerts still waiting are not "told": they will be rendered from the corrected round. Inactive
    subscribers get nothing. Does not commit.
    """
    if round_.id is None:
        raise ValueError(f"round {round_.number} must be flushed (have an id) before corrections are queued")
    now = now or utcnow()
    begin_write(session)
    told = _ALERT.alias("told")
    source = (
        select(
            told.c.subscriber_id,
            told.c.channel_id,
            standing_case(round_),
            *_new_row_values(round_.id, "correction", now, revision=revision),
        )
        .select_from(told)
        .join(_SUBSCRIBER, _SUBSCRIBER.c.id == told.c.subscriber_id)
        .where(
            told.c.draw_id == round_.id,
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
