"""The bot's loop: hold the poller lease, long-poll ``getUpdates``, handle each update exactly once, send the
replies it queued. :func:`run_bot` is the entry point (``drawwatch bot``, and ``drawwatch run --bot`` as a task
beside the scheduler).

Exactly once (see :mod:`drawwatch.storage.bot`): one transaction per update applies the command, queues its
replies and advances the stored offset past it, conditioned on holding the lease; only then are the replies
sent, by a task of their own (:meth:`Bot._sender`) that each commit wakes. Telegram returns every update at or
above the offset we ask with, so an update whose transaction did not commit (a crash, the database locked)
comes back at the next poll, and one that committed is never seen again. A reply is marked ``sending``
(committed) before its request leaves and ``sent`` after the answer; one a dead process left ``sending`` may
have arrived and is not sent again. A process that finds the lease held by a process of its host that no
longer runs (a crash, SIGKILL) takes it over at once instead of waiting for it to run out.

The database work runs in a worker thread (``asyncio.to_thread``): the event loop it shares with the daemon's
checks never waits for SQL. Replies are paced by :class:`~drawwatch.notify.pacing.TelegramPacer` (pass the
delivery loop's to share the bot's 30 messages a second with the alerts).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import math
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import Engine

from drawwatch.bot.client import BotApi, BotApiError, BotApiUnanswered, BotApiUnreachable
from drawwatch.bot.commands import BotContext, RateLimiter, handle_update, parse_update
from drawwatch.config import Settings
from drawwatch.domain.clock import utcnow
from drawwatch.domain.errors import ConfigError
from drawwatch.notify.pacing import LATE, TelegramPacer, shared_pacer, wait_for_slot
from drawwatch.storage.bot import (
    abandon_in_flight,
    acquire_lease,
    advance_offset,
    block_chat,
    due_replies,
    lease_holder,
    mark_reply,
    mark_sending,
    prune_replies,
    queue_reply,
    release_lease,
)
from drawwatch.storage.db import describe_database_error, session_scope

log = logging.getLogger("drawwatch.bot")

POLL_TIMEOUT: Final = 25  # seconds a getUpdates long poll waits for an update
LEASE_MARGIN: Final = 30.0  # seconds of lease beyond one poll and one request
STANDBY_WAIT: Final = 5.0  # seconds between tries of a process that does not hold the lease
ERROR_WAIT: Final = 5.0  # seconds after a failed poll (no answer, the database unusable)
REPLY_BATCH: Final = 50
MAX_IN_FLIGHT: Final = 500  # replies waiting for their slot or on the wire
STOP_GRACE: Final = 5.0  # seconds a stopping bot lets its replies in flight finish
REPLY_RETENTION: Final = dt.timedelta(days=2)
PRUNE_EVERY: Final = 3600.0  # seconds between two deletions of the replies done
PACED_METHODS: Final = frozenset({"sendMessage", "editMessageText"})
_SENDING_ERROR_LIMIT: Final = 300


def bot_token(settings: Settings) -> str:
    """The configured bot token; :class:`ConfigError` when it is not set."""
    secret = settings.telegram_bot_token
    token = secret.get_secret_value().strip() if secret is not None else ""
    if not token:
        raise ConfigError(
            "DRAWWATCH_TELEGRAM_BOT_TOKEN is not set: give the token @BotFather made for the bot"
        )
    return token


def new_holder() -> str:
    """Who holds the lease: host, process and a random part (a restarted process is someone new)."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder_is_dead(holder: str) -> bool:
    """Whether a lease holder (see :func:`new_holder`) is a process of this host that no longer runs, so its
    lease can be taken before it runs out (a restart after a crash polls at once). Only ever says so when
    sure: another host's, or a live process's (or a reused pid's), lease is waited out. Taking a lease too
    early is no correctness problem anyway: the offset moves only for the holder of the moment."""
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname()[:100] or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists (another user's): alive
        return False
    return False


@dataclass
class BotStats:
    updates: int = 0
    replies_sent: int = 0
    replies_failed: int = 0
    polls: int = 0
    lease_held: bool = False
    errors: Counter[str] = field(default_factory=Counter)  # what failed, how often


class Bot:
    """One bot's poller and reply sender; :meth:`run` until ``stop`` is set."""

    def __init__(
        self,
        engine: Engine,
        token: str,
        *,
        api_url: str | None = None,
        pacer: TelegramPacer | None = None,
        holder: str | None = None,
        poll_timeout: int = POLL_TIMEOUT,
        request_timeout: float = 20.0,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.engine = engine
        self.api = BotApi(token, base_url=api_url, timeout=request_timeout)
        self.context = BotContext(token)
        self.pacer = pacer or shared_pacer()
        self.holder = holder or new_holder()
        self.poll_timeout = poll_timeout
        self.lease_seconds = poll_timeout + request_timeout + LEASE_MARGIN
        self.limiter = limiter or RateLimiter()
        self.stats = BotStats()
        self._abandoned = False
        self._pruned = -math.inf
        self._wake = asyncio.Event()
        self._inflight: dict[int, asyncio.Future[bool]] = {}

    @property
    def bot_id(self) -> str:
        return self.context.bot_id

    # --- the loop ---------------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        async with self.api:
            sender = asyncio.ensure_future(self._sender(stop))
            try:
                while not stop.is_set():
                    await self.step(stop)
            finally:
                sender.cancel()
                await self._finish_sending()
                await self._release()

    async def step(self, stop: asyncio.Event) -> None:
        """One turn: renew the lease, wake the reply sender, poll once and handle what came."""
        try:
            offset = await asyncio.to_thread(self._lease)
        except Exception as exc:
            self._trouble("lease", exc)
            await _wait(stop, ERROR_WAIT)
            return
        if offset is None:
            if self.stats.lease_held:
                log.warning("another process holds the bot's lease now; standing by")
            self.stats.lease_held = False
            await _wait(stop, STANDBY_WAIT)
            return
        if not self.stats.lease_held:
            log.info("polling for bot %s", self.bot_id)
        self.stats.lease_held = True
        self._wake.set()
        updates = await self._poll(offset, stop)
        if updates is None:
            return
        for update in updates:
            if stop.is_set():
                return  # not yet handled: the next process (or turn) reads it again
            if not await self._handle(update):
                return
            self._wake.set()

    async def _poll(self, offset: int, stop: asyncio.Event) -> list[dict[str, Any]] | None:
        self.stats.polls += 1
        poll = asyncio.ensure_future(self.api.get_updates(offset, timeout=self.poll_timeout))
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({poll, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
        if not poll.done():
            poll.cancel()  # nothing is acknowledged by an unanswered poll: safe to drop
            return None
        try:
            return poll.result()
        except BotApiError as exc:
            if exc.rate_limited and exc.retry_after:
                self.pacer.retry_after(self.api.token, None, exc.retry_after)
                await _wait(stop, exc.retry_after)
                return None
            log.error("getUpdates refused: %s", exc)  # 401 (bad token), 409 (a webhook is set)
        except (BotApiUnanswered, BotApiUnreachable) as exc:
            log.warning("getUpdates failed: %s", exc)
        await _wait(stop, ERROR_WAIT)
        return None

    async def _handle(self, update: dict[str, Any]) -> bool:
        """Handle one update in its transaction; False when it did not commit (retried at the next poll)."""
        try:
            await asyncio.to_thread(self.handle_now, update)
            self.stats.updates += 1
            return True
        except Exception as exc:
            if describe_database_error(exc, self.engine.url) is not None:
                self._trouble("update", exc)
                return False
            # A bug with this update: acknowledge it (no answer) rather than fail on it forever.
            log.exception("handling an update failed; it is skipped")
            try:
                await asyncio.to_thread(self._skip, update)
            except Exception as again:
                self._trouble("update", again)
            return False

    def handle_now(self, update: dict[str, Any]) -> bool:
        """The update's transaction (synchronous): offset, effect and replies; False when it was handled
        before or the lease is lost (nothing changed)."""
        incoming = parse_update(update)
        update_id = incoming.update_id if incoming is not None else None
        if update_id is None:
            return False
        verdict = "ok"
        if incoming is not None and incoming.chat_id is not None:
            verdict = self.limiter.check(incoming.chat_id, time.monotonic())
        with session_scope(self.engine) as session:
            if not advance_offset(session, self.bot_id, self.holder, update_id):
                session.rollback()
                return False
            now = utcnow()
            for call in handle_update(session, self.context, update, limiter_verdict=verdict):
                chat_id = int(call.payload.get("chat_id") or (incoming.chat_id if incoming else 0) or 0)
                queue_reply(session, self.bot_id, chat_id, update_id, call.method, call.payload, now=now)
        return True

    def _skip(self, update: dict[str, Any]) -> None:
        update_id = update.get("update_id")
        if isinstance(update_id, int):
            with session_scope(self.engine) as session:
                advance_offset(session, self.bot_id, self.holder, update_id)

    # --- replies ----------------------------------------------------------------------------------------

    async def _sender(self, stop: asyncio.Event) -> None:
        """Send queued replies while the lease is held, woken when an update committed (or every second):
        each reply waits for its own paced slot, so one chat's wait never holds the others' replies back."""
        while not stop.is_set():
            self._wake.clear()
            if self.stats.lease_held:
                try:
                    await self.launch_replies()
                except Exception as exc:
                    self._trouble("replies", exc)
            await _wait_any(stop, self._wake, timeout=1.0)

    async def launch_replies(self) -> int:
        """Start sending the due replies not in flight yet (each at its paced slot); how many started."""
        if len(self._inflight) >= MAX_IN_FLIGHT:
            return 0
        replies = await asyncio.to_thread(self._due, REPLY_BATCH + len(self._inflight))
        started = 0
        for reply in replies:
            if reply.id in self._inflight:
                continue
            paced = reply.method in PACED_METHODS
            task = asyncio.ensure_future(self._send_at(paced, reply.id, reply.method, reply.payload))
            self._inflight[reply.id] = task
            task.add_done_callback(functools.partial(self._sent, reply.id))
            started += 1
        return started

    def _sent(self, reply_id: int, _task: object = None) -> None:
        self._inflight.pop(reply_id, None)
        self._wake.set()

    async def send_replies(self, timeout: float = 30.0) -> None:
        """Send every reply queued now and wait for them (tests, one-off use)."""
        await self.launch_replies()
        if self._inflight:
            await asyncio.wait(list(self._inflight.values()), timeout=timeout)

    async def _finish_sending(self) -> None:
        """At a stop: let the replies in flight finish (briefly), then drop the rest; one dropped while
        its request was out is ``unknown`` at the next start, one dropped before it stays pending."""
        tasks = list(self._inflight.values())
        if tasks:
            _, left = await asyncio.wait(tasks, timeout=STOP_GRACE)
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)

    def _due(self, limit: int) -> list[Any]:
        with session_scope(self.engine) as session:
            return due_replies(session, self.bot_id, limit=limit)

    async def _send_at(self, paced: bool, reply_id: int, method: str, payload: dict[str, Any]) -> bool:
        chat_id = int(payload.get("chat_id") or 0)
        start = await wait_for_slot(self.pacer, self.api.token, chat_id) if paced else 0.0
        if not await asyncio.to_thread(self._claim, reply_id):
            return False
        if paced and self.pacer.clock() - start > LATE:
            self.pacer.missed(self.api.token, chat_id, start)
            await wait_for_slot(self.pacer, self.api.token, chat_id)  # the claim made it late: a fresh slot
        try:
            await self.api.call(method, payload)
        except BotApiError as exc:
            await asyncio.to_thread(self._refused, reply_id, method, payload, exc)
            return True
        except BotApiUnreachable as exc:  # nothing left: try again shortly
            retry = utcnow() + dt.timedelta(seconds=ERROR_WAIT)
            await asyncio.to_thread(self._mark, reply_id, "pending", str(exc), retry)
            return False
        except BotApiUnanswered as exc:  # it may have arrived: never twice
            await asyncio.to_thread(self._mark, reply_id, "unknown", str(exc), None)
            return True
        await asyncio.to_thread(self._mark, reply_id, "sent", None, None)
        self.stats.replies_sent += 1
        return True

    def _claim(self, reply_id: int) -> bool:
        with session_scope(self.engine) as session:
            return mark_sending(session, reply_id)

    def _mark(self, reply_id: int, status: str, error: str | None, retry_at: dt.datetime | None) -> None:
        with session_scope(self.engine) as session:
            mark_reply(session, reply_id, status, error=_short(error), retry_at=retry_at)

    def _refused(self, reply_id: int, method: str, payload: dict[str, Any], exc: BotApiError) -> None:
        chat_id = payload.get("chat_id")
        if exc.rate_limited:  # nothing was sent: later, once Telegram's wait is over
            wait = exc.retry_after or 1.0
            self.pacer.retry_after(self.api.token, chat_id if isinstance(chat_id, int) else None, wait)
            self._mark(reply_id, "pending", str(exc), utcnow() + dt.timedelta(seconds=wait))
            return
        if method == "editMessageText" and "not modified" in exc.description:
            self._mark(reply_id, "sent", None, None)
            return
        self.stats.replies_failed += 1
        with session_scope(self.engine) as session:
            mark_reply(session, reply_id, "failed", error=_short(str(exc)))
        if exc.forbidden and isinstance(chat_id, int):
            with session_scope(self.engine) as session:
                block_chat(session, self.bot_id, chat_id)

    # --- lease ------------------------------------------------------------------------------------------

    def _lease(self) -> int | None:
        with session_scope(self.engine) as session:
            offset = acquire_lease(session, self.bot_id, self.holder, seconds=self.lease_seconds)
            if offset is None:
                other = lease_holder(session, self.bot_id)
                if other is not None and holder_is_dead(other):
                    log.info("the process that held the bot's lease is gone; taking over")
                    offset = acquire_lease(
                        session, self.bot_id, self.holder, seconds=self.lease_seconds, replacing=other
                    )
            if offset is not None and not self._abandoned:
                left = abandon_in_flight(session, self.bot_id)
                self._abandoned = True
                if left:
                    log.warning(
                        "%d repl%s may have been sent by a stopped process: not sent again",
                        left,
                        "y" if left == 1 else "ies",
                    )
            if offset is not None and time.monotonic() - self._pruned > PRUNE_EVERY:
                prune_replies(session, self.bot_id, utcnow() - REPLY_RETENTION)
                self._pruned = time.monotonic()
            return offset

    async def _release(self) -> None:
        try:
            await asyncio.to_thread(self._release_now)
        except Exception as exc:
            self._trouble("release", exc)

    def _release_now(self) -> None:
        with session_scope(self.engine) as session:
            release_lease(session, self.bot_id, self.holder)

    def _trouble(self, what: str, exc: Exception) -> None:
        trouble = describe_database_error(exc, self.engine.url)
        if trouble is None:
            log.error("bot %s failed: %s", what, self.api.redacted(f"{type(exc).__name__}: {exc}"))
        else:
            log.error("bot %s failed: %s; trying again", what, trouble)
        self.stats.errors[what] += 1


def _short(text: str | None) -> str | None:
    if text is None:
        return None
    return text if len(text) <= _SENDING_ERROR_LIMIT else text[: _SENDING_ERROR_LIMIT - 1] + "…"


async def _wait_any(*events: asyncio.Event, timeout: float) -> None:
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def run_bot(
    settings: Settings,
    engine: Engine,
    *,
    stop: asyncio.Event,
    pacer: TelegramPacer | None = None,
) -> None:
    """Run the bot of ``settings`` (DRAWWATCH_TELEGRAM_BOT_TOKEN, DRAWWATCH_TELEGRAM_API_URL) until ``stop``
        is set: the poll in flight is dropped (nothing is lost: unacknowledged updates come again), the update
        being handled commits or not, the lease is released. Raises :class:`ConfigError` without a token.
        ``pacer``: the delivery loop's (default: :func:`~drawwatch.notify.pacing.shared_pacer`, the process's
    one), so alerts and replies together stay within Telegram's limits."""
    token = bot_token(settings)
    bot = Bot(
        engine,
        token,
        api_url=settings.telegram_api_url,
        pacer=pacer,
        request_timeout=settings.delivery_timeout,
    )
    await bot.run(stop)


def bot_task(
    settings: Settings, engine: Engine, *, pacer: TelegramPacer | None = None
) -> Callable[[asyncio.Event], Awaitable[None]]:
    """:func:`run_bot` as a ``stop → coroutine`` callable, for a caller that may not import this package
    (the daemon, below this layer): ``drawwatch run --bot`` builds it and hands it to the daemon, which
    starts ``task(stop)`` beside the scheduler. Checks the token now (:class:`ConfigError`)."""
    bot_token(settings)

    def task(stop: asyncio.Event) -> Awaitable[None]:
        return run_bot(settings, engine, stop=stop, pacer=pacer)

    return task


__all__ = [
    "POLL_TIMEOUT",
    "Bot",
    "BotStats",
    "bot_task",
    "bot_token",
    "holder_is_dead",
    "new_holder",
    "run_bot",
]
