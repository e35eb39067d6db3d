"""Storage changes for delivery throughput (issue 17): grouped "sent" marks, SQLite's synchronous mode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update
from sqlmodel import select

from drawwatch.domain.clock import utcnow
from drawwatch.storage.db import make_engine, session_scope
from drawwatch.storage.matching import queue_round_alerts
from drawwatch.storage.models import Alert
from drawwatch.storage.outbox import claim_due, mark_sent_many
from tests.support.rows import new_round, new_subscriber


@pytest.mark.parametrize("through", ["session", "connection"])
def test_mark_sent_many_marks_only_the_claims_still_held(engine: Engine, through: str) -> None:
    """Through an ORM session (mixed groups of outcomes) or a plain connection (the delivery loop's groups
    of accepted sends): the same rows, the same stored time."""
    with session_scope(engine) as session:
        for n in range(4):
            new_subscriber(session, f"s{n}", urls=[f"json://localhost/s{n}"])
        queue_round_alerts(session, [new_round(session, first_seen_at=utcnow() + timedelta(hours=1))])
    with session_scope(engine) as session:
        ids = [alert.alert_id for alert in claim_due(session, worker="a", limit=10)]
    assert len(ids) == 4
    with session_scope(engine) as session:  # the last one's lease ran out and another sender took it
        session.exec(update(Alert).where(Alert.id == ids[-1]).values(claimed_by="b"))  # type: ignore[arg-type]
    now = datetime(2026, 12, 4, 18, 30, 15, 250000, tzinfo=UTC)

    def mark(alert_ids: list[int]) -> set[int]:
        if through == "session":
            with session_scope(engine) as session:
                return mark_sent_many(session, alert_ids, worker="a", now=now)
        with engine.begin() as connection:
            return mark_sent_many(connection, alert_ids, worker="a", now=now)

    assert mark(ids) == set(ids[:-1])
    assert mark([]) == set()
    with session_scope(engine) as session:
        rows = {row.id: row for row in session.exec(select(Alert))}
    for alert_id in ids[:-1]:
        row = rows[alert_id]
        assert (row.status, row.attempts, row.claimed_by, row.lease_until) == ("sent", 1, None, None)
        assert row.sent_at is not None
        assert row.sent_at.replace(tzinfo=row.sent_at.tzinfo or UTC) == now
    assert (rows[ids[-1]].status, rows[ids[-1]].claimed_by) == ("pending", "b")
    assert mark(ids[:-1]) == set()  # sent already: a second mark changes nothing


def test_sqlite_runs_wal_with_synchronous_normal(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'd.db'}", create_dir=False)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        engine.dispose()
