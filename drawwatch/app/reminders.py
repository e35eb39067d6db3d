"""Reminders no peer sends: a week before a profile subscriber's score drops on a birthday, before a language
result expires, and before the Express Entry profile's 12 months end. Opt-in per subscriber.

Each check runs :func:`queue_due_reminders` once. It reads only the subscribers whose stored next reminder day
(``subscriber.remind_on``) has come, so a day with nothing foreseen costs one indexed query; each due
reminder is queued once per channel (the outbox's unique key) and delivered like an alert.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import Engine
from sqlmodel import Session

from drawwatch.app.rescore import has_rules, stored_profile
from drawwatch.domain.crs import ProfileError, score
from drawwatch.domain.crs.reminders import foreseen, plan
from drawwatch.domain.errors import InvalidInput
from drawwatch.storage.db import session_scope
from drawwatch.storage.reminders import NewReminder, queue_reminders, reminders_due, set_remind_on

log = logging.getLogger("drawwatch.reminders")


def queue_due_reminders(session: Session, today: date) -> int:
    """Queue the reminders due on ``today`` and move each looked-at subscriber's reminder day on; returns
    how many outbox rows were added. Does not commit."""
    due = reminders_due(session, today)
    if not due:
        return 0
    reminders: list[NewReminder] = []
    days: list[tuple[int, date | None]] = []
    for subscriber_id, text in due:
        try:
            events, next_on = plan(stored_profile(text), today)
        except (ProfileError, InvalidInput) as exc:  # e.g. an age past the grid: nothing more to foresee
            log.warning("reminders for subscriber %s stopped: %s", subscriber_id, exc)
            days.append((subscriber_id, None))
            continue
        reminders.extend(NewReminder(subscriber_id, event.kind, event.day) for event in events)
        days.append((subscriber_id, next_on))
    added = queue_reminders(session, reminders)
    set_remind_on(session, days)
    return added


def run_reminders(engine: Engine, today: date) -> int:
    """:func:`queue_due_reminders` in a transaction of its own (a check's news never waits on it)."""
    with session_scope(engine) as session:
        return queue_due_reminders(session, today)


class ForeseenEvent(NamedTuple):
    """What a reminder says of its event, as the profile foresees it at send time."""

    what: str
    before: int | None
    after: int | None
    rules: str | None  # the rule set of ``before``


def foreseen_event(profile_text: str | None, kind: str, day: date) -> ForeseenEvent | None:
    """The event of ``kind`` on ``day`` as the stored profile foresees it; None when it no longer does."""
    if profile_text is None:
        return None
    profile = stored_profile(profile_text)
    eve = day - timedelta(days=1)
    for event in foreseen(profile, eve):
        if event.kind == kind and event.day == day:
            rules = score(profile, eve).rules.id if event.before is not None and has_rules(eve) else None
            return ForeseenEvent(event.what, event.before, event.after, rules)
    return None
