"""Delivery: claim due alerts from the outbox, render, send through apprise, record the outcome.

Exactly-once rests on the outbox, not on this loop: rows are claimed with a lease in a short transaction
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL), sent, then marked in another short transaction guarded by the
claim. Several ``drawwatch deliver`` processes can therefore run side by side. A process killed after claiming
leaves the row to be claimed again when the lease ends. The one window no outbox can close is a crash after
the provider accepted a message but before it was marked sent; it is as small as one send.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine

from drawwatch.categories import CATEGORY_LABELS
from drawwatch.config import Settings
from drawwatch.notify.channels import ChannelResult, redact, send
from drawwatch.notify.message import AlertContext, RenderedMessage, RoundInfo
from drawwatch.notify.render import Renderer, TemplateProblem
from drawwatch.storage.alerts import ClaimedAlert, claim_due, mark_failed, mark_sent
from drawwatch.storage.db import session_scope, utcnow

log = logging.getLogger("drawwatch.deliver")


@dataclass
class DeliveryStats:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    lost_claims: int = 0
    dead_alerts: list[str] = field(default_factory=list)  # "round 437 to subscriber 12 via json://…"

    def add(self, other: DeliveryStats) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.dead += other.dead
        self.lost_claims += other.lost_claims
        self.dead_alerts.extend(other.dead_alerts)


def worker_id() -> str:
    """Names the claimer in the outbox so a lease can be traced to a host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def alert_context(alert: ClaimedAlert) -> AlertContext:
    round_info = RoundInfo(
        number=alert.draw_number,
        date=alert.draw_date,
        name=alert.draw_name,
        category=alert.draw_category,
        category_label=CATEGORY_LABELS.get(alert.draw_category, alert.draw_category),
        list_version=alert.draw_list_version,
        crs=alert.draw_crs,
        invitations=alert.draw_invitations,
        tie_break=alert.draw_tie_break,
        tie_break_raw=alert.draw_tie_break_raw,
        url=alert.draw_url,
    )
    return AlertContext(
        round=round_info,
        subscriber_name=alert.subscriber_name,
        subscriber_crs=alert.subscriber_crs,
        tie=alert.tie,
        qualifying_occupation=alert.qualifying_occupation,
        unsubscribe_hint=None,
    )


async def deliver_due(
    engine: Engine,
    settings: Settings,
    *,
    renderer: Renderer | None = None,
    worker: str | None = None,
    now: datetime | None = None,
) -> DeliveryStats:
    """Send every alert that is due, batch by batch, until none is left. Returns what happened.

    "Due" is judged against the start of the run, so each alert is tried at most once per run.
    """
    renderer = renderer or Renderer(settings.templates_dir)
    worker = worker or worker_id()
    started = now or utcnow()
    stats = DeliveryStats()
    limit = asyncio.Semaphore(settings.delivery_concurrency)

    async def one(alert: ClaimedAlert) -> DeliveryStats:
        async with limit:
            return await _deliver_one(engine, settings, renderer, worker, alert, now)

    while True:
        claimed = await asyncio.to_thread(_claim, engine, settings, worker, now, started)
        if not claimed:
            return stats
        for result in await asyncio.gather(*(one(a) for a in claimed)):
            stats.add(result)


def _claim(
    engine: Engine, settings: Settings, worker: str, now: datetime | None, due_by: datetime
) -> list[ClaimedAlert]:
    with session_scope(engine) as session:
        return claim_due(
            session,
            worker=worker,
            limit=settings.delivery_batch,
            lease_seconds=settings.delivery_lease_seconds,
            now=now,
            due_by=due_by,
        )


async def _deliver_one(
    engine: Engine,
    settings: Settings,
    renderer: Renderer,
    worker: str,
    alert: ClaimedAlert,
    now: datetime | None,
) -> DeliveryStats:
    stats = DeliveryStats()
    try:
        message: RenderedMessage = renderer.render_alert(alert_context(alert))
    except ValueError as exc:  # a TemplateProblem, or data that contradicts itself (CRS edited since)
        kind = "template" if isinstance(exc, TemplateProblem) else "invalid"
        result = ChannelResult(url=redact(alert.channel_url), ok=False, status=kind, error=str(exc))
    else:
        (result,) = await send([alert.channel_url], message, timeout=settings.delivery_timeout)
    outcome = await asyncio.to_thread(_record, engine, settings, worker, alert, result, now)
    if outcome == "sent":
        stats.sent += 1
    elif outcome == "lost":
        stats.lost_claims += 1
    elif outcome == "dead":
        stats.dead += 1
        stats.dead_alerts.append(
            f"round {alert.draw_number} to subscriber {alert.subscriber_id} via {result.url}: {result.error}"
        )
    else:
        stats.failed += 1
    return stats


def _record(
    engine: Engine,
    settings: Settings,
    worker: str,
    alert: ClaimedAlert,
    result: ChannelResult,
    now: datetime | None,
) -> str:
    with session_scope(engine) as session:
        if result.ok:
            if mark_sent(session, alert.alert_id, worker=worker, now=now):
                log.info(
                    "sent round %s alert to subscriber %s via %s",
                    alert.draw_number,
                    alert.subscriber_id,
                    result.url,
                )
                return "sent"
            log.warning("alert %s was sent but its claim had expired and was taken over", alert.alert_id)
            return "lost"
        status = mark_failed(
            session,
            alert.alert_id,
            worker=worker,
            error=result.error or result.status,
            now=now,
            max_attempts=settings.delivery_max_attempts,
            backoff_seconds=settings.delivery_backoff_seconds,
            retry_after=result.retry_after,
        )
        log.warning(
            "alert %s (round %s, subscriber %s) via %s failed: %s; now %s",
            alert.alert_id,
            alert.draw_number,
            alert.subscriber_id,
            result.url,
            result.error or result.status,
            status,
        )
        return status
