"""What a profile foresees for reminders (drawwatch.domain.crs.reminders): one table of profiles and days,
with the events and the next reminder day each must give."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from drawwatch.domain.crs import parse_profile, score
from drawwatch.domain.crs.reminders import REMINDER_LEAD, foreseen, plan, profile_expires
from tests.support.profiles import BIRTHDAY, EVE, profile_data

TODAY = date(2026, 8, 10)
IELTS = {"test": "ielts", "scores": {"listening": 8.0, "reading": 7.0, "writing": 7.0, "speaking": 7.5}}

# (case, profile changes, today, expected (kind, day) events in order, expected due kinds, next reminder day)
CASES: list[tuple[str, dict[str, Any], date, list[tuple[str, date]], list[str], date | None]] = [
    (
        "a birthday that costs points, a week and a half ahead: not due yet",
        {"first_language": {**IELTS, "test_date": "2025-09-20"}},
        TODAY,
        [("birthday", BIRTHDAY), ("birthday", date(2027, 8, 21)), ("language_expiry", date(2027, 9, 20))],
        [],
        BIRTHDAY - REMINDER_LEAD,
    ),
    (
        "the same, seven days ahead: due, and the next one is the next birthday's",
        {"first_language": {**IELTS, "test_date": "2025-09-20"}},
        BIRTHDAY - timedelta(days=7),
        [("birthday", BIRTHDAY), ("birthday", date(2027, 8, 21)), ("language_expiry", date(2027, 9, 20))],
        ["birthday"],
        date(2027, 8, 14),
    ),
    (
        "on the eve of the birthday it is still due (the event is ahead)",
        {"first_language": {**IELTS}},
        EVE,
        [("birthday", BIRTHDAY)],
        ["birthday"],
        date(2027, 8, 14),  # the 31st birthday costs points too
    ),
    (
        "an age given, not a birth date: no birthday is foreseen",
        {"birth_date": None, "age": 29, "first_language": {**IELTS}},
        TODAY,
        [],
        [],
        None,
    ),
    (
        "birthdays before 20 (no points change from 18 to 29) are not events",
        {"birth_date": "2008-08-12", "first_language": {**IELTS}},
        date(2026, 8, 10),
        [("birthday", date(2038, 8, 12))],  # 30: the first birthday that lowers the score
        [],
        date(2038, 8, 5),
    ),
    (
        "the profile's 12 months end in five days: due",
        {"first_language": {**IELTS}, "profile_created": "2025-08-15"},
        TODAY,
        [("profile_expiry", date(2026, 8, 15)), ("birthday", BIRTHDAY)],
        ["profile_expiry"],
        BIRTHDAY - REMINDER_LEAD,
    ),
    (
        "a profile created on 29 February expires on 1 March",
        {"birth_date": None, "age": 29, "first_language": {**IELTS}, "profile_created": "2028-02-29"},
        date(2029, 2, 20),
        [("profile_expiry", date(2029, 3, 1))],
        [],
        date(2029, 2, 22),
    ),
    (
        "a spouse's result expiring is an event too",
        {
            "birth_date": None,
            "age": 29,
            "first_language": {**IELTS},
            "spouse_status": "accompanying",
            "spouse": {
                "education": "bachelors",
                "language": {**IELTS, "test_date": "2024-08-14"},
                "canadian_work_years": 0,
            },
        },
        TODAY,
        [("language_expiry", date(2026, 8, 14))],
        ["language_expiry"],
        None,
    ),
]


@pytest.mark.parametrize(
    ("changes", "today", "events", "due", "next_on"), [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
def test_foreseen_events_and_the_next_reminder_day(
    changes: dict[str, Any], today: date, events: list[tuple[str, date]], due: list[str], next_on: date | None
) -> None:
    profile = parse_profile({k: v for k, v in profile_data(**changes).items() if v is not None})
    found = foreseen(profile, today)
    assert [(e.kind, e.day) for e in found][: len(events)] == events
    if profile.birth_date is None:  # no birthdays: the events are all there is
        assert len(found) == len(events)
    due_now, later = plan(profile, today)
    assert [e.kind for e in due_now] == due
    assert later == next_on


def test_a_birthday_event_carries_the_scores_either_side_of_it() -> None:
    profile = parse_profile(profile_data())
    (event, *_) = foreseen(profile, TODAY)
    assert event.kind == "birthday" and event.what == "age 30"
    assert (event.before, event.after) == (score(profile, EVE).total, score(profile, BIRTHDAY).total)
    assert event.points_lost == 5


def test_a_language_expiry_names_the_result_and_its_cost() -> None:
    profile = parse_profile(profile_data(birth_date=None, age=29))
    (event,) = foreseen(profile, TODAY)
    assert event.kind == "language_expiry" and event.day == date(2027, 9, 20)
    assert event.what == "the IELTS General Training result of 2025-09-20 (first language)"
    assert event.after is not None and event.before is not None and event.after < event.before


def test_profile_expiry_needs_the_creation_day() -> None:
    assert profile_expires(parse_profile(profile_data())) is None
    assert profile_expires(parse_profile(profile_data(profile_created="2026-01-31"))) == date(2027, 1, 31)
