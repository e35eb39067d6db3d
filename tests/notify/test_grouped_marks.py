"""Outcomes committed in groups (issue 17): a send keeps its place among ``delivery_concurrency`` until its
mark is committed, so the sends in flight and the sends not yet recorded never exceed the concurrency (the
bound on duplicates after a crash), and no alert is sent twice or left unmarked.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select

import drawwatch.app.deliver as deliver_module
import drawwatch.notify.sending as sending
from drawwatch.app.deliver import deliver_due
from drawwatch.config import Settings
from drawwatch.domain.clock import utcnow
from drawwatch.storage.db import session_scope
from drawwatch.storage.matching import queue_round_alerts
from drawwatch.storage.models import Alert
from tests.support.rows import new_round, new_subscriber
from tests.support.webhook import WebhookServer

ALERTS = 24
CONCURRENCY = 3


def queue(engine: Engine, hook: WebhookServer, count: int) -> None:
    with session_scope(engine) as session:
        for n in range(count):
            new_subscriber(session, f"s{n}", urls=[hook.url(f"/s{n}")])
        queue_round_alerts(session, [new_round(session, first_seen_at=utcnow() + timedelta(hours=1))])


def test_unrecorded_sends_never_exceed_the_concurrency(
    engine: Engine, hook: WebhookServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue(engine, hook, ALERTS)
    lock = threading.Lock()
    counts = {"started": 0, "recorded": 0, "worst": 0}
    groups: list[int] = []
    real_send, real_record = sending.send_one, deliver_module._record_group

    async def counting_send(*args: Any, **kwargs: Any) -> Any:
        with lock:
            counts["started"] += 1
            counts["worst"] = max(counts["worst"], counts["started"] - counts["recorded"])
        return await real_send(*args, **kwargs)

    def slow_record(*args: Any) -> list[str]:
        time.sleep(0.05)  # a slow disk: sends finish while a group is being written
        outcomes = real_record(*args)
        with lock:
            counts["recorded"] += len(args[3])
            groups.append(len(args[3]))
        return outcomes

    monkeypatch.setattr(sending, "send_one", counting_send)
    monkeypatch.setattr(deliver_module, "_record_group", slow_record)
    settings = Settings(
        database_url="sqlite://", delivery_concurrency=CONCURRENCY, delivery_timeout=5, delivery_batch=10
    )
    stats = asyncio.run(deliver_due(engine, settings))

    assert stats.sent == ALERTS and counts["started"] == ALERTS
    assert counts["worst"] <= CONCURRENCY, counts
    assert max(groups) > 1, groups  # the marks were grouped
    assert len(hook.requests) == ALERTS
    with session_scope(engine) as session:
        sent = session.exec(select(func.count()).select_from(Alert).where(Alert.status == "sent")).one()
    assert sent == ALERTS


def test_a_failed_group_stops_the_batch_and_reports_each_send_unrecorded(
    engine: Engine, hook: WebhookServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue(engine, hook, ALERTS)

    def broken(*_: Any) -> list[str]:
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(deliver_module, "_record_group", broken)
    settings = Settings(
        database_url="sqlite://", delivery_concurrency=CONCURRENCY, delivery_timeout=5, delivery_batch=10
    )
    with pytest.raises(RuntimeError, match="the disk went away"):
        asyncio.run(deliver_due(engine, settings))
    assert len(hook.requests) <= CONCURRENCY  # no send started after the first failed group
    with session_scope(engine) as session:  # nothing marked; no batch after the first was sent
        statuses = session.exec(select(Alert.status)).all()
    assert sorted(set(statuses)) == ["pending"]


def test_deliver_imports_apprise_only_to_send() -> None:
    """``drawwatch check`` on an unchanged feed imports the delivery module but sends nothing."""
    import subprocess

    code = "import sys, drawwatch.app.deliver; print('apprise' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def order_of_claims_and_marks(
    engine: Engine, hook: WebhookServer, monkeypatch: pytest.MonkeyPatch, *, prefetch: bool, **values: Any
) -> list[str]:
    """Deliver ALERTS in batches of 10 and return what happened in order: "claim" (a claim begins) and
    "mark" (one outcome committed). With ``prefetch`` the group holding the first batch's last outcome waits
    (up to 10 s) for the second claim to begin: it begins when that send starts, so with prefetching it
    always has, and the order below does not depend on how threads happen to be scheduled."""
    queue(engine, hook, ALERTS)
    events: list[str] = []
    lock = threading.Lock()
    second_claim = threading.Event()
    real_claim, real_record = deliver_module._claim, deliver_module._record_group

    def claim(*args: Any) -> Any:
        with lock:
            events.append("claim")
            if events.count("claim") == 2:
                second_claim.set()
        return real_claim(*args)

    def record(*args: Any) -> list[str]:
        with lock:
            before = events.count("mark")
        if prefetch and before < 10 <= before + len(args[3]):
            assert second_claim.wait(timeout=10), "the next batch was not claimed while this one ran"
        outcomes = real_record(*args)
        with lock:
            events.extend("mark" for _ in outcomes)
        return outcomes

    monkeypatch.setattr(deliver_module, "_claim", claim)
    monkeypatch.setattr(deliver_module, "_record_group", record)
    settings = Settings(
        database_url="sqlite://",
        delivery_concurrency=CONCURRENCY,
        delivery_timeout=5,
        delivery_batch=10,
        **values,
    )
    assert deliver_module.can_prefetch(settings) is prefetch
    stats = asyncio.run(deliver_due(engine, settings))
    assert stats.sent == ALERTS and len(hook.requests) == ALERTS
    assert events.count("mark") == ALERTS and events.count("claim") == 4  # 10, 10, 4 and none left
    return events


def test_the_next_batch_is_claimed_while_the_last_sends_of_one_run(
    engine: Engine, hook: WebhookServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = order_of_claims_and_marks(engine, hook, monkeypatch, prefetch=True)
    second = [i for i, event in enumerate(events) if event == "claim"][1]
    assert events[:second].count("mark") < 10, events


def test_without_a_lease_for_one_more_wave_each_batch_waits_for_the_last(
    engine: Engine, hook: WebhookServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 10 alerts 3 at a time take 4 waves of 5 s, plus 30 s of margin: a lease of 51 s covers a batch (50 s)
    # but not a batch and one wave more (55 s).
    events = order_of_claims_and_marks(engine, hook, monkeypatch, prefetch=False, delivery_lease_seconds=51)
    claims = [i for i, event in enumerate(events) if event == "claim"]
    for batch, at in enumerate(claims[1:], start=1):
        assert events[:at].count("mark") == min(10 * batch, ALERTS), events


@pytest.mark.parametrize(
    ("lease", "batch", "concurrency", "timeout", "prefetch"),
    [
        (360, 100, 8, 20, True),  # the defaults: 13 waves of 20 s need 290 s, one more 310 s
        (300, 100, 8, 20, False),
        (900, 100, 8, 20, True),
        (311, 100, 8, 20, True),
        (310, 100, 8, 20, False),  # exactly the need: not above it
        (51, 10, 3, 5, False),
        (56, 10, 3, 5, True),
    ],
)
def test_can_prefetch_needs_a_lease_for_one_more_wave(
    lease: float, batch: int, concurrency: int, timeout: float, prefetch: bool
) -> None:
    settings = Settings(
        database_url="sqlite://",
        delivery_lease_seconds=lease,
        delivery_batch=batch,
        delivery_concurrency=concurrency,
        delivery_timeout=timeout,
    )
    assert deliver_module.can_prefetch(settings) is prefetch
