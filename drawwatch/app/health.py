"""Is drawwatch doing its job? The answer for ``drawwatch health`` and container health checks."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from drawwatch.domain.clock import utcnow
from drawwatch.domain.secrets import masked_text
from drawwatch.domain.vocabulary import CheckOutcome
from drawwatch.storage.checks import get_feed_state, last_checks, last_successful_check
from drawwatch.storage.held import count_waiting
from drawwatch.storage.models import Alert, CheckRun, FeedState


@dataclass
class Health:
    healthy: bool
    reason: str
    last_success_at: datetime | None
    last_check_at: datetime | None
    last_outcome: str | None
    last_error: str | None
    consecutive_failures: int
    alerts_due: int
    alerts_dead: int

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("last_success_at", "last_check_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def _ago(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def _blind(
    session: Session, state: FeedState | None, last: CheckRun | None, max_age: float, now: datetime
) -> str | None:
    """Why the watcher cannot take new rounds although checks succeed, if it cannot (issue 16)."""
    waiting = count_waiting(session)
    if waiting:
        return f"{waiting} feed(s) held for the operator (see `drawwatch draws held`)"
    if last is not None and last.outcome == CheckOutcome.HELD:
        return f"the last check was held: {last.error}"
    if state is not None and state.stale_since is not None:
        stale = (now - state.stale_since).total_seconds()
        if stale > max_age:
            return f"every copy of the feed for {_ago(stale)} lacked the newest stored round"
    return None


def assess(session: Session, feed_url: str, max_age: float, now: datetime | None = None) -> Health:
    """Healthy when a check of ``feed_url`` succeeded within ``max_age`` seconds; the reason says what is
    wrong otherwise. Checks of other feed URLs (a test feed, the URL before a change) do not count.

    The last error is stored as the fetch saw it and may quote the feed URL's credentials: they are masked
    here, so neither ``health`` nor its JSON shows them."""
    now = now or utcnow()
    success = last_successful_check(session, feed_url=feed_url)
    recent = last_checks(session, 1, feed_url=feed_url)
    last = recent[0] if recent else None
    state = get_feed_state(session, feed_url)
    counts = dict(
        session.exec(
            select(Alert.status, func.count())
            .where(col(Alert.status).in_(("pending", "failed", "dead")))
            .group_by(Alert.status)
        ).all()
    )
    success_at = (success.finished_at or success.started_at) if success else None
    if success_at is None:
        healthy, reason = False, "no check has succeeded yet (run `drawwatch check`)"
    else:
        age = (now - success_at).total_seconds()
        healthy = age <= max_age
        reason = (
            f"last successful check {_ago(age)} ago"
            if healthy
            else f"last successful check {_ago(age)} ago, more than the limit of {_ago(max_age)}"
        )
    failures = state.consecutive_failures if state else 0
    if failures:
        reason += f"; the last {failures} check(s) failed"
    blind = _blind(session, state, last, max_age, now)
    if blind:
        healthy, reason = False, f"{blind}; {reason}"
    return Health(
        healthy=healthy,
        reason=reason,
        last_success_at=success_at,
        last_check_at=(last.finished_at or last.started_at) if last else None,
        last_outcome=last.outcome if last else None,
        last_error=masked_text(last.error, [feed_url]) if last and last.error else None,
        consecutive_failures=failures,
        alerts_due=counts.get("pending", 0) + counts.get("failed", 0),
        alerts_dead=counts.get("dead", 0),
    )
