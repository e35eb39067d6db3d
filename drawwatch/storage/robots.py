"""robots.txt copies kept between checks (``robots_txt``): read before a check's crawl, written after it."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from drawwatch.storage.models import RobotsTxt
from drawwatch.storage.sql import dialect_insert


def stored_robots(session: Session) -> list[RobotsTxt]:
    """Every stored copy: one per site a check was asked to fetch from (the feed's, an allowed redirect's)."""
    return list(session.exec(select(RobotsTxt).execution_options(populate_existing=True)).all())


def save_robots(
    session: Session,
    url: str,
    *,
    status: int,
    body: bytes,
    etag: str | None,
    last_modified: str | None,
    fetched_at: dt.datetime,
) -> None:
    """Keep the copy of ``url`` a check received or had confirmed (upsert)."""
    values = {
        "status": status,
        "body": body,
        "etag": etag,
        "last_modified": last_modified,
        "fetched_at": fetched_at,
    }
    stmt = dialect_insert(session, RobotsTxt).values(url=url, **values)
    session.exec(stmt.on_conflict_do_update(index_elements=["url"], set_=values))
