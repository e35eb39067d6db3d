"""Feeds held for the operator: kept whole, applied or discarded only by ``drawwatch draws accept|reject``.

A check that would add or correct more rounds than one check may (a feed renumbered by one, 5,000 bogus
rounds) writes nothing of the feed and keeps it here instead, one row per distinct content, so a copy served
again is counted rather than announced again.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from drawwatch.domain.clock import utcnow
from drawwatch.domain.rounds import RoundItem
from drawwatch.domain.vocabulary import HeldStatus
from drawwatch.storage.db import begin_write
from drawwatch.storage.models import HeldFeed
from drawwatch.storage.sql import dialect_insert


def hold_feed(
    session: Session,
    *,
    feed_url: str,
    content_hash: str,
    reason: str,
    rounds: Sequence[RoundItem],
    new_count: int,
    changed_count: int,
    check_id: int | None,
) -> tuple[HeldFeed, bool]:
    """Keep a feed for the operator; returns its row and whether it is news (this content first seen).

    Does not commit."""
    begin_write(session)
    now = utcnow()
    stmt = (
        dialect_insert(session, HeldFeed)
        .values(
            feed_url=feed_url,
            content_hash=content_hash,
            reason=reason,
            rounds=[item.model_dump(mode="json") for item in rounds],
            new_count=new_count,
            changed_count=changed_count,
            status=HeldStatus.HELD,
            check_id=check_id,
            first_seen_at=now,
            last_seen_at=now,
            times_seen=1,
        )
        .on_conflict_do_nothing(index_elements=["content_hash"])
        .returning(col(HeldFeed.id))
    )
    inserted = session.exec(stmt).first()
    row = session.exec(
        select(HeldFeed)
        .where(HeldFeed.content_hash == content_hash)
        .execution_options(populate_existing=True)
    ).one()
    if inserted is not None:
        return row, True
    row.times_seen += 1
    row.last_seen_at = now
    session.add(row)
    return row, False


def held_rounds(row: HeldFeed) -> list[RoundItem]:
    """The rounds a held feed listed, as the check parsed them."""
    return [RoundItem.model_validate(data) for data in row.rounds]


def list_held(session: Session, *, status: str | None = None) -> list[HeldFeed]:
    """Held feeds, newest first; only those in ``status`` when given."""
    stmt = select(HeldFeed)
    if status is not None:
        stmt = stmt.where(HeldFeed.status == status)
    return list(session.exec(stmt.order_by(col(HeldFeed.id).desc())))


def count_waiting(session: Session) -> int:
    """Held feeds still waiting for the operator's decision."""
    return session.exec(
        select(func.count()).select_from(HeldFeed).where(HeldFeed.status == HeldStatus.HELD)
    ).one()


def decide(session: Session, row: HeldFeed, status: HeldStatus) -> None:
    """Record the operator's decision. Does not commit."""
    row.status = status
    row.decided_at = utcnow()
    session.add(row)
