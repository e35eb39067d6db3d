"""One-shot and daemon commands: check, run, deliver, health."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from drawwatch.app.display import delivery_error_text, summary_json, summary_text
from drawwatch.cli.base import (
    Context,
    DatabaseTrouble,
    friendly_errors,
    pass_ctx,
)
from drawwatch.config import setting_default
from drawwatch.domain.secrets import MaskingFilter, masked_text, url_secrets

if TYPE_CHECKING:
    from drawwatch.config import Settings


def mask_feed_secrets_in_logs(settings: Settings) -> None:
    """Mask the feed URL's password in every log line from now on: Scrapy and Twisted quote the URL they
    fetch (``Error downloading <GET https://user:password@…>``), and so may an exception's message."""
    if not url_secrets(settings.feed_url):
        return
    masking = MaskingFilter([settings.feed_url])
    for handler in logging.getLogger().handlers:
        handler.addFilter(masking)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary on stdout.")
@click.option(
    "--no-deliver",
    is_flag=True,
    help="Store rounds and queue alerts, but leave sending to `drawwatch deliver`.",
)
@pass_ctx
@friendly_errors
def check(obj: Context, as_json: bool, no_deliver: bool) -> None:
    """Run one check: fetch the rounds feed, validate it, store new and changed rounds, queue and send alerts.

    Exit status: 0 when the check succeeded (with or without news), 1 when the feed could not be fetched or
    failed validation (nothing stored is changed then), 2 for a usage or configuration error, 3 when the
    database could not be used (locked by another process past the busy timeout, disk full, unreachable).

    The first check records IRCC's whole history of rounds; it draws a progress bar on stderr while it
    stores them when stderr is a terminal (not with --json).
    """
    from sqlalchemy.exc import SQLAlchemyError

    from drawwatch.app.check import run_check
    from drawwatch.app.deliver import check_lease
    from drawwatch.app.runtime import run_on_reactor
    from drawwatch.cli.base import terminal_progress

    if not no_deliver:
        check_lease(obj.settings)  # refused before anything is fetched or stored
    settings, engine = obj.settings, obj.engine
    mask_feed_secrets_in_logs(settings)
    holder: dict[str, Any] = {}

    with terminal_progress("Recording the history of rounds", enabled=not as_json) as progress:

        async def main() -> int:
            try:
                summary = await run_check(settings, engine, deliver=not no_deliver, progress=progress)
            except SQLAlchemyError as exc:  # e.g. locked before the check started: friendly_errors says it
                holder["database_error"] = exc
                return DatabaseTrouble.exit_code
            holder["summary"] = summary
            return summary.exit_code

        code = run_on_reactor(main)
    if "database_error" in holder:
        raise holder["database_error"]
    summary = holder.get("summary")
    if summary is None:
        raise click.ClickException("the check did not complete (see the log above)")
    if as_json:
        data = summary_json(summary, feed_urls=[settings.feed_url])
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        text = summary_text(summary, feed_urls=[settings.feed_url])
        click.echo(text, err=summary.outcome == "failed")
    stopped = delivery_error_text(summary)
    if stopped:
        click.echo(stopped, err=True)
    sys.exit(code)


@click.command()
@click.option("--interval", type=click.FloatRange(min=1), metavar="SECONDS", help="Check every N seconds.")
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Regenerate the static report there after every check that found new rounds (and after the first "
    "check when the folder has no report yet).",
)
@click.option(
    "--bot",
    "with_bot",
    is_flag=True,
    help="Run the Telegram bot (DRAWWATCH_TELEGRAM_BOT_TOKEN) inside the daemon too, as `drawwatch bot` does; "
    "its long polling never delays a check, and its replies and the alerts share one pacing.",
)
@pass_ctx
@friendly_errors
def run(obj: Context, interval: float | None, report_dir: Path | None, with_bot: bool) -> None:
    """Run as a daemon: check on a schedule until SIGTERM/SIGINT, then finish the check in flight and exit 0.

    Default schedule (UTC): every 15 minutes on weekdays 12:00-22:59, when IRCC publishes rounds, and hourly
    otherwise, with up to DRAWWATCH_JITTER seconds of random delay. DRAWWATCH_SCHEDULE takes crontab
    expressions separated by ';'; --interval or DRAWWATCH_INTERVAL a fixed period. Delivery retries that come
    due between checks are sent every DRAWWATCH_DELIVERY_INTERVAL seconds.
    """
    from drawwatch.app.deliver import check_lease
    from drawwatch.app.runtime import run_on_reactor
    from drawwatch.scheduler.daemon import Daemon, check_trigger, report_hook

    settings = obj.settings
    mask_feed_secrets_in_logs(settings)
    root = logging.getLogger()
    if root.level == logging.INFO:  # the daemon's default; -v/-vv on the command line win over the setting
        root.setLevel(settings.log_level)
    # A bad DRAWWATCH_SCHEDULE is a ConfigError here, before the database or the reactor is touched.
    trigger = check_trigger(settings, interval)
    check_lease(settings)  # so is a lease that cannot cover a delivery batch
    engine = obj.engine
    after = report_hook(settings, engine, report_dir) if report_dir else None
    companions = []
    if with_bot:
        from drawwatch.bot.runner import bot_task

        companions.append(bot_task(settings, engine))  # no token: a ConfigError, before anything starts
    holder: dict[str, Daemon] = {}

    async def main() -> int:
        daemon = Daemon(
            settings, engine, interval=interval, after_check=after, trigger=trigger, companions=companions
        )
        holder["daemon"] = daemon
        return await daemon.run()

    def stop() -> None:
        if "daemon" in holder:
            holder["daemon"].request_stop()

    sys.exit(run_on_reactor(main, on_stop=stop))


@click.command()
@click.option(
    "--max-age",
    type=click.FloatRange(min=1),
    metavar="SECONDS",
    help=f"Default: DRAWWATCH_HEALTH_MAX_AGE ({setting_default('health_max_age'):g}).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
@friendly_errors
def health(obj: Context, max_age: float | None, as_json: bool) -> None:
    """Exit 0 when a check succeeded recently enough, 1 otherwise, and say why (for HEALTHCHECK and probes)."""
    from drawwatch.app.health import assess
    from drawwatch.scrapers.credentials import public_url
    from drawwatch.storage.db import session_scope

    settings = obj.settings
    mask_feed_secrets_in_logs(settings)
    with session_scope(obj.engine) as session:  # checks are keyed by the URL without credentials
        report = assess(session, public_url(settings.feed_url), max_age or settings.health_max_age)
    if report.last_error:  # an error stored before credentials were kept out of the fetch may quote them
        report.last_error = masked_text(report.last_error, [settings.feed_url])
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        click.echo(f"{'healthy' if report.healthy else 'unhealthy'}: {report.reason}")
        if report.last_outcome == "failed" and report.last_error:
            click.echo(f"  last check failed: {report.last_error}")
        if report.alerts_due or report.alerts_dead:
            click.echo(f"  alerts waiting to be sent: {report.alerts_due}; given up: {report.alerts_dead}")
    sys.exit(0 if report.healthy else 1)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary on stdout.")
@pass_ctx
@friendly_errors
def deliver(obj: Context, as_json: bool) -> None:
    """Send the alerts that are pending and due, then exit.

    Safe to run in several processes at once against one PostgreSQL database: each alert is claimed by one
    sender. Failed sends are retried later with exponential backoff; after the last try an alert is dead and
    the operator is told through DRAWWATCH_ADMIN_URLS.
    """
    import asyncio

    from drawwatch.app.deliver import check_lease, deliver_due
    from drawwatch.app.operator import tell_operator_about_delivery

    check_lease(obj.settings)  # before the database is opened
    settings, engine = obj.settings, obj.engine

    async def main() -> dict[str, int]:
        stats = await deliver_due(engine, settings)
        await tell_operator_about_delivery(settings, stats)
        return {
            "sent": stats.sent,
            "failed": stats.failed,
            "dead": stats.dead,
            "ambiguous": stats.ambiguous,
            "deferred": stats.deferred,
            "cancelled": stats.cancelled,
        }

    result = asyncio.run(main())
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(
            f"Alerts: {result['sent']} sent, {result['failed']} failed (will retry), {result['dead']} given up, "
            f"{result['deferred']} waiting (quiet hours or a rate limit), {result['ambiguous']} unanswered "
            "(may have arrived; not resent)."
        )
