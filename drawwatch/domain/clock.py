"""Time: every datetime drawwatch handles is timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (SQLModel rejects naive datetimes)."""
    return datetime.now(UTC)
