"""Subscribers with a CRS profile: their stored score, recomputed for the day of each new round.

A subscriber may save a profile (``subscribers add/edit --profile FILE``) instead of a bare CRS number.
``subscriber.crs`` stays the number queueing compares, so queueing remains one set-based statement: before
the alerts of a round dated D are queued, only the profile subscribers whose stored score is not known true
on D (see :func:`drawwatch.storage.subscribers.profiles_to_rescore`) are scored again in Python, under the
rule set in force on D and with their age on D. Each stored score keeps the first later day it stops being
true, so most checks rescore nobody. Like derived categories (:mod:`drawwatch.app.derived`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Final, NamedTuple

from sqlalchemy import Engine
from sqlmodel import Session

from drawwatch.domain.crs import NoRuleSetError, Profile, parse_profile, rules_on, score, score_until
from drawwatch.domain.crs.score import Score, candidate_dates
from drawwatch.storage.db import session_scope
from drawwatch.storage.matching import queue_round_alerts
from drawwatch.storage.models import Round
from drawwatch.storage.scores_ahead import Ahead, apply_ahead, profiles_to_prepare, set_ahead
from drawwatch.storage.subscribers import NewScore, profiles_to_rescore, set_score, set_scores


def profile_json(profile: Profile) -> str:
    """The parsed profile as stored (``subscriber.profile``); :func:`stored_profile` reads it back."""
    return profile.model_dump_json(exclude_none=True)


def stored_profile(text: str) -> Profile:
    return parse_profile(json.loads(text))


def save_profile(session: Session, subscriber_id: int, profile: Profile, today: date) -> Score:
    """Store ``profile`` as the subscriber's, with its score for ``today`` (and the day that stops being
    true); reminders the old profile foresaw are cancelled and looked for again (by ``set_score``). Returns
    the score."""
    result, until = score_until(profile, today)
    set_score(
        session,
        subscriber_id,
        crs=result.total,
        on=today,
        until=until,
        rules=result.rules.id,
        profile=profile_json(profile),
    )
    return result


def _points(n: int) -> str:
    return f"{n} point{'' if n == 1 else 's'}"


def _why(day: date, reasons: list[str]) -> str:
    if any(reason.startswith("birthday:") for reason in reasons):
        return f"your birthday on {day.isoformat()}"
    return f"{day.isoformat()} ({'; '.join(reasons)})"


Scorer = Callable[[Profile, date], Score]


def day_memo() -> Scorer:
    """:func:`score` for one profile, each day scored once: rescoring asks about the same days several
    times (the new score, the day it ends, the days between the old and the new)."""
    scored: dict[date, Score] = {}

    def of(profile: Profile, day: date) -> Score:
        if day not in scored:
            scored[day] = score(profile, day)
        return scored[day]

    return of


def _changes_between(
    profile: Profile, start: date, end: date, scorer: Scorer | None = None
) -> list[tuple[date, list[str]]]:
    """The days in (start, end] on which the score changes, each with its reasons."""
    reasons: dict[date, list[str]] = {}
    for day, reason in candidate_dates(profile, start):
        if day <= end:
            reasons.setdefault(day, []).append(reason)
    found: list[tuple[date, list[str]]] = []
    _, until = score_until(profile, start, scorer=scorer)
    while until is not None and until <= end:
        found.append((until, reasons.get(until, [])))
        _, until = score_until(profile, until, scorer=scorer)
    return found


def change_note(
    profile: Profile,
    before: date,
    on: date,
    *,
    old_total: int | None = None,
    new_total: int | None = None,
    scorer: Scorer | None = None,
) -> str | None:
    """Why the score on ``on`` (``new_total`` if given) differs from the one on ``before`` (``old_total`` if
    given), e.g. "5 points lower since your birthday on 2026-03-14"; None when it is the same. ``scorer``
    stands for :func:`score` (see :func:`day_memo`)."""
    of = scorer or score
    old = of(profile, before).total if old_total is None else old_total
    new = of(profile, on).total if new_total is None else new_total
    if new == old:
        return None
    direction = "lower" if new < old else "higher"
    if on >= before:
        whys = [_why(day, reasons) for day, reasons in _changes_between(profile, before, on, scorer)]
        since = f" since {' and '.join(whys)}" if whys else f" than on {before.isoformat()}"
        return f"{_points(abs(new - old))} {direction}{since}"
    whys = [_why(day, reasons) for day, reasons in _changes_between(profile, on, before, scorer)]
    ahead = f", before {' and '.join(whys)}" if whys else ""
    return f"{_points(abs(new - old))} {direction} than on {before.isoformat()}{ahead}"


def next_change(profile: Profile, on: date) -> str | None:
    """The next change the score foresees after ``on``, e.g. "5 points lower from your birthday on
    2026-03-14"; None when none is known."""
    now, until = score_until(profile, on)
    if until is None:
        return None
    later = score(profile, until).total
    if later == now.total:  # the line items change, not the total
        return None
    reasons = [reason for day, reason in candidate_dates(profile, on) if day == until]
    direction = "lower" if later < now.total else "higher"
    return f"{_points(abs(later - now.total))} {direction} from {_why(until, reasons)}"


class AlertScore(NamedTuple):
    """What an alert says of a profile subscriber's score for a round's day."""

    total: int
    rules: str
    note: str | None  # the change since the subscriber's previous alert, and why
    next: str | None  # the next foreseen change


def alert_score(profile_text: str, on: date, previous: date | None) -> AlertScore | None:
    """The score of a stored profile on a round's day, with the change since ``previous`` (the day of the
    round of the subscriber's previous alert, if any) and the next one foreseen; None for a day before the
    first rule set (the stored score stands)."""
    if not has_rules(on):
        return None
    profile = stored_profile(profile_text)
    if previous is not None and not has_rules(previous):
        previous = None
    result = score(profile, on)
    note = None if previous is None else change_note(profile, previous, on)
    return AlertScore(result.total, result.rules.id, note, next_change(profile, on))


def has_rules(day: date) -> bool:
    """Whether a CRS rule set is in force on ``day`` (drawwatch's start on 2016-11-19)."""
    try:
        rules_on(day)
    except NoRuleSetError:
        return False
    return True


def refresh_scores(session: Session, *, on: date) -> int:
    """Score again, for the day ``on``, the profile subscribers whose stored score is not known true on it
    and who have no score computed ahead for it (:func:`prepare_ahead`: matching reads that one). Returns
    how many were scored; cheap (one query) when none is due. Before the first rule set (an old round
    corrected) nothing is scored: the stored scores stand."""
    if not has_rules(on):
        return 0
    todo = profiles_to_rescore(session, on)
    scores: list[NewScore] = []
    for subscriber_id, text, old_total, old_on in todo:
        profile = stored_profile(text)
        scorer = day_memo()
        result, until = score_until(profile, on, scorer=scorer)
        note = None
        if old_on is not None and result.total != old_total and has_rules(old_on):
            note = change_note(
                profile, old_on, on, old_total=old_total, new_total=result.total, scorer=scorer
            )
        scores.append(NewScore(subscriber_id, result.total, on, until, result.rules.id, note))
    set_scores(session, scores)  # one statement per chunk: rescoring thousands stays within a check
    return len(todo)


def queue_with_scores(session: Session, rounds: Sequence[Round]) -> int:
    """Queue the alerts of ``rounds`` one round at a time, each after the profile subscribers' scores are
    brought to the round's day; returns how many alert rows were added."""
    queued = 0
    for round_ in rounds:
        if not round_.baseline:
            refresh_scores(session, on=round_.date)
        queued += queue_round_alerts(session, [round_])
    return queued


def score_ahead(subscriber_id: int, profile: Profile, crs: int, score_on: date, day: date) -> Ahead:
    """The score ``profile`` will have on ``day`` (the day its stored score ``crs``, computed for
    ``score_on``, ends), with the day that one ends and why it differs from the stored one."""
    scorer = day_memo()
    result, until = score_until(profile, day, scorer=scorer)
    note = None
    if result.total != crs and has_rules(score_on):
        note = change_note(profile, score_on, day, old_total=crs, new_total=result.total, scorer=scorer)
    return Ahead(subscriber_id, day, result.total, until, result.rules.id, note)


AHEAD_DAYS: Final = 7  # how far ahead scores are computed: a rule set or birthday this close is prepared
AHEAD_BATCH: Final = 500  # profiles per transaction


def prepare_ahead(
    engine: Engine,
    today: date,
    *,
    budget_seconds: float,
    days: int = AHEAD_DAYS,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Compute, for the profile subscribers whose stored score stops being true within ``days`` after
    ``today``, their score on that day (with its own end and note), batch by batch until none is left or
    ``budget_seconds`` have passed; returns how many. A round on that day is then matched at them at once
    (:func:`drawwatch.storage.scores_ahead.crs_on`) instead of scoring each profile in Python before its
    alerts can be queued: the difference on a day a rule set takes effect for every profile. First, the
    scores computed ahead that hold today become the stored ones (one UPDATE, off the alert path). Each
    batch commits on its own."""
    with session_scope(engine) as session:
        apply_ahead(session, today)
    started, done = clock(), 0
    by = today + timedelta(days=days)
    while clock() - started < budget_seconds:
        with session_scope(engine) as session:
            rows = profiles_to_prepare(session, today, by, limit=AHEAD_BATCH)
            if not rows:
                break
            ahead = [
                score_ahead(subscriber_id, stored_profile(text), crs, score_on, day)
                for subscriber_id, text, crs, score_on, day in rows
                if has_rules(day)
            ]
            set_ahead(session, ahead)
            done += len(rows)
            if len(ahead) < len(rows):  # days before the first rule set: not preparable, not asked again
                break
    return done
