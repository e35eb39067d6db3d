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
leaves the row to be claimed again when the lease ends. The one window no outbox can close is a crash (or a
database failure) after the provider accepted a message but before it was marked sent; it is bounded by the
sends in flight, at most ``delivery_concurrency``:

- when recording an outcome fails (the database went away, is locked or full), no further send of the batch
  starts; the sends already under way finish and try to record theirs, and the run then fails with that
  error. The unsent and the unrecorded rows are claimed again when their lease ends;
- a lease that cannot cover a batch's sending is refused at start (:func:`lease_problem`): otherwise a slow
  batch's last rows would be claimed and sent by a second sender while the first still sends them;
- every try of one alert carries the same key (:func:`idempotency_key`): a webhook's ``Idempotency-Key``
  header, an e-mail's ``Message-ID``, so the receiver can drop a second copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import os
import socket
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from sqlalchemy.engine import Engine
from sqlmodel import Session

from drawwatch.config import Settings
from drawwatch.domain.categories import CATEGORY_LABELS
from drawwatch.domain.clock import utcnow
from drawwatch.domain.corrections import StoredChange, material_changes
from drawwatch.domain.errors import ConfigError
from drawwatch.domain.quiet_hours import quiet_until
from drawwatch.notify.message import AlertContext, RenderedMessage, RoundInfo
from drawwatch.notify.outcomes import ChannelResult
from drawwatch.storage.db import session_scope
from drawwatch.storage.outbox import (
    ClaimedAlert,
    ClaimedMessage,
    ClaimedReminder,
    cancel,
    claim_due,
    defer,
    mark_ambiguous,
    mark_failed,
    mark_sent,
    mark_sent_many,
)
from drawwatch.storage.rounds import round_changes

if TYPE_CHECKING:  # Jinja2 is imported only when there is something to render
    from drawwatch.notify.correction import CorrectionContext
    from drawwatch.notify.pacing import TelegramPacer
    from drawwatch.notify.reminder import ReminderContext
    from drawwatch.notify.render import Renderer

log = logging.getLogger("drawwatch.deliver")

# What a lease must cover beyond the sends themselves: rendering, the claim and the marks (which may wait for
# SQLite's busy timeout), and clock differences between the hosts of several senders.
LEASE_MARGIN_SECONDS: Final = 30.0


def lease_problem(lease_seconds: float, batch: int, concurrency: int, timeout: float) -> str | None:
    """Why a lease of ``lease_seconds`` cannot cover one batch, or None when it can.

    A batch of ``batch`` alerts goes out ``concurrency`` at a time, each send bounded by ``timeout``: its last
    send may end ``ceil(batch / concurrency) * timeout`` seconds after the claim. A lease ending sooner (plus
    :data:`LEASE_MARGIN_SECONDS`) lets another sender claim, and send, rows this one is still sending.
    """
    waves = math.ceil(batch / concurrency)
    needed = waves * timeout + LEASE_MARGIN_SECONDS
    if lease_seconds > needed:
        return None
    return (
        f"DRAWWATCH_DELIVERY_LEASE_SECONDS ({lease_seconds:g}) is too short for a batch: "
        f"{batch} alert(s) (DRAWWATCH_DELIVERY_BATCH) sent {concurrency} at a time "
        f"(DRAWWATCH_DELIVERY_CONCURRENCY) take up to {waves} x {timeout:g} s (DRAWWATCH_DELIVERY_TIMEOUT), "
        f"plus {LEASE_MARGIN_SECONDS:g} s margin: set it above {needed:g}, or send smaller batches"
    )


def check_lease(settings: Settings) -> None:
    """Refuse settings whose lease cannot cover a batch (:func:`lease_problem`), as a configuration error."""
    problem = lease_problem(
        settings.delivery_lease_seconds,
        settings.delivery_batch,
        settings.delivery_concurrency,
        settings.delivery_timeout,
    )
    if problem is not None:
        raise ConfigError(problem)


def idempotency_key(alert_id: int, created_at: datetime) -> str:
    """The key every try of one alert carries (``drawwatch-alert-17-3f9a2c1b0d4e``): the outbox row's id, and
    a digest of when it was queued so two databases' alert 17 differ. Letters, digits and ``-`` only, so it
    is a valid header value and the left part of a ``Message-ID``."""
    queued = created_at if created_at.tzinfo is not None else created_at.replace(tzinfo=UTC)
    digest = hashlib.sha256(f"{alert_id}:{queued.astimezone(UTC).isoformat()}".encode()).hexdigest()
    return f"drawwatch-alert-{alert_id}-{digest[:12]}"


@dataclass
class DeliveryStats:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    ambiguous: int = 0
    deferred: int = 0  # quiet hours or a rate limit: waiting, not failing
    cancelled: int = 0
    lost_claims: int = 0
    unrecorded: int = (
        0  # sent (or tried) but the outcome could not be stored: may go out again after the lease
    )
    held_back: int = 0  # claimed but not sent, because recording an outcome failed: sent after the lease
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


def unsubscribe_hint(settings: Settings, token: str, language: str | None = "en") -> str:
    """The line every message ends with, without the sign-up site: the operator's unsubscribe page, or the
    token and its command."""
    from drawwatch.notify.phrases import unsubscribe_hint as hint

    return hint(token, settings.unsubscribe_url, language)


def footer_hint(settings: Settings, alert: ClaimedMessage) -> str:
    """The last line of the message on ``alert``'s channel, in the subscriber's language: with the sign-up
    site, the manage page (and, in an e-mail, the one-click unsubscribe page); else :func:`unsubscribe_hint`."""
    if not links_configured(settings):
        return unsubscribe_hint(settings, alert.subscriber_unsubscribe_token, alert.subscriber_language)
    from drawwatch.app.links import manage_url, one_click_unsubscribe_url
    from drawwatch.notify.phrases import links_hint

    token = alert.subscriber_unsubscribe_token
    stop = one_click_unsubscribe_url(settings, token) if _is_email(alert.channel_url) else None
    return links_hint(manage_url(settings, token), stop, alert.subscriber_language)


def _is_email(url: str) -> bool:
    return url.lower().startswith("mailto")


def links_configured(settings: Settings) -> bool:
    """Whether messages carry the sign-up site's signed links (``drawwatch serve``): its public address and
    usable signing keys are set (:func:`drawwatch.app.links.configured`; keys too short to sign with give
    no links rather than a failed message, and ``drawwatch serve`` refuses them by name)."""
    if not (settings.public_url and settings.secret_keys):  # the usual case, without importing the signer
        return False
    from drawwatch.app.links import configured

    return configured(settings)


def email_headers(settings: Settings, alert: ClaimedMessage) -> dict[str, str] | None:
    """The subscriber's ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` headers (RFC 2369, RFC 8058: the
    one-click unsubscribe Gmail and Yahoo require of bulk senders) for an e-mail channel; None otherwise."""
    if not links_configured(settings) or not _is_email(alert.channel_url):
        return None
    from drawwatch.app.links import list_unsubscribe_headers

    return list_unsubscribe_headers(settings, alert.subscriber_unsubscribe_token)


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
    crs, rules, note, next_change = alert.subscriber_crs, None, None, None
    if alert.subscriber_profile is not None:
        # The score IRCC saw on the round's day, whatever the stored one has moved on to since.
        from drawwatch.app.rescore import alert_score

        scored = alert_score(alert.subscriber_profile, alert.round_date, alert.previous_round_date)
        if scored is not None:
            crs, rules, note, next_change = scored
    return AlertContext(
        round=round_info(alert),
        subscriber_name=alert.subscriber_name,
        subscriber_crs=crs,
        tie=alert.tie,  # type: ignore[arg-type]  # checked by AlertContext
        qualifying_occupation=alert.qualifying_occupation,
        unsubscribe_hint=footer_hint(settings, alert),
        submitted_at=alert.subscriber_submitted_at,
        score_rules=rules,
        score_note=note,
        score_next=next_change,
    )


def correction_context(
    alert: ClaimedAlert, changes: list[StoredChange], settings: Settings
) -> CorrectionContext:
    """The notice for a correction alert; ``changes`` are the ``draw_change`` rows of its revision."""
    from drawwatch.notify.correction import CorrectionContext, change_line

    shown = material_changes(changes, tie_break_now=alert.round_tie_break)
    crs, rules = alert.subscriber_crs, None
    if alert.subscriber_profile is not None:
        # The score on the corrected round's day (the standing was judged at it), as round alerts state it.
        from drawwatch.app.rescore import alert_score

        scored = alert_score(alert.subscriber_profile, alert.round_date, None)
        if scored is not None:
            crs, rules = scored.total, scored.rules
    return CorrectionContext(
        round=round_info(alert),
        changes=tuple(change_line(change) for change in shown),
        subscriber_name=alert.subscriber_name,
        subscriber_crs=crs,
        standing=alert.tie,  # type: ignore[arg-type]  # checked by CorrectionContext
        unsubscribe_hint=footer_hint(settings, alert),
        submitted_at=alert.subscriber_submitted_at,
        score_rules=rules,
    )


def reminder_context(alert: ClaimedReminder, settings: Settings) -> ReminderContext:
    """The reminder as the profile foresees it now (the profile may have changed since it was queued: a
    reminder whose event is no longer foreseen says so rather than a stale figure)."""
    from drawwatch.app.reminders import foreseen_event
    from drawwatch.notify.reminder import ReminderContext

    event = foreseen_event(alert.subscriber_profile, alert.kind, alert.event_on)
    if event is None:
        raise ValueError(
            f"the {alert.kind.replace('_', ' ')} of {alert.event_on.isoformat()} is no longer foreseen by "
            "the subscriber's profile (changed since it was queued)"
        )
    return ReminderContext(
        kind=alert.kind,
        day=alert.event_on,
        what=event.what,
        subscriber_name=alert.subscriber_name,
        score_now=event.before,
        score_after=event.after,
        score_rules=event.rules,
        unsubscribe_hint=footer_hint(settings, alert),
    )


async def deliver_due(
    engine: Engine,
    settings: Settings,
    *,
    renderer: Renderer | None = None,
    worker: str | None = None,
    now: datetime | None = None,
    pacer: TelegramPacer | None = None,
) -> DeliveryStats:
    """Send every alert that is due, batch by batch, until none is left. Returns what happened.

    Telegram sends start at the times ``pacer`` (the process's shared one by default) hands out: within a
    bot's 30 messages a second and a chat's one, planned ahead rather than learnt from 429s. A chat that
    blocked the bot (403) gets that alert given up and its channel deactivated for good.

    "Due" is judged against the start of the run, so each alert is tried at most once per run.

    Outcomes are committed in groups (:class:`_Recorder`): the marks of the sends that finished while the
    previous group was being written go into one transaction. A send keeps its place among the
    ``delivery_concurrency`` until its outcome is committed, so the sends in flight and the sends not yet
    recorded are together never more than ``delivery_concurrency``: the bound on duplicates after a crash.
    When the lease allows it (:func:`can_prefetch`), the next batch is claimed once every send of the current
    one has started, so sends never wait for a claim.
    """
    check_lease(settings)
    from drawwatch.notify.pacing import shared_pacer

    pacer = pacer or shared_pacer()
    worker = worker or worker_id()
    started = now or utcnow()
    stats = DeliveryStats()
    limit = asyncio.Semaphore(settings.delivery_concurrency)
    throttle = Throttle()
    stop = Stop()
    recorder = _Recorder(engine, settings, worker, now, stop)
    prefetch = can_prefetch(settings)

    def claim() -> asyncio.Future[list[ClaimedMessage]]:
        return asyncio.ensure_future(asyncio.to_thread(_claim, engine, settings, worker, now, started))

    async def send_batch(claimed: list[ClaimedMessage]) -> asyncio.Future[list[ClaimedMessage]] | None:
        """Send ``claimed``; the claim of the next batch, when it was made while this one's last sends ran."""
        waiting = len(claimed)
        upcoming: asyncio.Future[list[ClaimedMessage]] | None = None

        async def one(alert: ClaimedMessage) -> DeliveryStats:
            nonlocal waiting, upcoming
            async with limit:  # held until the outcome is committed, not only while sending
                waiting -= 1
                if waiting == 0 and prefetch and stop.error is None:
                    upcoming = claim()  # every send of this batch has started: claim the next one now
                if stop.error is not None:
                    return DeliveryStats(held_back=1)
                assert renderer is not None  # made before the first batch
                return await _deliver_one(
                    engine, settings, renderer, alert, now, throttle, stop, recorder, pacer
                )

        for result in await asyncio.gather(*(one(a) for a in claimed)):
            stats.add(result)
        return upcoming

    claimed = await claim()
    while claimed:
        if renderer is None:  # only now: a run with nothing to send never imports Jinja2
            renderer = run_renderer(settings)
        upcoming = await send_batch(claimed)
        if stop.error is not None:
            if upcoming is not None:  # claimed ahead before the failure: those wait for their lease too
                with contextlib.suppress(Exception):  # the run fails with the first error, not this one
                    stats.held_back += len(await upcoming)
            log.warning(
                "delivery stopped: an outcome could not be recorded (%s: %s); %d send(s) unrecorded "
                "(their alerts may be sent once more after the lease), %d alert(s) not sent (they wait "
                "for the lease to end, %gs)",
                type(stop.error).__name__,
                _first_line(stop.error),
                stats.unrecorded,
                stats.held_back,
                settings.delivery_lease_seconds,
            )
            raise stop.error
        claimed = await (upcoming or claim())
    return stats


def can_prefetch(settings: Settings) -> bool:
    """Whether the next batch may be claimed as soon as every send of the current one has started (so no
    send waits for a claim, and the sends of one batch run into the next without a pause): its lease then
    also covers up to ``delivery_concurrency`` sends of the current batch still under way, one wave more
    than :func:`lease_problem` asks of a batch. Without that margin each batch is claimed after the last."""
    return (
        lease_problem(
            settings.delivery_lease_seconds,
            settings.delivery_batch + settings.delivery_concurrency,
            settings.delivery_concurrency,
            settings.delivery_timeout,
        )
        is None
    )


def run_renderer(settings: Settings) -> Renderer:
    """The renderer of one delivery run: it reads each template once instead of checking its file before
    every render, so an edited template applies from the next run."""
    from drawwatch.notify.render import Renderer

    renderer = Renderer(settings.templates_dir)
    renderer.env.auto_reload = False
    return renderer


@dataclass
class Stop:
    """The first failure to record an outcome in this run; once set, no send of the batch starts."""

    error: Exception | None = None

    def trip(self, error: Exception) -> None:
        if self.error is None:
            self.error = error


@dataclass(frozen=True, slots=True)
class _Mark:
    """What to record for one claimed alert: a hold (``reason``, ``until``: nothing was sent) or a send's
    ``result`` (with ``resume_at`` when it was rate limited)."""

    alert: ClaimedMessage
    result: ChannelResult | None = None
    resume_at: datetime | None = None
    reason: str | None = None
    until: datetime | None = None
    blocked: bool = False  # Telegram's 403: the chat blocked the bot; given up at once, never retried

    @property
    def plain_sent(self) -> bool:
        """Accepted, neither ambiguous nor rate limited: recorded with one statement for the whole group."""
        result = self.result
        return result is not None and result.ok and not result.ambiguous and self.resume_at is None


class _Recorder:
    """Commits outcomes in groups, one transaction (and one thread hop) per group.

    The first outcome to arrive is written at once; those arriving meanwhile wait and form the next group,
    so a group is the sends that finished together and no send waits for others to finish. A failure to
    write a group trips ``stop`` before any of its senders learns of it (so no new send starts), and each of
    them gets the error; later groups are still tried, as each send tries to record its own outcome.
    """

    def __init__(
        self, engine: Engine, settings: Settings, worker: str, now: datetime | None, stop: Stop
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._worker = worker
        self._now = now
        self._stop = stop
        self._waiting: list[tuple[_Mark, asyncio.Future[str]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, mark: _Mark) -> str:
        """The outcome once committed ("sent", "failed", "dead", "deferred", "cancelled", "lost" …); raises
        what the database raised when the group could not be committed."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiting.append((mark, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return await future

    async def _write(self) -> None:
        await asyncio.sleep(0)  # let the sends whose answers are in already join the first group
        while self._waiting:
            group, self._waiting = self._waiting, []
            marks = [mark for mark, _ in group]
            try:
                outcomes = await asyncio.to_thread(
                    _record_group, self._engine, self._settings, self._worker, marks, self._now
                )
            except Exception as exc:
                self._stop.trip(exc)  # first: no slot is given back before the stop is visible
                for _, future in group:
                    if not future.done():
                        future.set_exception(exc)
            except BaseException:  # cancelled: so are the senders waiting for it
                for _, future in group + self._waiting:
                    future.cancel()
                raise
            else:
                for (_, future), outcome in zip(group, outcomes, strict=True):
                    if not future.done():
                        future.set_result(outcome)


def _first_line(error: BaseException) -> str:
    orig = getattr(error, "orig", None)  # SQLAlchemy's DBAPI error: its text, without the SQL
    text = str(orig if orig is not None else error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _claim(
    engine: Engine, settings: Settings, worker: str, now: datetime | None, due_by: datetime
) -> list[ClaimedMessage]:
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
    alert: ClaimedMessage,
    now: datetime | None,
    throttle: Throttle,
    stop: Stop,
    recorder: _Recorder,
    pacer: TelegramPacer,
) -> DeliveryStats:
    from drawwatch.notify.pacing import note_result, telegram_target, wait_for_slot
    from drawwatch.notify.sending import send_one  # apprise is imported only when something is sent

    stats = DeliveryStats()
    held = _hold_reason(alert, throttle, now or utcnow())
    if held is not None:
        reason, until = held
        try:
            outcome = await recorder.record(_Mark(alert, reason=reason, until=until))
        except Exception:  # the database failed: nothing was sent, the claim waits for its lease
            return DeliveryStats(held_back=1)
        if outcome == "cancelled":
            stats.cancelled += 1
        elif outcome == "deferred":
            log.info("alert %s deferred until %s (%s)", alert.alert_id, until and until.isoformat(), reason)
            stats.deferred += 1
        else:
            stats.lost_claims += 1
        return stats
    try:
        if isinstance(alert, ClaimedAlert) and alert.kind != "correction":
            # CPU only, and bounded by the sandbox: a thread hop would only add to it
            # lazy: the HTML and the short form only when the channel reads them (a webhook reads neither)
            message = renderer.render_alert(
                alert_context(alert, settings), language=alert.subscriber_language, lazy=True
            )
        else:  # a correction reads what changed, a reminder scores its profile: off the event loop
            message = await asyncio.to_thread(render_claimed, engine, settings, renderer, alert)
    except ValueError as exc:  # a TemplateProblem, or data that contradicts itself (CRS edited since)
        from drawwatch.notify.render import TemplateProblem
        from drawwatch.notify.urls import redact

        kind = "template" if isinstance(exc, TemplateProblem) else "invalid"
        result = ChannelResult(url=redact(alert.channel_url), ok=False, status=kind, error=str(exc))
    except Exception as exc:  # reading a correction's changes failed: the database, not the alert
        stop.trip(exc)
        return DeliveryStats(held_back=1)
    else:
        if stop.error is not None:  # another send's outcome could not be recorded while this one rendered
            return DeliveryStats(held_back=1)
        key = idempotency_key(alert.alert_id, alert.created_at)
        target = telegram_target(alert.channel_url)
        if target is not None:  # the slot right before the request, nothing awaited in between
            await wait_for_slot(pacer, *target)
        result = await send_one(
            alert.channel_url,
            message,
            timeout=settings.delivery_timeout,
            key=key,
            email_headers=email_headers(settings, alert),
        )
    blocked = note_result(pacer, alert.channel_url, result)  # a 429 also pushes the bot's next slot out
    resume_at = _rate_limited_until(result, settings, now or utcnow())
    if resume_at is not None:
        throttle.hold(alert.channel_url, resume_at)
    try:
        outcome = await recorder.record(_Mark(alert, result=result, resume_at=resume_at, blocked=blocked))
    except Exception as exc:  # sent, but not recorded: it may go out once more after the lease
        log.warning(
            "alert %s via %s: %s, but its outcome could not be recorded: %s",
            alert.alert_id,
            result.url,
            "sent" if result.ok else result.error or result.status,
            _first_line(exc),
        )
        return DeliveryStats(unrecorded=1)
    _log_outcome(alert, result, resume_at, outcome)
    if blocked and outcome == "dead":
        await asyncio.to_thread(_block_channel, engine, alert)
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


def _log_outcome(
    alert: ClaimedMessage, result: ChannelResult, resume_at: datetime | None, outcome: str
) -> None:
    """Say what was recorded for a send (once committed: a line never claims a record that was lost)."""
    error = result.error or result.status
    if result.ambiguous:
        if outcome == "ambiguous":
            log.warning(
                "alert %s via %s: %s; not resent (see `drawwatch alerts list --status ambiguous`)",
                alert.alert_id,
                result.url,
                error,
            )
    elif resume_at is not None:
        if outcome == "deferred":
            log.warning(
                "alert %s via %s rate limited: retrying at %s",
                alert.alert_id,
                result.url,
                resume_at.isoformat(),
            )
    elif result.ok:
        if outcome == "sent":
            log.info("sent %s via %s", _describe(alert), result.url)
        else:
            log.warning("alert %s was sent but its claim had expired and was taken over", alert.alert_id)
    else:
        log.warning(
            "alert %s (%s) via %s failed: %s; now %s",
            alert.alert_id,
            _describe(alert),
            result.url,
            error,
            outcome,
        )


def _describe(alert: ClaimedMessage) -> str:
    if isinstance(alert, ClaimedReminder):
        what = f"{alert.kind.replace('_', ' ')} reminder for {alert.event_on.isoformat()}"
    else:
        assert isinstance(alert, ClaimedAlert)
        what = f"{'correction of round' if alert.kind == 'correction' else 'round'} {alert.round_number}"
    return f"{what} to subscriber {alert.subscriber_id}"


def _rate_limited_until(result: ChannelResult, settings: Settings, now: datetime) -> datetime | None:
    """When a rate-limited send may be tried again: the service's ``retry_after``, else the configured wait.
    None when the send was not rate limited, or was ambiguous (which wins: it is never resent by itself)."""
    if not result.rate_limited or result.ambiguous:
        return None
    wait = result.retry_after if result.retry_after is not None else settings.delivery_rate_limit_seconds
    return now + timedelta(seconds=wait)


def _hold_reason(
    alert: ClaimedMessage, throttle: Throttle, now: datetime
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


def render_claimed(
    engine: Engine, settings: Settings, renderer: Renderer, alert: ClaimedMessage
) -> RenderedMessage:
    """The message for a claimed row: the round alert, a correction notice (which reads what changed) or a
    reminder."""
    if isinstance(alert, ClaimedReminder):
        from drawwatch.notify.reminder import render_reminder

        return render_reminder(
            renderer, reminder_context(alert, settings), language=alert.subscriber_language
        )
    assert isinstance(alert, ClaimedAlert)
    if alert.kind == "correction":
        with session_scope(engine) as session:
            rows = round_changes(session, alert.draw_id, check_id=alert.revision)
            changes = [StoredChange.decode(row.field, row.old_value, row.new_value) for row in rows]
        from drawwatch.notify.correction import render_correction

        return render_correction(
            renderer, correction_context(alert, changes, settings), language=alert.subscriber_language
        )
    return renderer.render_alert(alert_context(alert, settings), language=alert.subscriber_language)


def _record_group(
    engine: Engine, settings: Settings, worker: str, marks: list[_Mark], now: datetime | None
) -> list[str]:
    """Store the outcomes of ``marks`` in one transaction; one outcome per mark, in order. The accepted
    sends are marked with one statement; holds, failures and the rest row by row (they are few). A group of
    accepted sends only, the usual one, needs no ORM session: one statement on a plain connection."""
    if all(mark.plain_sent for mark in marks):
        with engine.begin() as connection:
            ids = [mark.alert.alert_id for mark in marks]
            recorded = mark_sent_many(connection, ids, worker=worker, now=now)
        return ["sent" if alert_id in recorded else "lost" for alert_id in ids]
    with session_scope(engine) as session:
        plain = [mark.alert.alert_id for mark in marks if mark.plain_sent]
        recorded = mark_sent_many(session, plain, worker=worker, now=now) if plain else set()
        outcomes: list[str] = []
        for mark in marks:
            if mark.plain_sent:
                outcomes.append("sent" if mark.alert.alert_id in recorded else "lost")
            elif mark.result is None:
                assert mark.reason is not None
                outcomes.append(_hold(session, worker, mark.alert, mark.reason, mark.until))
            else:
                outcomes.append(
                    _record(
                        session, settings, worker, mark.alert, mark.result, now, mark.resume_at, mark.blocked
                    )
                )
        return outcomes


def _block_channel(engine: Engine, alert: ClaimedMessage) -> None:
    """A Telegram chat that blocked the bot: its channel is never used again (the subscriber whose only
    channel it was becomes inactive). Its own transaction, after the alert's outcome; a failure is logged
    (the next alert to that chat meets the 403 again and tries again)."""
    from drawwatch.storage.bot import block_channel

    try:
        with session_scope(engine) as session:
            block_channel(session, alert.channel_id)
    except Exception as exc:
        log.warning(
            "channel %s blocked the bot, but could not be deactivated: %s", alert.channel_id, _first_line(exc)
        )
    else:
        log.warning(
            "subscriber %s: the Telegram chat blocked the bot (403); channel %s deactivated",
            alert.subscriber_id,
            alert.channel_id,
        )


def _hold(session: Session, worker: str, alert: ClaimedMessage, reason: str, until: datetime | None) -> str:
    if reason == "cancel":
        done = cancel(session, alert.alert_id, worker=worker, reason="subscriber is no longer active")
        return "cancelled" if done else "lost"
    assert until is not None
    note = None if reason == "quiet" else "the service asked to slow down (HTTP 429); waiting"
    return "deferred" if defer(session, alert.alert_id, worker=worker, until=until, note=note) else "lost"


def _record(
    session: Session,
    settings: Settings,
    worker: str,
    alert: ClaimedMessage,
    result: ChannelResult,
    now: datetime | None,
    resume_at: datetime | None,
    blocked: bool = False,
) -> str:
    """Store a send's outcome; ``resume_at`` is set (by :func:`_rate_limited_until`) for a rate-limited one,
    ``blocked`` for a chat that blocked the bot (dead at once: no retry can succeed)."""
    error = result.error or result.status
    # Ambiguous first: with apprise's ?retry=N a send can be both, and a resend could duplicate it.
    if result.ambiguous:
        return "ambiguous" if mark_ambiguous(session, alert.alert_id, worker=worker, error=error) else "lost"
    if resume_at is not None:
        note = f"rate limited: {error}"
        return (
            "deferred"
            if defer(session, alert.alert_id, worker=worker, until=resume_at, note=note)
            else "lost"
        )
    if result.ok:
        return "sent" if mark_sent(session, alert.alert_id, worker=worker, now=now) else "lost"
    return mark_failed(
        session,
        alert.alert_id,
        worker=worker,
        error=error,
        now=now,
        max_attempts=alert.attempts + 1 if blocked else settings.delivery_max_attempts,
        backoff_seconds=settings.delivery_backoff_seconds,
        retry_after=result.retry_after,
    )
