"""The delivery loop against a real local webhook: quiet hours, 429 back-off, deactivated subscribers.

``deliver_due(now=…)`` moves the clock, so waiting for quiet hours to end needs no sleep.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import select

from drawwatch.app.deliver import DeliveryStats, deliver_due
from drawwatch.config import Settings
from drawwatch.domain.clock import utcnow
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

    first = deliver(engine, now=now, delivery_concurrency=1, delivery_rate_limit_seconds=90)

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
