"""The backtest: which of the last stored rounds would have alerted a subscriber, and why.

It asks the diff step's own question: the conditions of :func:`~drawwatch.storage.outbox.eligibility_conditions`
and the standing of :func:`~drawwatch.storage.outbox.standing_case`, evaluated over the ``draw`` table's
columns in one set-based query (the last N rounds joined with the one subscriber row), each condition selected
as a column so the verdict can say which one failed. Settings that are not saved (a CRS and categories typed
on the command line) go through the very same query, against a transient subscriber row inserted inside a
SAVEPOINT that is always rolled back: one code path, nothing left behind.

A subscriber with a CRS profile is judged, round by round, at the profile's score on that round's date (its
age then, the rule set in force then), not at the score stored for today: the same query runs again with the
subscriber's ``crs`` set to each such score inside a SAVEPOINT that is rolled back, and each round takes the
verdict of its own day's score. Rounds before the first rule set (2016-11-19), or on which the profile gives
no allowed age, keep the stored score, as queueing does. The verdict carries the computed score
(:class:`~drawwatch.domain.crs.Score`: total, rule set, breakdown).

The subscriber's derived ("noc") categories are used as stored, i.e. for the category lists in force now,
exactly as the diff step would use them; a round of an earlier year is judged by today's lists.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import and_, case, false, insert, true, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from drawwatch.domain.categories import CATEGORY_LABELS
from drawwatch.domain.clock import utcnow
from drawwatch.domain.crs import NoRuleSetError, Profile, ProfileError, Score, parse_profile, score
from drawwatch.domain.errors import InvalidInput
from drawwatch.domain.subscriber_input import (
    categories_problems,
    crs_problem,
    normal_categories,
    submitted_at_problem,
)
from drawwatch.storage.db import begin_write
from drawwatch.storage.matching import SETTINGS_CONDITIONS, eligibility_conditions, standing_case
from drawwatch.storage.models import Round, Subscriber, SubscriberCategory, new_unsubscribe_token
from drawwatch.storage.rounds import NEWEST_FIRST
from drawwatch.storage.sql import CATEGORY as _CATEGORY
from drawwatch.storage.sql import SUBSCRIBER as _SUBSCRIBER

# A transient subscriber "existed" long before any round, so "subscribed_before" holds for every round.
TRANSIENT_CREATED_AT: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
TRANSIENT_NAME: Final = "(backtest settings, not saved)"


def _label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category)


@dataclass(frozen=True, slots=True)
class Verdict:
    """One stored round judged for one subscriber.

    ``conditions`` holds every condition of :func:`eligibility_conditions` by name (``active``,
    ``subscribed_before``, ``category``, ``score``, ``tie_break``); ``standing`` is one of
    :data:`~drawwatch.storage.outbox.STANDINGS`; ``via`` the occupation that put the subscriber in the round's
    category when that category was derived from their occupations.
    """

    number: str
    date: dt.date
    name: str
    category: str
    crs: int  # the round's cut-off
    invitations: int
    tie_break: dt.datetime | None
    subscriber_crs: int
    subscriber_submitted_at: dt.datetime | None
    margin: int  # subscriber CRS - cut-off; negative below it
    conditions: dict[str, bool]
    standing: str
    via: str | None
    score: Score | None = None  # a profile subscriber's score on the round's date (None: bare number)

    @property
    def would_alert(self) -> bool:
        """What the subscriber's settings say: category, score and tie-break all hold."""
        return all(self.conditions[name] for name in SETTINGS_CONDITIONS)

    @property
    def alerted_by_diff_step(self) -> bool:
        """Every condition holds: exactly what ``eligibility_where`` selects for this round (the diff step
        queues alerts for it unless the round was stored by a baseline check, which alerts nobody)."""
        return all(self.conditions.values())

    @property
    def notes(self) -> list[str]:
        """Why settings that match did not (or would not) get an alert: the subscription conditions."""
        if not self.would_alert:
            return []
        found = []
        if not self.conditions["active"]:
            found.append("inactive subscriber")
        if not self.conditions["subscribed_before"]:
            found.append("subscribed after this round")
        return found

    @property
    def reason(self) -> str:
        """The verdict in words: "eligible via STEM; 4 points above the cut-off", "below the cut-off by 6",
        "not eligible for Provincial Nominee Program", followed by any :attr:`notes`."""
        if not self.would_alert:
            problems = []
            if not self.conditions["category"]:
                problems.append(f"not eligible for {_label(self.category)}")
            if not self.conditions["score"]:
                problems.append(f"below the cut-off by {-self.margin}")
            # Below the cut-off the tie-break condition fails as well (it only spares scores above it).
            if self.conditions["score"] and not self.conditions["tie_break"]:
                problems.append("at the cut-off but submitted after the tie-break")
            return "; ".join(problems)
        if self.category == "general":
            parts = ["general round: open to every category"]
        else:
            parts = [f"eligible via {_label(self.category)}" + (f" ({self.via})" if self.via else "")]
        parts.append(self._margin_text())
        return "; ".join([*parts, *self.notes])

    def _margin_text(self) -> str:
        if self.standing == "clear":
            return f"{self.margin} point{'s' if self.margin != 1 else ''} above the cut-off"
        if self.standing == "tie_invited":
            return "at the cut-off: submitted before the tie-break"
        if self.subscriber_submitted_at is None:
            return "at the cut-off: depends on the tie-break (submission time not saved)"
        return "at the cut-off: depends on the tie-break (the round's tie-break time is unknown)"


def backtest(session: Session, subscriber_id: int, *, last: int = 10) -> list[Verdict]:
    """The verdicts for subscriber ``subscriber_id`` on the ``last`` stored rounds, newest first.

    One query (a profile subscriber: one more per other score the profile has on those rounds' dates, see the
    module docstring). An empty list means no round is stored; an unknown subscriber raises ``LookupError``.
    """
    if last < 1:
        raise InvalidInput(f"last must be at least 1, got {last}")
    rows = _judge(session, subscriber_id, last)
    if not rows and session.get(Subscriber, subscriber_id) is None:
        raise LookupError(f"no subscriber with id {subscriber_id}")
    scores: list[Score | None] = [None] * len(rows)
    text = session.exec(select(col(Subscriber.profile)).where(col(Subscriber.id) == subscriber_id)).first()
    if text is not None and rows:
        profile = parse_profile(json.loads(text))
        scores = [_score_on(profile, row[1]) for row in rows]
        stored = rows[0][7]
        for total in sorted({s.total for s in scores if s is not None and s.total != stored}):
            again = {(row[0], row[1]): row for row in _judge_at(session, subscriber_id, last, total)}
            rows = [
                again[(row[0], row[1])] if s is not None and s.total == total else row
                for row, s in zip(rows, scores, strict=True)
            ]
    names = list(eligibility_conditions(Round))
    verdicts = []
    for row, computed in zip(rows, scores, strict=True):
        number, day, name, category, cutoff, invitations, tie_break, crs, submitted_at, via, standing = row[
            :11
        ]
        verdicts.append(
            Verdict(
                number=number,
                date=day,
                name=name,
                category=category,
                crs=cutoff,
                invitations=invitations,
                tie_break=tie_break,
                subscriber_crs=crs,
                subscriber_submitted_at=submitted_at,
                margin=crs - cutoff,
                conditions={key: bool(value) for key, value in zip(names, row[11:], strict=True)},
                standing=standing,
                via=via,
                score=computed,
            )
        )
    return verdicts


def _score_on(profile: Profile, day: dt.date) -> Score | None:
    """The profile's score on ``day``; None when the stored score stands (no rule set, no allowed age)."""
    try:
        return score(profile, day)
    except (NoRuleSetError, ProfileError):
        return None


def _judge_at(session: Session, subscriber_id: int, last: int, crs: int) -> list[Any]:
    """:func:`_judge` with the subscriber's ``crs`` set to ``crs``, inside a SAVEPOINT rolled back."""
    begin_write(session)  # SQLite: take the writer lock before reading, as every write here does
    savepoint = session.begin_nested()
    try:
        session.exec(update(_SUBSCRIBER).where(_SUBSCRIBER.c.id == subscriber_id).values(crs=crs))
        return list(_judge(session, subscriber_id, last))
    finally:
        savepoint.rollback()


def _judge(session: Session, subscriber_id: int, last: int) -> list[Any]:
    """The one query: the last ``last`` rounds beside the subscriber row, each condition a column."""
    conditions = eligibility_conditions(Round)
    # An alias: the EXISTS inside the "category" condition reads subscriber_category itself, and would be
    # correlated to (and so emptied by) a plain subscriber_category in this query's FROM.
    derived = aliased(SubscriberCategory, name="derived")
    stmt = (
        select(  # type: ignore[call-overload]  # SQLModel types select() for up to 4 columns
            col(Round.number),
            col(Round.date),
            col(Round.name),
            col(Round.category),
            col(Round.crs),
            col(Round.invitations),
            col(Round.tie_break),
            col(Subscriber.crs),
            col(Subscriber.submitted_at),
            col(derived.via),
            standing_case(Round).label("standing"),
            *(case((condition, true()), else_=false()).label(name) for name, condition in conditions.items()),
        )
        .select_from(Round)
        .join(Subscriber, col(Subscriber.id) == subscriber_id)  # the one subscriber row, beside every round
        .outerjoin(
            derived,
            and_(
                col(derived.subscriber_id) == col(Subscriber.id),
                col(derived.category) == col(Round.category),
                col(derived.source) == "noc",
            ),
        )
        .order_by(*NEWEST_FIRST)
        .limit(last)
    )
    return list(session.exec(stmt).all())


def backtest_settings(
    session: Session,
    *,
    crs: int,
    categories: Iterable[str] = (),
    submitted_at: dt.datetime | None = None,
    last: int = 10,
) -> list[Verdict]:
    """:func:`backtest` for settings that are not saved: an active subscriber with this CRS, these explicit
    categories and this submission time, who existed before every round.

    The row is inserted inside a SAVEPOINT that is rolled back whatever happens, so it is never committed and
    the caller's own work in the transaction is kept. Raises ``ValueError`` naming a bad value.
    """
    keys = normal_categories(categories)
    # The checks a saved subscriber's settings pass (domain/subscriber_input.py), with the same messages.
    problems = [crs_problem(crs), *categories_problems(keys), submitted_at_problem(submitted_at)]
    if last < 1:
        problems.append(f"last must be at least 1, got {last}")
    found = [problem for problem in problems if problem]
    if found:
        raise InvalidInput("; ".join(found))

    begin_write(session)  # SQLite: take the writer lock before reading, as every write here does
    savepoint = session.begin_nested()
    try:
        values: dict[str, Any] = {
            "name": TRANSIENT_NAME,
            "crs": crs,
            "submitted_at": submitted_at,
            "active": True,
            "language": "en",
            "unsubscribe_token": new_unsubscribe_token(),
            "created_at": TRANSIENT_CREATED_AT,
            "updated_at": utcnow(),
        }
        subscriber_id = session.exec(
            insert(_SUBSCRIBER).values(**values).returning(_SUBSCRIBER.c.id)
        ).scalar_one()
        if keys:
            rows = [{"subscriber_id": subscriber_id, "category": key, "source": "explicit"} for key in keys]
            session.exec(insert(_CATEGORY), params=rows)
        return backtest(session, subscriber_id, last=last)
    finally:
        savepoint.rollback()
