"""The delivery loop against a real local webhook: quiet hours, 429 back-off, deactivated subscribers; and the
rule that a lease must cover a batch.

``deliver_due(now=…)`` moves the clock, so waiting for quiet hours to end needs no sleep.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, update
from sqlmodel import select

from drawwatch.app.deliver import DeliveryStats, check_lease, deliver_due, lease_problem
from drawwatch.config import Settings
from drawwatch.domain.clock import utcnow
from drawwatch.domain.errors import ConfigError
from drawwatch.scheduler.daemon import Daemon
from drawwatch.storage.db import session_scope
from drawwatch.storage.matching import queue_round_alerts
from drawwatch.storage.models import Alert, Subscriber
from tests.support.rows import new_round, new_subscriber
from tests.support.webhook import WebhookServer


def settings(database_url: str = "sqlite://", **values: object) -> Settings:
    return Settings(database_url=database_url, delivery_timeout=5, delivery_backoff_seconds=0, **values)


def queue_one(engine: Engine, url: str, **subscriber: object) -> int:
    with session_scope(engine) as session:
        new_subscriber(session, urls=[url], **subscriber)
        round_ = new_round(session, first_seen_at=utcnow() + timedelta(hours=1))
        queue_round_alerts(session, [round_])
        return session.exec(select(Alert.id)).one()


def deliver(engine: Engine, now: datetime | None = None, **values: object) -> DeliveryStats:
    return asyncio.run(deliver_due(engine, settings(**values), now=now))


def alert_row(engine: Engine, alert_id: int) -> Alert:
    with session_scope(engine) as session:
        row = session.get_one(Alert, alert_id)
        session.expunge(row)
        return row


def test_an_alert_queued_in_quiet_hours_is_sent_once_when_they_end(
    engine: Engine, hook: WebhookServer
) -> None:
    now = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=1)  # after the queueing
    start, end = now - timedelta(hours=1), now + timedelta(hours=2)
    span = f"{start:%H:%M}-{end:%H:%M}"  # in UTC, around the present (may span midnight)
    alert_id = queue_one(engine, hook.url("/quiet"), quiet_hours=span, time_zone="UTC")

    held = deliver(engine, now=now)

    assert (held.sent, held.deferred, held.failed) == (0, 1, 0)
    row = alert_row(engine, alert_id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, end)
    assert deliver(engine, now=end - timedelta(minutes=1)).sent == 0  # not due before the end
    assert hook.requests.snapshot() == []

    after = deliver(engine, now=end)

    assert after.sent == 1
    assert len(hook.requests.wait_for(1)) == 1
    assert deliver(engine, now=end + timedelta(hours=1)).sent == 0
    assert alert_row(engine, alert_id).status == "sent"
    assert len(hook.requests.snapshot()) == 1


def test_outside_quiet_hours_an_alert_goes_at_once(engine: Engine, hook: WebhookServer) -> None:
    now = utcnow() + timedelta(seconds=1)
    span = f"{now + timedelta(hours=2):%H:%M}-{now + timedelta(hours=3):%H:%M}"
    queue_one(engine, hook.url("/day"), quiet_hours=span, time_zone="America/Toronto")
    assert deliver(engine, now=now).sent == 1


def test_a_429_defers_every_alert_to_that_service_without_counting_a_failure(
    engine: Engine, hook: WebhookServer
) -> None:
    hook.status = 429
    with session_scope(engine) as session:
        for name in ("Ana", "Ben", "Cy"):
            new_subscriber(session, name, urls=[hook.url(f"/{name}")])
        round_ = new_round(session, first_seen_at=utcnow() + timedelta(hours=1))
        queue_round_alerts(session, [round_])
    now = utcnow() + timedelta(seconds=1)

    first = deliver(engine, now=now, delivery_concurrency=1, delivery_batch=3, delivery_rate_limit_seconds=90)

    assert (first.sent, first.failed, first.dead, first.deferred) == (0, 0, 0, 3)
    assert len(hook.requests.snapshot()) == 1  # the other two waited instead of collecting their own 429
    with session_scope(engine) as session:
        rows = session.exec(select(Alert)).all()
        assert {(r.status, r.attempts) for r in rows} == {("pending", 0)}
        assert {r.next_attempt_at for r in rows} == {now + timedelta(seconds=90)}

    hook.status = 200
    assert deliver(engine, now=now + timedelta(seconds=89)).sent == 0
    assert deliver(engine, now=now + timedelta(seconds=90)).sent == 3
    assert len(hook.requests.wait_for(4)) == 4


def test_an_alert_of_a_subscriber_deactivated_since_it_was_queued_is_cancelled(
    engine: Engine, hook: WebhookServer
) -> None:
    alert_id = queue_one(engine, hook.url("/gone"))
    with session_scope(engine) as session:
        session.exec(update(Subscriber).values(active=False))  # as an edit racing the queueing would

    stats = deliver(engine)

    assert (stats.sent, stats.cancelled) == (0, 1)
    assert alert_row(engine, alert_id).status == "cancelled"
    assert hook.requests.snapshot() == []


# lease, batch, concurrency, timeout -> refused? A batch goes out in ceil(batch / concurrency) waves of at most
# one timeout each, and the lease must outlast them by 30 s.
LEASES = [
    (300, 100, 8, 20, False),  # the defaults: 13 waves x 20 s + 30 = 290 s
    (290, 100, 8, 20, True),  # exactly the need is not enough
    (290.5, 100, 8, 20, False),
    (300, 100, 8, 30, True),  # a longer send timeout needs a longer lease
    (300, 100, 4, 20, True),  # so does sending fewer at a time (25 waves)
    (300, 100, 100, 20, False),
    (31, 1, 1, 0.5, False),
    (30, 1, 8, 0.001, True),  # the margin alone
    (3600, 1000, 1, 5, True),  # 1,000 sends one by one
    (58, 7, 3, 9, False),  # 3 waves (7 / 3 rounded up) x 9 s + 30 = 57 s
    (57, 7, 3, 9, True),
]


@pytest.mark.parametrize(("lease", "batch", "concurrency", "timeout", "refused"), LEASES)
def test_a_lease_must_cover_a_batch(
    lease: float, batch: int, concurrency: int, timeout: float, refused: bool
) -> None:
    problem = lease_problem(lease, batch, concurrency, timeout)
    assert (problem is not None) is refused
    if problem is not None:
        assert problem.startswith(f"DRAWWATCH_DELIVERY_LEASE_SECONDS ({lease:g}) is too short for a batch")
        assert "\n" not in problem


def test_the_default_settings_pass() -> None:
    check_lease(Settings(database_url="sqlite://"))


def test_deliver_and_the_daemon_refuse_a_short_lease_before_sending(
    engine: Engine, hook: WebhookServer
) -> None:
    queue_one(engine, hook.url("/never"))
    short = Settings(database_url="sqlite://", delivery_lease_seconds=30, delivery_timeout=20)

    with pytest.raises(ConfigError, match="too short for a batch"):
        asyncio.run(deliver_due(engine, short))
    with pytest.raises(ConfigError, match="too short for a batch"):
        Daemon(short, engine, interval=60)

    assert hook.requests.snapshot() == []
    with session_scope(engine) as session:
        assert session.exec(select(Alert.claimed_by)).one() is None  # nothing was claimed
