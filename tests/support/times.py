"""The instants and zones the tests agree on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone


def utc(*parts: int) -> datetime:
    """``datetime(*parts)`` in UTC."""
    return datetime(*parts, tzinfo=UTC)


# Round #437's tie-break time, as parsed and as IRCC wrote it; the rounds built for tests default to it.
TIE_BREAK = utc(2026, 3, 1, 18, 34, 5)
TIE_TEXT = "March 1, 2026 at 18:34:05 UTC"
BEFORE = TIE_BREAK - timedelta(days=3)  # a profile submitted before the tie-break
AFTER = TIE_BREAK + timedelta(minutes=1)  # and one submitted after it
T0 = utc(2026, 9, 1, 12, 0)  # "now" for queueing and claiming in the delivery tests
TORONTO = timezone(timedelta(hours=-5))  # a fixed offset: Toronto in winter (EST)
