"""Quiet hours: a subscriber's local span of the day ("22:00-07:00") in which alerts wait.

Alerts are still queued at once (the outbox keeps them exactly once); the sender defers one that comes due
inside the span to the span's end, in the subscriber's IANA time zone, daylight saving time included.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from drawwatch.domain.errors import InvalidInput

_SPAN_RE: Final = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class QuietHours:
    """From ``start`` to ``end`` local time each day; ``start > end`` spans midnight."""

    start: dt.time
    end: dt.time
    zone: ZoneInfo

    @property
    def text(self) -> str:
        """The stored form, ``"22:00-07:00"``."""
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def until(self, now: dt.datetime) -> dt.datetime | None:
        """When the quiet span that ``now`` falls in ends (aware UTC), or None outside quiet hours."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        local = now.astimezone(self.zone)
        clock = local.time().replace(tzinfo=None)
        today = local.date()
        if self.start < self.end:
            end_day = today if self.start <= clock < self.end else None
        elif clock >= self.start:
            end_day = today + dt.timedelta(days=1)
        elif clock < self.end:
            end_day = today
        else:
            end_day = None
        if end_day is None:
            return None
        # A wall time missing on a spring-forward day still maps to an instant (just after the gap).
        end = dt.datetime.combine(end_day, self.end, tzinfo=self.zone).astimezone(dt.UTC)
        return end if end > now else None


def parse_time_zone(name: str) -> ZoneInfo:
    """An IANA time zone such as ``America/Toronto``; ValueError naming the problem otherwise."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone {name!r}: use an IANA name such as America/Toronto") from exc


def parse_quiet_hours(span: str, time_zone: str | None) -> QuietHours:
    """``"22:00-07:00"`` in ``time_zone``; ValueError naming the problem (both are required)."""
    match = _SPAN_RE.match(span or "")
    if not match:
        raise InvalidInput(f"quiet hours must look like 22:00-07:00 (24-hour local times), got {span!r}")
    hours_a, minutes_a, hours_b, minutes_b = (int(part) for part in match.groups())
    try:
        start, end = dt.time(hours_a, minutes_a), dt.time(hours_b, minutes_b)
    except ValueError as exc:
        raise InvalidInput(f"quiet hours {span!r}: {exc}") from exc
    if start == end:
        raise InvalidInput(f"quiet hours {span!r} start and end at the same time")
    if not time_zone:
        raise InvalidInput(
            "quiet hours need the subscriber's time zone (an IANA name such as America/Toronto)"
        )
    return QuietHours(start, end, parse_time_zone(time_zone))


def quiet_until(span: str | None, time_zone: str | None, now: dt.datetime) -> dt.datetime | None:
    """For stored settings: the end of the quiet span ``now`` is in, or None (no or unusable settings)."""
    if not span:
        return None
    try:
        return parse_quiet_hours(span, time_zone).until(now)
    except ValueError:  # validated on input; a zone removed from tzdata since must not block alerts
        return None
