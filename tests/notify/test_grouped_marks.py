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
    queue(engine, hook, 8)

    def broken(*_: Any) -> list[str]:
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(deliver_module, "_record_group", broken)
    settings = Settings(database_url="sqlite://", delivery_concurrency=CONCURRENCY, delivery_timeout=5)
    with pytest.raises(RuntimeError, match="the disk went away"):
        asyncio.run(deliver_due(engine, settings))
    assert len(hook.requests) <= CONCURRENCY  # no send started after the first failed group


def test_deliver_imports_apprise_only_to_send() -> None:
    """``drawwatch check`` on an unchanged feed imports the delivery module but sends nothing."""
    import subprocess

    code = "import sys, drawwatch.app.deliver; print('apprise' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
