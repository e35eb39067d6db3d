"""Recording checks and per-feed fetch state.

A check row is written when the check starts, so a crash leaves a visible "running" row, and its
``baseline`` flag is fixed then: the first check into an empty database records history and alerts nobody.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from drawwatch.domain.clock import utcnow
from drawwatch.domain.vocabulary import CHECK_OUTCOMES, SUCCESS_OUTCOMES
from drawwatch.storage.models import CheckRun, FeedState
from drawwatch.storage.sql import dialect_insert as _dialect_insert

FINAL_OUTCOMES = tuple(outcome for outcome in CHECK_OUTCOMES if outcome != "running")


def start_check(session: Session, feed_url: str) -> CheckRun:
    """Record a check that is starting; it is a baseline check unless an earlier check succeeded.

    Flushed, so ``check.id`` can be stamped on the rounds it stores.
    """
    succeeded = session.exec(
        select(CheckRun.id).where(col(CheckRun.outcome).in_(SUCCESS_OUTCOMES)).limit(1)
    ).first()
    check = CheckRun(feed_url=feed_url, outcome="running", baseline=succeeded is None, started_at=utcnow())
    session.add(check)
    session.flush()
    return check


def finish_check(
    session: Session,
    check: CheckRun,
    *,
    outcome: str,
    http_status: int | None = None,
    bytes_received: int | None = None,
    rounds_in_feed: int | None = None,
    new_count: int = 0,
    changed_count: int = 0,
    skipped_count: int = 0,
    error: str | None = None,
) -> CheckRun:
    """Close a check with its outcome and counts (one of ok, not_modified, unchanged, failed)."""
    if outcome not in FINAL_OUTCOMES:
        raise ValueError(f"a check ends with one of {', '.join(FINAL_OUTCOMES)}, not {outcome!r}")
    check.finished_at = utcnow()
    check.outcome = outcome
    check.http_status = http_status
    check.bytes_received = bytes_received
    check.rounds_in_feed = rounds_in_feed
    check.new_count = new_count
    check.changed_count = changed_count
    check.skipped_count = skipped_count
    check.error = error
    session.add(check)
    session.flush()
    return check


def get_feed_state(session: Session, url: str) -> FeedState | None:
    """What the last fetch of ``url`` left behind (validators, hash, failure streak), if anything."""
    stmt = select(FeedState).where(FeedState.feed_url == url).execution_options(populate_existing=True)
    return session.exec(stmt).first()


def record_feed_success(
    session: Session,
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    content_hash: str | None,
    rounds_in_feed: int | None,
) -> FeedState:
    """Remember a successful fetch's validators and content hash, and end any failure streak (upsert)."""
    now = utcnow()
    values = {
        "etag": etag,
        "last_modified": last_modified,
        "content_hash": content_hash,
        "rounds_in_feed": rounds_in_feed,
        "last_checked_at": now,
        "last_success_at": now,
        "consecutive_failures": 0,
    }
    stmt = _dialect_insert(session, FeedState).values(feed_url=url, **values)
    session.exec(stmt.on_conflict_do_update(index_elements=["feed_url"], set_=values))
    state = get_feed_state(session, url)
    assert state is not None  # just written in this transaction
    return state


def record_feed_failure(session: Session, url: str) -> int:
    """Count one more failed fetch of ``url`` in a single atomic upsert; returns the streak length.

    The streak lets the caller tell the operator once after N failures instead of on every flap.
    """
    now = utcnow()
    insert = _dialect_insert(session, FeedState)
    stmt = (
        insert.values(feed_url=url, last_checked_at=now, consecutive_failures=1)
        .on_conflict_do_update(
            index_elements=["feed_url"],
            set_={
                "consecutive_failures": col(FeedState.consecutive_failures) + 1,
                "last_checked_at": now,
            },
        )
        .returning(col(FeedState.consecutive_failures))
    )
    return int(session.exec(stmt).scalar_one())


def last_checks(session: Session, limit: int = 20, *, feed_url: str | None = None) -> list[CheckRun]:
    """The most recent checks, newest first; only those of ``feed_url`` when given."""
    stmt = select(CheckRun)
    if feed_url is not None:
        stmt = stmt.where(CheckRun.feed_url == feed_url)
    stmt = stmt.order_by(col(CheckRun.started_at).desc(), col(CheckRun.id).desc()).limit(limit)
    return list(session.exec(stmt))


def last_successful_check(session: Session, *, feed_url: str | None = None) -> CheckRun | None:
    """The most recent check that ended ok, not_modified or unchanged; only of ``feed_url`` when given."""
    stmt = select(CheckRun).where(col(CheckRun.outcome).in_(SUCCESS_OUTCOMES))
    if feed_url is not None:
        stmt = stmt.where(CheckRun.feed_url == feed_url)
    stmt = stmt.order_by(col(CheckRun.started_at).desc(), col(CheckRun.id).desc()).limit(1)
    return session.exec(stmt).first()


def record_staleness(session: Session, url: str, *, stale: bool) -> None:
    """Start (or keep) the stale streak of ``url`` when its copy lacked the newest stored round; end it
    otherwise. ``health`` fails when the streak outlasts its limit: the watcher is then blind."""
    state = get_feed_state(session, url)
    if state is None:
        return
    if stale and state.stale_since is None:
        state.stale_since = utcnow()
    elif not stale:
        state.stale_since = None
    session.add(state)
