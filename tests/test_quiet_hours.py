"""Quiet hours: one table of (span, zone, moment) -> when the quiet ends, daylight saving time included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

import pytest

from drawwatch.domain.quiet_hours import parse_quiet_hours, quiet_until
from tests.support.times import utc


@dataclass(frozen=True)
class Case:
    name: str
    span: str
    zone: str
    now: datetime  # UTC
    until: datetime | None  # UTC


CASES = [
    # Toronto is UTC-5 in winter (EST), UTC-4 in summer (EDT).
    Case("before the span", "22:00-07:00", "America/Toronto", utc(2026, 1, 15, 2, 59), None),  # 21:59 local
    Case("at its start", "22:00-07:00", "America/Toronto", utc(2026, 1, 15, 3, 0), utc(2026, 1, 15, 12, 0)),
    Case("after midnight", "22:00-07:00", "America/Toronto", utc(2026, 1, 15, 8, 0), utc(2026, 1, 15, 12, 0)),
    Case("at its end", "22:00-07:00", "America/Toronto", utc(2026, 1, 15, 12, 0), None),
    Case("daytime", "22:00-07:00", "America/Toronto", utc(2026, 1, 15, 17, 0), None),
    Case("summer time", "22:00-07:00", "America/Toronto", utc(2026, 7, 15, 3, 0), utc(2026, 7, 15, 11, 0)),
    # The night clocks go forward (2026-03-08 02:00 -> 03:00): 07:00 is EDT, UTC-4.
    Case("spring forward", "22:00-07:00", "America/Toronto", utc(2026, 3, 8, 4, 0), utc(2026, 3, 8, 11, 0)),
    # The night clocks go back (2026-11-01 02:00 -> 01:00): 07:00 is EST, UTC-5.
    Case("fall back", "22:00-07:00", "America/Toronto", utc(2026, 11, 1, 3, 0), utc(2026, 11, 1, 12, 0)),
    Case("same-day span", "12:00-13:30", "Asia/Kolkata", utc(2026, 5, 1, 7, 0), utc(2026, 5, 1, 8, 0)),
    Case("same-day span, after", "12:00-13:30", "Asia/Kolkata", utc(2026, 5, 1, 8, 0), None),
    Case("UTC", "00:00-06:00", "UTC", utc(2026, 5, 1, 5, 59), utc(2026, 5, 1, 6, 0)),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_quiet_until(case: Case) -> None:
    assert quiet_until(case.span, case.zone, case.now) == case.until
    if case.until is not None:
        assert quiet_until(case.span, case.zone, case.until) is None  # over at its end


@pytest.mark.parametrize(
    ("span", "zone", "problem"),
    [
        ("22-07", "America/Toronto", "must look like 22:00-07:00"),
        ("25:00-07:00", "America/Toronto", "hour must be in 0..23"),
        ("22:00-22:00", "America/Toronto", "start and end at the same time"),
        ("22:00-07:00", None, "need the subscriber's time zone"),
        ("22:00-07:00", "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
    ],
)
def test_bad_settings_are_named(span: str, zone: str | None, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_quiet_hours(span, zone)


def test_stored_form_is_zero_padded() -> None:
    quiet = parse_quiet_hours(" 7:05 - 9:00 ", "Europe/Paris")
    assert (quiet.start, quiet.end, quiet.text) == (time(7, 5), time(9, 0), "07:05-09:00")


def test_no_settings_never_hold_an_alert() -> None:
    assert quiet_until(None, "America/Toronto", utc(2026, 1, 15, 8, 0)) is None
