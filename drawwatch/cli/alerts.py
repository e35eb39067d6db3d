"""`drawwatch alerts` and `drawwatch notify`: the outbox and the channels."""

from __future__ import annotations

import json
import sys
from typing import TypedDict

import click

from drawwatch.cli.base import (
    Context,
    friendly_errors,
    iso,
    pass_ctx,
)
from drawwatch.domain.vocabulary import ALERT_STATUSES


class _AlertRow(TypedDict):
    """One alert as ``alerts list`` shows it (and prints it with ``--json``)."""

    id: int
    subscriber: int
    subscriber_name: str
    round: str | None  # None for a reminder
    event_on: str | None  # a reminder's day (what it warns of happens then)
    channel: int
    kind: str
    tie: str
    status: str
    attempts: int
    next_attempt_at: str | None
    sent_at: str | None
    last_error: str | None


@click.group()
def alerts() -> None:
    """The alert outbox: one row per message to one channel."""


@alerts.command("list")
@click.option("--status", type=click.Choice(ALERT_STATUSES), help="Only alerts in this state.")
@click.option(
    "--limit", type=click.IntRange(min=0), default=50, show_default=True, help="At most N (0: all)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
@friendly_errors
def alerts_list(obj: Context, status: str | None, limit: int, as_json: bool) -> None:
    """List alerts, newest first, with their delivery state (errors shown redacted)."""
    from drawwatch.storage.db import session_scope
    from drawwatch.storage.outbox import list_alerts

    with session_scope(obj.engine) as session:
        views = list_alerts(session, status=status, limit=limit or None)
    rows: list[_AlertRow] = [
        {
            "id": v.id,
            "subscriber": v.subscriber_id,
            "subscriber_name": v.subscriber_name,
            "round": v.round_number,
            "event_on": v.event_on.isoformat() if v.event_on else None,
            "channel": v.channel_id,
            "kind": v.kind,
            "tie": v.tie,
            "status": v.status,
            "attempts": v.attempts,
            "next_attempt_at": iso(v.next_attempt_at),
            "sent_at": iso(v.sent_at),
            "last_error": v.last_error,
        }
        for v in views
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No alerts" + (f" with status {status}." if status else " yet."))
        return
    for r in rows:
        extra = (
            f"  sent {r['sent_at'][:19]}"
            if r["sent_at"]
            else f"  next try {(r['next_attempt_at'] or '')[:19]}"
        )
        error = f"  last error: {r['last_error']}" if r["last_error"] and r["status"] != "sent" else ""
        click.echo(
            f"{r['id']:>6}  {_what(r)}  subscriber {r['subscriber']} ({r['subscriber_name']})  "
            f"channel {r['channel']}  {r['status']}  tries {r['attempts']}{extra}{error}"
        )


def _what(row: _AlertRow) -> str:
    if row["round"] is None:
        return f"{row['kind'].replace('_', ' ')} reminder for {row['event_on']}"
    what = "correction of round" if row["kind"] == "correction" else "round"
    return f"{what} {row['round']:>4}"


@alerts.command("retry")
@click.argument("alert_ids", nargs=-1, required=True, type=int, metavar="ID...")
@pass_ctx
@friendly_errors
def alerts_retry(obj: Context, alert_ids: tuple[int, ...]) -> None:
    """Send ambiguous, dead or failed alerts again at the next delivery (`drawwatch deliver` sends them now).

    An ambiguous alert may already have arrived: resend it only once you know it did not.
    """
    from drawwatch.storage.db import session_scope
    from drawwatch.storage.outbox import retry_alerts

    with session_scope(obj.engine) as session:
        done = retry_alerts(session, alert_ids)
    skipped = sorted(set(alert_ids) - set(done))
    if done:
        click.echo(f"Alert(s) {', '.join(map(str, done))} will be sent again at the next delivery.")
    if skipped:
        click.echo(
            f"Left alone: {', '.join(map(str, skipped))} (unknown, already sent, pending, cancelled, or the "
            "subscriber is inactive).",
            err=True,
        )
    if not done:
        sys.exit(1)


@click.group()
def notify() -> None:
    """Notification channels (apprise URLs)."""


@notify.command("test")
@click.argument("urls", nargs=-1, required=True, metavar="URL...")
@pass_ctx
@friendly_errors
def notify_test(obj: Context, urls: tuple[str, ...]) -> None:
    """Send a test message to each apprise URL and report per URL; exit 1 if any failed."""
    from drawwatch.notify.message import RenderedMessage
    from drawwatch.notify.sending import send_sync
    from drawwatch.notify.urls import validate_url

    for url in urls:
        validate_url(url)
    text = "This is a test message from drawwatch. Alerts for new Express Entry rounds will arrive like this."
    message = RenderedMessage(subject="drawwatch test message", text=text, html=f"<p>{text}</p>")
    results = send_sync(list(urls), message, timeout=obj.settings.delivery_timeout)
    for result in results:
        mark = "ok  " if result.ok else "FAIL"
        click.echo(f"{mark} {result.url}" + ("" if result.ok else f": {result.error or result.status}"))
    if not all(r.ok for r in results):
        sys.exit(1)
