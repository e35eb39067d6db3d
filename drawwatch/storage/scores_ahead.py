"""Profile scores computed ahead of the day they become true, so that a round on a day when many scores change
(a rule set taking effect, a busy birthday) applies them in one set-based UPDATE instead of rescoring every
profile in Python while its alerts wait. See :func:`drawwatch.app.rescore.prepare_ahead`.

A subscriber's stored score holds on ``[score_on, score_until)``; the one computed ahead (``next_*``) holds on
``[next_on, next_until)`` with ``next_on = score_until``. It is applied only while that is still so (a
rescoring or a new profile since makes it moot: a new profile clears it, see
:func:`drawwatch.storage.subscribers.set_score`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Date, String, and_, bindparam, case, func, or_, select, update
from sqlmodel import Session

from drawwatch.storage.db import begin_write
from drawwatch.storage.sql import SUBSCRIBER as _SUBSCRIBER
from drawwatch.storage.sql import execute_in_chunks
from drawwatch.storage.sql import rowcount as _rowcount

_S = _SUBSCRIBER.c


def ahead_holds(day: Any) -> ColumnElement[bool]:
    """Over ``subscriber``: the score computed ahead is the one true on ``day`` (a date, or a column such as
    ``draw.date``), because the stored one has ended by then and the one ahead has not. Never NULL."""
    return and_(
        _S.next_on.is_not(None),
        _S.score_until.is_not(None),
        _S.next_on == _S.score_until,
        _S.next_on <= day,
        or_(_S.next_until.is_(None), _S.next_until > day),
    )


def crs_on(day: Any) -> ColumnElement[int]:
    """Over ``subscriber``: the CRS a round on ``day`` compares, the score computed ahead where it holds (see
    :func:`ahead_holds`), else the stored one. So a round on the day a rule set takes effect is matched at
    the new scores without first writing them (:func:`apply_ahead` does that later, off the alert path)."""
    return case((ahead_holds(day), _S.next_crs), else_=_S.crs)


class ToPrepare(NamedTuple):
    subscriber_id: int
    profile: str
    crs: int
    score_on: dt.date
    score_until: dt.date


class Ahead(NamedTuple):
    """The score of a profile on ``on`` (its stored ``score_until``), true until ``until``."""

    subscriber_id: int
    on: dt.date
    crs: int
    until: dt.date | None
    rules: str
    note: str | None


def profiles_to_prepare(session: Session, after: dt.date, by: dt.date, *, limit: int) -> list[ToPrepare]:
    """Profile subscribers whose stored score stops being true in ``(after, by]`` and has no score computed
    ahead for that day yet; soonest first, at most ``limit``."""
    stmt = (
        select(_S.id, _S.profile, _S.crs, _S.score_on, _S.score_until)
        .where(
            _S.profile.is_not(None),
            _S.score_on.is_not(None),
            _S.score_until > after,
            _S.score_until <= by,
            or_(_S.next_on.is_(None), _S.next_on != _S.score_until),
        )
        .order_by(_S.score_until, _S.id)
        .limit(limit)
    )
    return [ToPrepare(*row) for row in session.exec(stmt)]  # type: ignore[call-overload]  # a Core select


def set_ahead(session: Session, rows: Sequence[Ahead]) -> None:
    """Store scores computed ahead (one executemany per chunk). Does not commit."""
    if not rows:
        return
    begin_write(session)
    stmt = (
        update(_SUBSCRIBER)
        .where(_S.id == bindparam("b_id"))
        .values(
            next_on=bindparam("b_on", type_=Date),
            next_crs=bindparam("b_crs"),
            next_until=bindparam("b_until", type_=Date),
            next_rules=bindparam("b_rules", type_=String),
            next_note=bindparam("b_note", type_=String),
        )
    )
    execute_in_chunks(
        session,
        stmt,
        [
            {
                "b_id": r.subscriber_id,
                "b_on": r.on,
                "b_crs": r.crs,
                "b_until": r.until,
                "b_rules": r.rules,
                "b_note": r.note,
            }
            for r in rows
        ],
    )


def apply_ahead(session: Session, on: dt.date) -> int:
    """Make the scores computed ahead the stored ones wherever they hold on ``on`` (one UPDATE); returns how
    many. Their ``next_*`` stay: with ``next_on`` no longer ``score_until`` they are spent (and the indexes
    they are in need no change). Does not commit."""
    begin_write(session)
    stmt = (
        update(_SUBSCRIBER)
        .where(ahead_holds(on), _S.profile.is_not(None))
        .values(
            crs=_S.next_crs,
            score_on=_S.next_on,
            score_until=_S.next_until,
            score_rules=_S.next_rules,
            score_note=func.coalesce(_S.next_note, _S.score_note),
        )
        .execution_options(preserve_rowcount=True)
    )
    return _rowcount(session.exec(stmt))
