"""The daemon: the very same check as ``drawwatch check``, on an APScheduler timer, until SIGTERM/SIGINT.

Runs on Scrapy's asyncio reactor with an ``AsyncIOScheduler`` (docs/design.md): a coroutine job with
``max_instances=1`` and ``coalesce=True`` means never two checks at once and an overrun is skipped, not
queued. Correctness never depends on the scheduler: storage is idempotent and the outbox has unique keys and
leases, so replicas or an overlapping cron run cannot double an alert.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from drawwatch.app.check import CheckSummary, run_check
from drawwatch.app.deliver import check_lease, deliver_due
from drawwatch.app.operator import tell_operator_about_delivery
from drawwatch.config import Settings
from drawwatch.domain.errors import ConfigError
from drawwatch.storage.db import describe_database_error

log = logging.getLogger("drawwatch.daemon")


def freeze_long_lived_objects() -> bool:
    """Once per process: collect, then move every object alive now to the garbage collector's permanent
    generation (``gc.freeze()``), and return whether it was done now.

    Called after the daemon's first check, when the imports are done and the caches filled. Those hundreds of
    thousands of objects live as long as the process, yet every full collection walked them all again
    (a 90 ms pause every ~75 polls, over 1 ms of CPU per unchanged poll). Frozen, they are left out of
    collections; objects freed by reference counting are freed as before, and everything created later is
    collected as before. The collection first frees the first check's garbage cycles, so none is frozen.
    :meth:`Daemon.run` gives them back (``gc.unfreeze()``) when it stops.
    """
    if gc.get_freeze_count():
        return False
    gc.collect()
    gc.freeze()
    return True


def check_trigger(settings: Settings, interval: float | None = None) -> BaseTrigger:
    """A fixed interval when asked, else the cron expressions of ``settings.schedule`` (UTC), with jitter."""
    seconds = interval or settings.interval
    if seconds:
        return IntervalTrigger(seconds=seconds, timezone=UTC)
    triggers = []
    for expression in settings.schedule:
        try:
            triggers.append(CronTrigger.from_crontab(expression, timezone=UTC))
        except ValueError as exc:
            raise ConfigError(
                f"DRAWWATCH_SCHEDULE: {expression!r} is not a crontab expression: {exc}"
            ) from None
    if not triggers:
        raise ConfigError("DRAWWATCH_SCHEDULE is empty: give at least one crontab expression or an interval")
    return OrTrigger(triggers, jitter=settings.jitter or None)


class Daemon:
    """Schedules checks and delivery retries; stops gracefully, finishing the check in flight."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        interval: float | None = None,
        after_check: Callable[[CheckSummary], Awaitable[None]] | None = None,
        trigger: BaseTrigger | None = None,
        companions: Sequence[Callable[[asyncio.Event], Awaitable[None]]] = (),
    ):
        """``after_check`` runs after every check that completed (it decides whether there is work for it);
        ``trigger`` is :func:`check_trigger`'s, when the caller built it already to validate the settings.
        ``companions`` run beside the schedule from start to stop, each handed the stop event (``drawwatch
        run --bot``: the Telegram bot, from a layer this one may not import); a companion that fails is
        logged and the daemon goes on.
        A lease that cannot cover a delivery batch is refused here (``drawwatch run`` checks it earlier)."""
        check_lease(settings)
        self.settings = settings
        self.engine = engine
        self.trigger = trigger if trigger is not None else check_trigger(settings, interval)
        self.after_check = after_check
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._stop = asyncio.Event()
        self._busy: asyncio.Task[None] | None = None  # the check in flight
        self._jobs: set[asyncio.Task[None]] = set()  # every job in flight, checks and deliveries
        self._companions = list(companions)
        self._companion_tasks: list[asyncio.Future[None]] = []
        self.checks = 0
        self._froze = False  # whether this daemon froze the objects alive after its first check

    async def run(self) -> int:
        """Run until :meth:`request_stop`; returns the exit code (0 after a clean stop)."""
        self.scheduler.add_job(
            self._check_job,
            self.trigger,
            id="check",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=300,
            next_run_time=datetime.now(UTC),  # check once at start, then on schedule
        )
        self.scheduler.add_job(
            self._deliver_job,
            IntervalTrigger(seconds=self.settings.delivery_interval, timezone=UTC),
            id="deliver",
            max_instances=1,
            coalesce=True,
        )
        self.scheduler.start()
        self._companion_tasks = [asyncio.ensure_future(self._companion(c)) for c in self._companions]
        log.info("daemon started: %s", self.trigger)
        await self._stop.wait()
        return await self._shutdown()

    def request_stop(self) -> None:
        if not self._stop.is_set():
            log.info("stop requested: finishing the check in flight")
            self._stop.set()

    async def _companion(self, companion: Callable[[asyncio.Event], Awaitable[None]]) -> None:
        try:
            await companion(self._stop)
        except Exception as exc:
            self._log_crash("companion", exc)

    async def _shutdown(self) -> int:
        self.scheduler.pause()
        running = [task for task in (*self._jobs, *self._companion_tasks) if not task.done()]
        if running:
            try:
                await asyncio.wait_for(
                    asyncio.shield(asyncio.gather(*running)), timeout=self.settings.stop_timeout
                )
            except TimeoutError:
                log.error(
                    "the check in flight did not finish within %ss; stopping anyway",
                    self.settings.stop_timeout,
                )
                self.scheduler.shutdown(wait=False)
                self._unfreeze()
                return 1
        self.scheduler.shutdown(wait=False)
        self._unfreeze()
        log.info("daemon stopped after %d check(s)", self.checks)
        return 0

    def _unfreeze(self) -> None:
        if self._froze:
            gc.unfreeze()
            self._froze = False

    async def _check_job(self) -> None:
        if self._stop.is_set():
            return
        self._busy = asyncio.current_task()
        self._jobs.add(self._busy)  # type: ignore[arg-type]
        try:
            summary = await run_check(self.settings, self.engine)
            self.checks += 1
            if self.checks == 1:
                self._froze = freeze_long_lived_objects()
            if summary.database_error:  # one line, as for trouble before the check could start
                failed = (
                    ("check", summary.error)
                    if summary.outcome == "failed"
                    else ("delivery", summary.delivery_error)
                )
                log.error("%s failed: %s; the daemon goes on", *failed)
            if self.after_check is not None:
                await self.after_check(summary)
        except Exception as exc:  # never let one bad check kill the daemon
            self._log_crash("check", exc)
        finally:
            self._jobs.discard(self._busy)
            self._busy = None

    async def _deliver_job(self) -> None:
        """Retries that come due between checks go out without waiting for the next check."""
        if self._stop.is_set() or self._busy is not None:
            return
        task = asyncio.current_task()
        self._jobs.add(task)  # type: ignore[arg-type]
        try:
            stats = await deliver_due(self.engine, self.settings)
            await tell_operator_about_delivery(self.settings, stats)
            if stats.sent or stats.failed or stats.dead or stats.ambiguous or stats.deferred:
                log.info(
                    "delivery: %d sent, %d failed, %d given up, %d unanswered, %d waiting",
                    stats.sent,
                    stats.failed,
                    stats.dead,
                    stats.ambiguous,
                    stats.deferred,
                )
        except Exception as exc:
            self._log_crash("delivery", exc)
        finally:
            self._jobs.discard(task)

    def _log_crash(self, job: str, exc: Exception) -> None:
        """One line when the database could not be used (it may be free at the next run, which stays on
        schedule), the traceback only at DEBUG; anything else is a bug and keeps its traceback."""
        trouble = describe_database_error(exc, self.engine.url)
        if trouble is None:
            log.exception("%s crashed; the daemon goes on", job)
            return
        log.error("%s failed: %s; the daemon goes on", job, trouble)
        log.debug("%s failed", job, exc_info=True)


def report_hook(
    settings: Settings, engine: Engine, out_dir: Path
) -> Callable[[CheckSummary], Awaitable[None]]:
    """Regenerate the static report after a check that found new rounds, and after any check while
    ``out_dir`` has no report yet (so ``run --report-dir`` writes one at start, not at the next round)."""

    async def regenerate(summary: CheckSummary) -> None:
        from drawwatch.report import write_report

        if not (summary.new_rounds and not summary.baseline) and (out_dir / "index.html").is_file():
            return
        try:
            await asyncio.to_thread(write_report, engine, out_dir, templates_dir=settings.templates_dir)
            log.info("report regenerated in %s", out_dir)
        except Exception:
            log.exception("report regeneration failed")

    return regenerate
