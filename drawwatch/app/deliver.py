"""Delivery: claim due alerts from the outbox, render, send through apprise, record the outcome.

What happens to a claimed alert, in order:
- its subscriber was deactivated since it was queued: cancelled, not sent;
- it falls in the subscriber's quiet hours: deferred to their end (no try counted);
- a service told this run to slow down (HTTP 429) for the same channel: deferred until then, unsent;
- otherwise sent. Accepted: sent. Rate limited: deferred by the service's ``retry_after`` (or
  ``DRAWWATCH_DELIVERY_RATE_LIMIT_SECONDS``), not counted as a failure. Ambiguous (the request left and
  no answer came, so it may have arrived): marked ``ambiguous`` and never resent on its own, since a slow
  provider usually delivered; the operator is told and resends with ``drawwatch alerts retry ID`` if it did
  not arrive. Any other failure: retried with backoff until ``delivery_max_attempts``, then dead.

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
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy.engine import Engine

from drawwatch.config import Settings
from drawwatch.domain.categories import CATEGORY_LABELS
from drawwatch.domain.clock import utcnow
from drawwatch.domain.corrections import StoredChange, material_changes
from drawwatch.domain.quiet_hours import quiet_until
from drawwatch.notify.correction import CorrectionContext, change_line, render_correction
from drawwatch.notify.message import AlertContext, RenderedMessage, RoundInfo
from drawwatch.notify.outcomes import ChannelResult
from drawwatch.notify.render import Renderer, TemplateProblem
from drawwatch.notify.sending import send
from drawwatch.notify.urls import redact
from drawwatch.storage.db import session_scope
from drawwatch.storage.outbox import (
    ClaimedAlert,
    cancel,
    claim_due,
    defer,
    mark_ambiguous,
    mark_failed,
    mark_sent,
)
from drawwatch.storage.rounds import round_changes

log = logging.getLogger("drawwatch.deliver")


@dataclass
class DeliveryStats:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    ambiguous: int = 0
    deferred: int = 0  # quiet hours or a rate limit: waiting, not failing
    cancelled: int = 0
    lost_claims: int = 0
    dead_alerts: list[str] = field(default_factory=list)  # "round 437 to subscriber 12 via json://…"
    ambiguous_alerts: list[str] = field(default_factory=list)  # "alert 17: round 437 to subscriber 12 via …"

    def add(self, other: DeliveryStats) -> None:
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))  # counts add, lists concatenate


class Throttle:
    """Channels a service asked this run to slow down for (HTTP 429), until when.

    Keyed by scheme and host part (a Telegram bot, an SMTP account, a webhook host): the limit is the
    service's, so other alerts through it wait too instead of each collecting its own 429. In memory only
    (the key holds secrets); each alert's own wait is stored in the outbox.
    """

    def __init__(self) -> None:
        self._until: dict[tuple[str, str], datetime] = {}

    @staticmethod
    def key(url: str) -> tuple[str, str]:
        try:
            parts = urlsplit(url.strip())
        except ValueError:
            return ("", url)
        return (parts.scheme.lower(), parts.netloc)

    def until(self, url: str, now: datetime) -> datetime | None:
        until = self._until.get(self.key(url))
        return until if until is not None and until > now else None

    def hold(self, url: str, until: datetime) -> None:
        key = self.key(url)
        self._until[key] = max(until, self._until.get(key, until))


def worker_id() -> str:
    """Names the claimer in the outbox so a lease can be traced to a host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def unsubscribe_hint(settings: Settings, token: str) -> str:
    """The line every message ends with: the operator's unsubscribe page, or the token and its command."""
    if settings.unsubscribe_url:
        return f"To stop these alerts: {settings.unsubscribe_url.replace('{token}', token)}"
    return (
        f"To stop these alerts, send this unsubscribe code to whoever runs drawwatch for you: {token} "
        f"(they run: drawwatch subscribers unsubscribe {token})"
    )


def round_info(alert: ClaimedAlert) -> RoundInfo:
    return RoundInfo(
        number=alert.round_number,
        date=alert.round_date,
        name=alert.round_name,
        category=alert.round_category,
        category_label=CATEGORY_LABELS.get(alert.round_category, alert.round_category),
        list_version=alert.round_list_version,
        crs=alert.round_crs,
        invitations=alert.round_invitations,
        tie_break=alert.round_tie_break,
        tie_break_raw=alert.round_tie_break_raw,
        url=alert.round_url,
    )


def alert_context(alert: ClaimedAlert, settings: Settings) -> AlertContext:
    return AlertContext(
        round=round_info(alert),
        subscriber_name=alert.subscriber_name,
        subscriber_crs=alert.subscriber_crs,
        tie=alert.tie,  # type: ignore[arg-type]  # checked by AlertContext
        qualifying_occupation=alert.qualifying_occupation,
        unsubscribe_hint=unsubscribe_hint(settings, alert.subscriber_unsubscribe_token),
        submitted_at=alert.subscriber_submitted_at,
    )


def correction_context(
    alert: ClaimedAlert, changes: list[StoredChange], settings: Settings
) -> CorrectionContext:
    """The notice for a correction alert; ``changes`` are the ``draw_change`` rows of its revision."""
    shown = material_changes(changes, tie_break_now=alert.round_tie_break)
    return CorrectionContext(
        round=round_info(alert),
        changes=tuple(change_line(change) for change in shown),
        subscriber_name=alert.subscriber_name,
        subscriber_crs=alert.subscriber_crs,
        standing=alert.tie,  # type: ignore[arg-type]  # checked by CorrectionContext
        unsubscribe_hint=unsubscribe_hint(settings, alert.subscriber_unsubscribe_token),
        submitted_at=alert.subscriber_submitted_at,
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
    throttle = Throttle()

    async def one(alert: ClaimedAlert) -> DeliveryStats:
        async with limit:
            return await _deliver_one(engine, settings, renderer, worker, alert, now, throttle)

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
    throttle: Throttle,
) -> DeliveryStats:
    stats = DeliveryStats()
    held = _hold_reason(alert, throttle, now or utcnow())
    if held is not None:
        outcome = await asyncio.to_thread(_hold, engine, worker, alert, *held)
        if outcome == "cancelled":
            stats.cancelled += 1
        elif outcome == "deferred":
            stats.deferred += 1
        else:
            stats.lost_claims += 1
        return stats
    try:
        message = await asyncio.to_thread(render_claimed, engine, settings, renderer, alert)
    except ValueError as exc:  # a TemplateProblem, or data that contradicts itself (CRS edited since)
        kind = "template" if isinstance(exc, TemplateProblem) else "invalid"
        result = ChannelResult(url=redact(alert.channel_url), ok=False, status=kind, error=str(exc))
    else:
        (result,) = await send([alert.channel_url], message, timeout=settings.delivery_timeout)
    resume_at = _rate_limited_until(result, settings, now or utcnow())
    if resume_at is not None:
        throttle.hold(alert.channel_url, resume_at)
    outcome = await asyncio.to_thread(_record, engine, settings, worker, alert, result, now, resume_at)
    if outcome == "sent":
        stats.sent += 1
    elif outcome == "lost":
        stats.lost_claims += 1
    elif outcome == "deferred":
        stats.deferred += 1
    elif outcome == "ambiguous":
        stats.ambiguous += 1
        stats.ambiguous_alerts.append(
            f"alert {alert.alert_id}: {_describe(alert)} via {result.url}: {result.error or result.status}"
        )
    elif outcome == "dead":
        stats.dead += 1
        stats.dead_alerts.append(f"{_describe(alert)} via {result.url}: {result.error}")
    else:
        stats.failed += 1
    return stats


def _describe(alert: ClaimedAlert) -> str:
    what = "correction of round" if alert.kind == "correction" else "round"
    return f"{what} {alert.round_number} to subscriber {alert.subscriber_id}"


def _rate_limited_until(result: ChannelResult, settings: Settings, now: datetime) -> datetime | None:
    """When a rate-limited send may be tried again: the service's ``retry_after``, else the configured wait.
    None when the send was not rate limited, or was ambiguous (which wins: it is never resent by itself)."""
    if not result.rate_limited or result.ambiguous:
        return None
    wait = result.retry_after if result.retry_after is not None else settings.delivery_rate_limit_seconds
    return now + timedelta(seconds=wait)


def _hold_reason(
    alert: ClaimedAlert, throttle: Throttle, now: datetime
) -> tuple[str, datetime | None] | None:
    """Why ``alert`` must not be sent now: ("cancel", None), ("quiet", until) or ("rate_limit", until); None
    to send it."""
    if not alert.subscriber_active:
        return ("cancel", None)
    quiet_end = quiet_until(alert.subscriber_quiet_hours, alert.subscriber_timezone, now)
    if quiet_end is not None:
        return ("quiet", quiet_end)
    slowed = throttle.until(alert.channel_url, now)
    if slowed is not None:
        return ("rate_limit", slowed)
    return None


def _hold(engine: Engine, worker: str, alert: ClaimedAlert, reason: str, until: datetime | None) -> str:
    with session_scope(engine) as session:
        if reason == "cancel":
            done = cancel(session, alert.alert_id, worker=worker, reason="subscriber is no longer active")
            return "cancelled" if done else "lost"
        assert until is not None
        note = None if reason == "quiet" else "the service asked to slow down (HTTP 429); waiting"
        if defer(session, alert.alert_id, worker=worker, until=until, note=note):
            log.info("alert %s deferred until %s (%s)", alert.alert_id, until.isoformat(), reason)
            return "deferred"
        return "lost"


def render_claimed(
    engine: Engine, settings: Settings, renderer: Renderer, alert: ClaimedAlert
) -> RenderedMessage:
    """The message for a claimed alert: the round alert, or a correction notice (which reads what changed)."""
    if alert.kind == "correction":
        with session_scope(engine) as session:
            rows = round_changes(session, alert.draw_id, check_id=alert.revision)
            changes = [StoredChange.decode(row.field, row.old_value, row.new_value) for row in rows]
        return render_correction(renderer, correction_context(alert, changes, settings))
    return renderer.render_alert(alert_context(alert, settings))


def _record(
    engine: Engine,
    settings: Settings,
    worker: str,
    alert: ClaimedAlert,
    result: ChannelResult,
    now: datetime | None,
    resume_at: datetime | None,
) -> str:
    """Store a send's outcome; ``resume_at`` is set (by :func:`_rate_limited_until`) for a rate-limited one."""
    error = result.error or result.status
    with session_scope(engine) as session:
        # Ambiguous first: with apprise's ?retry=N a send can be both, and a resend could duplicate it.
        if result.ambiguous:
            if mark_ambiguous(session, alert.alert_id, worker=worker, error=error):
                log.warning(
                    "alert %s via %s: %s; not resent (see `drawwatch alerts list --status ambiguous`)",
                    alert.alert_id,
                    result.url,
                    error,
                )
                return "ambiguous"
            return "lost"
        if resume_at is not None:
            if defer(session, alert.alert_id, worker=worker, until=resume_at, note=f"rate limited: {error}"):
                log.warning(
                    "alert %s via %s rate limited: retrying at %s",
                    alert.alert_id,
                    result.url,
                    resume_at.isoformat(),
                )
                return "deferred"
            return "lost"
        if result.ok:
            if mark_sent(session, alert.alert_id, worker=worker, now=now):
                log.info(
                    "sent round %s alert to subscriber %s via %s",
                    alert.round_number,
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
            alert.round_number,
            alert.subscriber_id,
            result.url,
            result.error or result.status,
            status,
        )
        return status
