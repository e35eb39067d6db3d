"""What a profile foresees that a candidate should hear of a week ahead: the score dropping on a birthday, a
language result expiring (two years after the test), the Express Entry profile's 12 months running out.

Pure: a profile and a day in, the foreseen events and the next day worth looking again out. Delivering them
once each is the outbox's job (:mod:`drawwatch.app.reminders`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from drawwatch.domain.crs.grid import NoRuleSetError
from drawwatch.domain.crs.language import table
from drawwatch.domain.crs.profile import Profile
from drawwatch.domain.crs.score import candidate_dates, score
from drawwatch.domain.vocabulary import AlertKind

REMINDER_LEAD: Final = timedelta(days=7)  # how long before the event a reminder goes out
PROFILE_VALIDITY_MONTHS: Final = 12  # an Express Entry profile stays in the pool this long


@dataclass(frozen=True, slots=True)
class Foreseen:
    """One event a reminder warns of. ``before``/``after``: the total the day before and on the day (None
    when no rule set covers the day); ``what`` names it for a person ("age 30", "the IELTS General result
    of 2024-12-10 (first language)")."""

    kind: str
    day: date
    what: str
    before: int | None
    after: int | None

    @property
    def remind_on(self) -> date:
        return self.day - REMINDER_LEAD

    @property
    def points_lost(self) -> int | None:
        if self.before is None or self.after is None:
            return None
        return self.before - self.after


def _total(profile: Profile, day: date) -> int | None:
    try:
        return score(profile, day).total
    except NoRuleSetError:
        return None


def _plus_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    try:
        return day.replace(year=day.year + year, month=month + 1)
    except ValueError:  # 31 January + 1 month, 29 February + 12: the first of the next month
        return date(day.year + year, month + 2, 1) if month < 11 else date(day.year + year + 1, 1, 1)


def profile_expires(profile: Profile) -> date | None:
    """The day the Express Entry profile leaves the pool, when ``profile_created`` was given."""
    if profile.profile_created is None:
        return None
    return _plus_months(profile.profile_created, PROFILE_VALIDITY_MONTHS)


def foreseen(profile: Profile, after: date) -> list[Foreseen]:
    """The events strictly after ``after``, soonest first: birthdays on which the total drops, every
    language result's expiry (it counts for nothing from that day), the profile's expiry."""
    found: list[Foreseen] = []
    for day, reason in candidate_dates(profile, after):
        if reason.startswith("birthday:"):
            before, now = _total(profile, day - timedelta(days=1)), _total(profile, day)
            if before is not None and now is not None and now < before:
                found.append(
                    Foreseen(AlertKind.BIRTHDAY, day, reason.removeprefix("birthday: "), before, now)
                )
    for where, result in profile.results().items():
        until = result.valid_until()
        if until is not None and until > after:
            assert result.test_date is not None  # valid_until needs it
            what = f"the {table(result.test).name} result of {result.test_date.isoformat()} ({_where(where)})"
            found.append(
                Foreseen(
                    AlertKind.LANGUAGE_EXPIRY,
                    until,
                    what,
                    _total(profile, until - timedelta(days=1)),
                    _total(profile, until),
                )
            )
    expires = profile_expires(profile)
    if expires is not None and expires > after:
        found.append(Foreseen(AlertKind.PROFILE_EXPIRY, expires, "the Express Entry profile", None, None))
    return sorted(found, key=lambda event: (event.day, event.kind))


def _where(where: str) -> str:
    return where.replace("spouse.", "spouse's ").replace("_", " ")


def plan(profile: Profile, today: date) -> tuple[list[Foreseen], date | None]:
    """The reminders due on ``today`` (their week has begun, the event is still ahead) and the next day a
    reminder becomes due (None: nothing foreseen)."""
    events = foreseen(profile, today)
    due = [event for event in events if event.remind_on <= today]
    later = [event.remind_on for event in events if event.remind_on > today]
    return due, min(later, default=None)
