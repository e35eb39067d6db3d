"""The ``drawwatch`` command line. Thin: parses options, calls one function, prints the result."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from drawwatch import __version__
from drawwatch.categories import CATEGORY_KEYS
from drawwatch.config import Settings, load_settings
from drawwatch.display import draw_detail, draw_json, draws_table, summary_text

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("drawwatch")


class UserError(click.ClickException):
    """An error the user can fix; printed as one line, exit status 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def friendly_errors(func: F) -> F:
    """Turn configuration, validation and database errors into one clear line instead of a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = "DRAWWATCH_" + "__".join(str(p) for p in first["loc"][:1]).upper()
            message = str(first["msg"]).removeprefix("Value error, ")
            raise UserError(f"invalid setting {where}: {message}") from None
        except SQLAlchemyError as exc:
            raise UserError(
                f"database error: {str(exc.orig if hasattr(exc, 'orig') else exc).strip()}"
            ) from None
        except ValueError as exc:
            raise UserError(str(exc)) from None

    return wrapper  # type: ignore[return-value]


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def setup_logging(verbose: int, log_format: str = "text", base: int = logging.WARNING) -> None:
    level = base if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # Scrapy logs every failed download with a traceback; the check reports the reason in one line anyway.
    # Its own messages appear with -v (warnings) and -vv (everything).
    logging.getLogger("scrapy").setLevel(
        {0: logging.CRITICAL, 1: logging.WARNING}.get(verbose, logging.DEBUG)
    )
    logging.getLogger("apprise").setLevel(logging.WARNING if verbose < 2 else logging.DEBUG)
    logging.getLogger("apscheduler").setLevel(logging.WARNING if verbose < 2 else logging.DEBUG)


class Context:
    """Lazily built settings and engine shared by the subcommands of one invocation."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._engine: Engine | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
            if self._settings.telegram_api_url:
                from drawwatch.notify.channels import use_telegram_api

                use_telegram_api(self._settings.telegram_api_url)
        return self._settings

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from drawwatch.storage.db import init_schema, make_engine

            self._engine = make_engine(self.settings.database_url)
            init_schema(self._engine)
        return self._engine


pass_ctx = click.make_pass_decorator(Context, ensure=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="drawwatch")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-v: info, -vv: debug).")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log line format.",
)
@click.pass_context
def cli(ctx: click.Context, verbose: int, log_format: str) -> None:
    """Watch Canada's Express Entry rounds of invitations and alert subscribers whose CRS clears a cut-off.

    Settings come from DRAWWATCH_* environment variables (e.g. DRAWWATCH_DATABASE_URL, DRAWWATCH_FEED_URL)
    and an optional TOML file named by DRAWWATCH_CONFIG. See the README.
    """
    # The daemon logs one line per check at INFO; one-shot commands print their result and log only warnings.
    setup_logging(verbose, log_format, logging.INFO if ctx.invoked_subcommand == "run" else logging.WARNING)
    ctx.obj = Context()


@cli.command()
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
    failed validation (nothing stored is changed then), 2 for a usage or configuration error.
    """
    from drawwatch.check import run_check
    from drawwatch.runtime import run_on_reactor

    settings, engine = obj.settings, obj.engine
    holder: dict[str, Any] = {}

    async def main() -> int:
        summary = await run_check(settings, engine, deliver=not no_deliver)
        holder["summary"] = summary
        return summary.exit_code

    code = run_on_reactor(main)
    summary = holder.get("summary")
    if summary is None:
        raise click.ClickException("the check did not complete (see the log above)")
    if as_json:
        click.echo(json.dumps(summary.to_json(), indent=2, default=str))
    else:
        text = summary_text(summary)
        click.echo(text, err=summary.outcome == "failed")
    sys.exit(code)


@cli.group()
def draws() -> None:
    """Stored rounds of invitations."""


def _parse_day(_: click.Context, __: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form") from None


@draws.command("list")
@click.option("--category", type=click.Choice(CATEGORY_KEYS), help="Only rounds of this category.")
@click.option("--since", callback=_parse_day, metavar="YYYY-MM-DD", help="Only rounds on or after this date.")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    help="At most N rounds (0: all). Default: 25 in the table, all with --json.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
@pass_ctx
@friendly_errors
def draws_list(
    obj: Context, category: str | None, since: date | None, limit: int | None, as_json: bool
) -> None:
    """List stored rounds, newest first."""
    from drawwatch.storage.db import session_scope
    from drawwatch.storage.draws import count_draws, list_draws

    shown = limit if limit is not None else (0 if as_json else 25)
    with session_scope(obj.engine) as session:
        rows = list_draws(session, category=category, since=since, limit=shown + 1 if shown else None)
        more = bool(shown) and len(rows) > shown
        rows = rows[:shown] if shown else rows
        if as_json:
            click.echo(json.dumps([draw_json(r) for r in rows], indent=2))
            return
        if not rows:
            total = count_draws(session)
            click.echo(
                "No rounds stored yet: run `drawwatch check` first." if not total else "No rounds match."
            )
            return
        click.echo(draws_table(rows))
    if more:
        click.echo(f"(newest {shown} shown; --limit N for more, --limit 0 for all)")


@draws.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_ctx
@friendly_errors
def draws_show(obj: Context, number: str, as_json: bool) -> None:
    """Show one round (e.g. 437 or 91a) with its tie-break time, pool distribution and correction history."""
    from drawwatch.storage.db import session_scope
    from drawwatch.storage.draws import draw_changes, get_distribution, get_draw

    with session_scope(obj.engine) as session:
        row = get_draw(session, number.strip().lstrip("#"))
        if row is None:
            raise UserError(f"no round {number!r} is stored (see `drawwatch draws list`)")
        dist = get_distribution(session, row.distribution_as_on) if row.distribution_as_on else None
        changes = draw_changes(session, row.id) if row.id is not None else []
        if as_json:
            data = draw_json(row)
            data.update(
                programs=row.programs,
                url=row.url,
                run_at=_iso(row.run_at),
                tie_break_text=row.tie_break_raw,
                distribution_as_on=_iso(row.distribution_as_on),
                distribution=dist.counts if dist else None,
                changes=[
                    {"field": c.field, "old": c.old_value, "new": c.new_value, "at": _iso(c.changed_at)}
                    for c in changes
                ],
            )
            click.echo(json.dumps(data, indent=2))
        else:
            click.echo(draw_detail(row, dist, changes))


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@cli.command()
@click.option("--interval", type=click.FloatRange(min=1), metavar="SECONDS", help="Check every N seconds.")
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Regenerate the static report there after every check that found new rounds.",
)
@pass_ctx
@friendly_errors
def run(obj: Context, interval: float | None, report_dir: Path | None) -> None:
    """Run as a daemon: check on a schedule until SIGTERM/SIGINT, then finish the check in flight and exit 0.

    Default schedule (UTC): every 15 minutes on weekdays 12:00-22:59, when IRCC publishes rounds, and hourly
    otherwise, with up to DRAWWATCH_JITTER seconds of random delay. DRAWWATCH_SCHEDULE takes crontab
    expressions separated by ';'; --interval or DRAWWATCH_INTERVAL a fixed period. Delivery retries that come
    due between checks are sent every DRAWWATCH_DELIVERY_INTERVAL seconds.
    """
    from drawwatch.runtime import run_on_reactor
    from drawwatch.scheduler.daemon import Daemon, report_hook

    settings, engine = obj.settings, obj.engine
    after = report_hook(settings, engine, report_dir) if report_dir else None
    holder: dict[str, Daemon] = {}

    async def main() -> int:
        daemon = Daemon(settings, engine, interval=interval, after_check=after)
        holder["daemon"] = daemon
        return await daemon.run()

    def stop() -> None:
        if "daemon" in holder:
            holder["daemon"].request_stop()

    sys.exit(run_on_reactor(main, on_stop=stop))


@cli.command()
@click.option(
    "--max-age",
    type=click.FloatRange(min=1),
    metavar="SECONDS",
    help="Default: DRAWWATCH_HEALTH_MAX_AGE (7200).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
@friendly_errors
def health(obj: Context, max_age: float | None, as_json: bool) -> None:
    """Exit 0 when a check succeeded recently enough, 1 otherwise, and say why (for HEALTHCHECK and probes)."""
    from drawwatch.health import assess
    from drawwatch.storage.db import session_scope

    settings = obj.settings
    with session_scope(obj.engine) as session:
        report = assess(session, settings.feed_url, max_age or settings.health_max_age)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        click.echo(f"{'healthy' if report.healthy else 'unhealthy'}: {report.reason}")
        if report.last_outcome == "failed" and report.last_error:
            click.echo(f"  last check failed: {report.last_error}")
        if report.alerts_due or report.alerts_dead:
            click.echo(f"  alerts waiting to be sent: {report.alerts_due}; given up: {report.alerts_dead}")
    sys.exit(0 if report.healthy else 1)


@cli.command()
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

    from drawwatch.notify.admin import tell_operator_about_delivery
    from drawwatch.notify.deliver import deliver_due

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


# --- subscribers -------------------------------------------------------------------------------------------


@cli.group()
def subscribers() -> None:
    """People to alert: their CRS score, round categories and notification URLs (apprise)."""


def _subscriber_json(view: Any) -> dict[str, Any]:
    from drawwatch.notify.channels import redact

    return {
        "id": view.id,
        "name": view.name,
        "crs": view.crs,
        "categories": list(view.categories),
        "urls": [redact(c.url) for c in view.channels],
        "submitted_at": _iso(view.submitted_at),
        "active": view.active,
        "language": view.language,
        "quiet_hours": view.quiet_hours,
        "timezone": view.time_zone,
        "created_at": _iso(view.created_at),
    }


_NOC_HELP = (
    "An occupation (NOC 2021 code) and months of experience, e.g. 21231:14 (repeatable): the category rounds "
    "it makes the subscriber eligible for are derived from the lists in force, and follow new years' lists."
)
_NCLC_HELP = "Lowest NCLC level of the four French abilities (French rounds need 7)."


def _parse_nocs(_: click.Context, __: click.Parameter, values: tuple[str, ...]) -> list[tuple[str, int]]:
    from drawwatch.eligibility import parse_noc_arg

    try:
        return [(e.code, e.months) for e in (parse_noc_arg(v) for v in values)]
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


_QUIET_HELP = "Local times during which alerts wait, e.g. 22:00-07:00 (needs --timezone)."
_ZONE_HELP = "The subscriber's time zone for quiet hours, an IANA name such as America/Toronto."

# The categories a subscriber can have (storage.subscribers.SUBSCRIBABLE_CATEGORIES, held equal by a test),
# spelled out here so that parsing the command line does not import the ORM.
SUBSCRIBABLE_KEYS = tuple(k for k in CATEGORY_KEYS if k != "other")
_CATEGORY_HELP = "A round category the subscriber can be invited in (repeatable): " + ", ".join(
    SUBSCRIBABLE_KEYS
)


@subscribers.command("add")
@click.argument("name")
@click.option("--crs", type=int, required=True, help="The subscriber's CRS score (0–1200).")
@click.option("--category", "categories", multiple=True, metavar="KEY", help=_CATEGORY_HELP)
@click.option(
    "--url", "urls", multiple=True, metavar="APPRISE_URL", help="Where to send alerts (repeatable)."
)
@click.option(
    "--submitted-at",
    metavar="ISO-8601",
    help="Profile submission time with a zone (2026-03-01T18:34:05Z), for the tie-breaking rule.",
)
@click.option("--noc", "nocs", multiple=True, callback=_parse_nocs, metavar="CODE:MONTHS", help=_NOC_HELP)
@click.option("--nclc-french", type=click.IntRange(0, 12), help=_NCLC_HELP)
@click.option("--quiet-hours", metavar="HH:MM-HH:MM", help=_QUIET_HELP)
@click.option("--timezone", "time_zone", metavar="ZONE", help=_ZONE_HELP)
@pass_ctx
@friendly_errors
def subscribers_add(
    obj: Context,
    name: str,
    crs: int,
    categories: tuple[str, ...],
    urls: tuple[str, ...],
    submitted_at: str | None,
    nocs: list[tuple[str, int]],
    nclc_french: int | None,
    quiet_hours: str | None,
    time_zone: str | None,
) -> None:
    """Add a subscriber and print their id. General rounds alert everyone; category rounds alert those with
    that category, given with --category or derived from --noc occupations and --nclc-french."""
    from drawwatch.importer import subscriber_input
    from drawwatch.occupations import refresh_derived_categories
    from drawwatch.storage.db import session_scope
    from drawwatch.storage.subscribers import add_subscriber

    data = subscriber_input(
        name=name,
        crs=crs,
        categories=categories,
        urls=urls,
        submitted_at=submitted_at,
        occupations=nocs,
        nclc_french=nclc_french,
        quiet_hours=quiet_hours,
        timezone=time_zone,
    )
    with session_scope(obj.engine) as session:
        row = add_subscriber(session, data)
        new_id = row.id
        assert new_id is not None
        refresh_derived_categories(session, subscriber_ids=[new_id])
    click.echo(new_id)


@subscribers.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (URLs redacted).")
@click.option("--active/--inactive", default=None, help="Only active or only inactive subscribers.")
@pass_ctx
@friendly_errors
def subscribers_list(obj: Context, as_json: bool, active: bool | None) -> None:
    """List subscribers (notification URLs are always shown redacted)."""
    from drawwatch.storage.db import session_scope
    from drawwatch.storage.subscribers import list_subscribers

    with session_scope(obj.engine) as session:
        views = list_subscribers(session, active=active)
    rows = [_subscriber_json(v) for v in views]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No subscribers yet: add one with `drawwatch subscribers add NAME --crs N --url URL`.")
        return
    for r in rows:
        state = "" if r["active"] else "  (inactive)"
        cats = ",".join(r["categories"]) or "general rounds only"
        click.echo(f"{r['id']:>6}  {r['name']}  CRS {r['crs']}  [{cats}]  {len(r['urls'])} channel(s){state}")


@subscribers.command("show")
@click.argument("subscriber_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (URLs redacted).")
@pass_ctx
@friendly_errors
def subscribers_show(obj: Context, subscriber_id: int, as_json: bool) -> None:
    """Show one subscriber."""
    from drawwatch.storage.db import session_scope
    from drawwatch.storage.subscribers import get_subscriber

    with session_scope(obj.engine) as session:
        view = get_subscriber(session, subscriber_id)
    if view is None:
        raise UserError(f"no subscriber with id {subscriber_id}")
    data = _subscriber_json(view) | {"unsubscribe_token": view.unsubscribe_token}
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"Subscriber {data['id']}: {data['name']}{'' if data['active'] else ' (inactive)'}")
    click.echo(f"  CRS:          {data['crs']}")
    click.echo(f"  Categories:   {', '.join(data['categories']) or 'none (general rounds only)'}")
    click.echo(
        f"  Submitted at: {data['submitted_at'] or 'not saved (tie-break outcome unknown at the cut-off)'}"
    )
    quiet = f"{data['quiet_hours']} ({data['timezone']})" if data["quiet_hours"] else "none"
    click.echo(f"  Quiet hours:  {quiet}")
    click.echo(f"  Since:        {data['created_at']}")
    click.echo(f"  Unsubscribe:  drawwatch subscribers unsubscribe {data['unsubscribe_token']}")
    for url in data["urls"]:
        click.echo(f"  Channel:      {url}")


@subscribers.command("edit")
@click.argument("subscriber_id", type=int)
@click.option("--name", help="A new name.")
@click.option("--crs", type=int, help="A new CRS score.")
@click.option(
    "--category", "categories", multiple=True, metavar="KEY", help="Replace the categories (repeatable)."
)
@click.option("--url", "urls", multiple=True, metavar="APPRISE_URL", help="Replace the URLs (repeatable).")
@click.option("--submitted-at", metavar="ISO-8601", help="Profile submission time; '' clears it.")
@click.option("--active/--inactive", default=None, help="Resume or pause alerts.")
@click.option("--noc", "nocs", multiple=True, callback=_parse_nocs, metavar="CODE:MONTHS", help=_NOC_HELP)
@click.option("--nclc-french", type=click.IntRange(0, 12), help=_NCLC_HELP)
@click.option("--quiet-hours", metavar="HH:MM-HH:MM", help=_QUIET_HELP + " '' removes them.")
@click.option("--timezone", "time_zone", metavar="ZONE", help=_ZONE_HELP)
@pass_ctx
@friendly_errors
def subscribers_edit(
    obj: Context,
    subscriber_id: int,
    name: str | None,
    crs: int | None,
    categories: tuple[str, ...],
    urls: tuple[str, ...],
    submitted_at: str | None,
    active: bool | None,
    nocs: list[tuple[str, int]],
    nclc_french: int | None,
    quiet_hours: str | None,
    time_zone: str | None,
) -> None:
    """Change a subscriber; options not given are left as they are."""
    from drawwatch.importer import check_urls, parse_submitted_at
    from drawwatch.storage.db import session_scope
    from drawwatch.storage.subscribers import UNSET, edit_subscriber

    changes: dict[str, Any] = {"name": name, "crs": crs, "active": active}
    if categories:
        changes["categories"] = [c.strip().lower() for c in categories]
    if urls:
        changes["urls"] = check_urls(urls)
    changes["submitted_at"] = (
        UNSET
        if submitted_at is None
        else (parse_submitted_at(submitted_at) if submitted_at.strip() else None)
    )
    if quiet_hours is not None:
        changes["quiet_hours"] = quiet_hours.strip() or None
    if time_zone is not None:
        changes["time_zone"] = time_zone.strip() or None
    with session_scope(obj.engine) as session:
        try:
            edit_subscriber(session, subscriber_id, **changes)
        except LookupError:
            raise UserError(f"no subscriber with id {subscriber_id}") from None
    click.echo(f"Subscriber {subscriber_id} updated.")


@subscribers.command("remove")
@click.argument("subscriber_id", type=int)
@click.option("--purge", is_flag=True, help="Delete the subscriber and their whole alert history for good.")
@pass_ctx
@friendly_errors
def subscribers_remove(obj: Context, subscriber_id: int, purge: bool) -> None:
    """Stop alerting a subscriber (kept, inactive), or delete every trace of them with --purge."""
    from drawwatch.storage.db import session_scope
    from drawwatch.storage.subscribers import remove_subscriber

    with session_scope(obj.engine) as session:
        try:
            remove_subscriber(session, subscriber_id, purge=purge)
        except LookupError:
            raise UserError(f"no subscriber with id {subscriber_id}") from None
    click.echo(
        f"Subscriber {subscriber_id} {'deleted with their alert history' if purge else 'deactivated'}."
    )


@subscribers.command("unsubscribe")
@click.argument("token")
@pass_ctx
@friendly_errors
def subscribers_unsubscribe(obj: Context, token: str) -> None:
    """Stop all alerts for the subscriber an unsubscribe code (from an alert's footer) belongs to.

    The subscriber is deactivated and their undelivered alerts are cancelled; what was sent stays on record
    (use `remove --purge` to delete everything). Running it again changes nothing.
    """
    from drawwatch.storage.db import session_scope
    from drawwatch.storage.subscribers import find_by_token, remove_subscriber

    with session_scope(obj.engine) as session:
        view = find_by_token(session, token.strip())
        if view is None:
            raise UserError("no subscriber has this unsubscribe code (check it was copied whole)")
        if not view.active:
            click.echo(f"{view.name} (subscriber {view.id}) was already unsubscribed; nothing changed.")
            return
        cancelled = remove_subscriber(session, view.id)
    pending = f"; {cancelled} undelivered alert(s) cancelled" if cancelled else ""
    click.echo(f"Unsubscribed {view.name} (subscriber {view.id}): no further alerts{pending}.")


@subscribers.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@pass_ctx
@friendly_errors
def subscribers_import(obj: Context, path: Path) -> None:
    """Import many subscribers from a CSV or TOML file, all or nothing.

    CSV header: name,crs,categories,urls,submitted_at (several categories or URLs in one cell separated by
    spaces), optionally quiet_hours,timezone too. TOML: [[subscribers]] tables with the same keys (categories
    and urls as arrays).
    """
    from drawwatch.importer import read_subscribers_file
    from drawwatch.storage.db import session_scope
    from drawwatch.storage.subscribers import import_subscribers

    rows = read_subscribers_file(path)
    with session_scope(obj.engine) as session:
        ids = import_subscribers(session, rows)
    click.echo(f"Imported {len(ids)} subscriber(s) (ids {ids[0]}–{ids[-1]}).")


# --- alerts and channels -----------------------------------------------------------------------------------


@cli.group()
def alerts() -> None:
    """The alert outbox: one row per message to one channel."""


# The outbox statuses (storage.models.ALERT_STATUSES, held equal by a test), spelled out here so that
# parsing the command line does not import the ORM.
ALERT_STATUSES = ("pending", "sent", "failed", "dead", "cancelled", "ambiguous")


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
    from drawwatch.storage.alerts import list_alerts
    from drawwatch.storage.db import session_scope

    with session_scope(obj.engine) as session:
        views = list_alerts(session, status=status, limit=limit or None)
    rows = [
        {
            "id": v.id,
            "subscriber": v.subscriber_id,
            "subscriber_name": v.subscriber_name,
            "round": v.draw_number,
            "channel": v.channel_id,
            "kind": v.kind,
            "tie": v.tie,
            "status": v.status,
            "attempts": v.attempts,
            "next_attempt_at": _iso(v.next_attempt_at),
            "sent_at": _iso(v.sent_at),
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
        what = "correction of round" if r["kind"] == "correction" else "round"
        click.echo(
            f"{r['id']:>6}  {what} {r['round']:>4}  subscriber {r['subscriber']} ({r['subscriber_name']})  "
            f"channel {r['channel']}  {r['status']}  tries {r['attempts']}{extra}{error}"
        )


@alerts.command("retry")
@click.argument("alert_ids", nargs=-1, required=True, type=int, metavar="ID...")
@pass_ctx
@friendly_errors
def alerts_retry(obj: Context, alert_ids: tuple[int, ...]) -> None:
    """Send ambiguous, dead or failed alerts again at the next delivery (`drawwatch deliver` sends them now).

    An ambiguous alert may already have arrived: resend it only once you know it did not.
    """
    from drawwatch.storage.alerts import retry_alerts
    from drawwatch.storage.db import session_scope

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


@cli.group()
def notify() -> None:
    """Notification channels (apprise URLs)."""


@notify.command("test")
@click.argument("urls", nargs=-1, required=True, metavar="URL...")
@pass_ctx
@friendly_errors
def notify_test(obj: Context, urls: tuple[str, ...]) -> None:
    """Send a test message to each apprise URL and report per URL; exit 1 if any failed."""
    from drawwatch.notify.channels import send_sync, validate_url
    from drawwatch.notify.message import RenderedMessage

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


# --- commands defined in their own modules (one add_command line each) ----------------------------------
from drawwatch.cli_eligibility import eligibility  # noqa: E402

cli.add_command(eligibility)
from drawwatch.cli_db import db  # noqa: E402

cli.add_command(db)
from drawwatch.cli_report import report  # noqa: E402

cli.add_command(report)
from drawwatch.cli_backtest import backtest  # noqa: E402

subscribers.add_command(backtest)
# (end of command registrations)


def main() -> None:
    cli(prog_name="drawwatch")
