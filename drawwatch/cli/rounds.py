"""`drawwatch draws`: the stored rounds of invitations."""

from __future__ import annotations

import json
from datetime import date

import click

from drawwatch.app.display import round_detail, round_json, rounds_table
from drawwatch.cli.base import (
    Context,
    UserError,
    friendly_errors,
    iso,
    parse_day,
    pass_ctx,
)
from drawwatch.domain.categories import CATEGORY_KEYS


@click.group("draws")
def rounds() -> None:
    """Stored rounds of invitations."""


@rounds.command("list")
@click.option("--category", type=click.Choice(CATEGORY_KEYS), help="Only rounds of this category.")
@click.option("--since", callback=parse_day, metavar="YYYY-MM-DD", help="Only rounds on or after this date.")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    help="At most N rounds (0: all). Default: 25 in the table, all with --json.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
@pass_ctx
@friendly_errors
def rounds_list(
    obj: Context, category: str | None, since: date | None, limit: int | None, as_json: bool
) -> None:
    """List stored rounds, newest first."""
    from drawwatch.storage.db import session_scope
    from drawwatch.storage.rounds import count_rounds, list_rounds

    shown = limit if limit is not None else (0 if as_json else 25)
    with session_scope(obj.engine) as session:
        rows = list_rounds(session, category=category, since=since, limit=shown + 1 if shown else None)
        more = bool(shown) and len(rows) > shown
        rows = rows[:shown] if shown else rows
        if as_json:
            click.echo(json.dumps([round_json(r) for r in rows], indent=2))
            return
        if not rows:
            total = count_rounds(session)
            click.echo(
                "No rounds stored yet: run `drawwatch check` first." if not total else "No rounds match."
            )
            return
        click.echo(rounds_table(rows))
    if more:
        click.echo(f"(newest {shown} shown; --limit N for more, --limit 0 for all)")


@rounds.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_ctx
@friendly_errors
def rounds_show(obj: Context, number: str, as_json: bool) -> None:
    """Show one round (e.g. 437 or 91a) with its tie-break time, pool distribution and correction history."""
    from drawwatch.storage.db import session_scope
    from drawwatch.storage.rounds import get_distribution, get_round, round_changes

    with session_scope(obj.engine) as session:
        row = get_round(session, number.strip().lstrip("#"))
        if row is None:
            raise UserError(f"no round {number!r} is stored (see `drawwatch draws list`)")
        dist = get_distribution(session, row.distribution_as_on) if row.distribution_as_on else None
        changes = round_changes(session, row.id) if row.id is not None else []
        if as_json:
            data = round_json(row)
            data.update(
                programs=row.programs,
                url=row.url,
                run_at=iso(row.run_at),
                tie_break_text=row.tie_break_raw,
                distribution_as_on=iso(row.distribution_as_on),
                distribution=dist.counts if dist else None,
                changes=[
                    {"field": c.field, "old": c.old_value, "new": c.new_value, "at": iso(c.changed_at)}
                    for c in changes
                ],
            )
            click.echo(json.dumps(data, indent=2))
        else:
            click.echo(round_detail(row, dist, changes))


@rounds.command("held")
@click.option("--all", "show_all", is_flag=True, help="Also feeds already accepted or rejected.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of text.")
@pass_ctx
@friendly_errors
def rounds_held(obj: Context, show_all: bool, as_json: bool) -> None:
    """Feeds held because one check would have added or corrected too many rounds.

    Nothing of a held feed is stored and nobody is alerted until you accept it; `health` fails while one
    waits. Accept it when IRCC really changed that much, reject it when the feed was broken.
    """
    from drawwatch.storage.db import session_scope
    from drawwatch.storage.held import list_held

    with session_scope(obj.engine) as session:
        rows = list_held(session, status=None if show_all else "held")
    if as_json:
        data = [
            {
                "id": r.id,
                "status": r.status,
                "reason": r.reason,
                "new_rounds": r.new_count,
                "corrected_rounds": r.changed_count,
                "rounds_in_feed": len(r.rounds),
                "first_seen_at": iso(r.first_seen_at),
                "last_seen_at": iso(r.last_seen_at),
                "times_seen": r.times_seen,
                "decided_at": iso(r.decided_at),
            }
            for r in rows
        ]
        click.echo(json.dumps(data, indent=2))
        return
    if not rows:
        click.echo("No feed is held." if not show_all else "No feed was ever held.")
        return
    for r in rows:
        click.echo(
            f"{r.id}  {r.status:<8}  {r.reason}; {len(r.rounds)} rounds in the feed, seen {r.times_seen} "
            f"time(s), first {r.first_seen_at:%Y-%m-%d %H:%M} UTC"
        )
    if any(r.status == "held" for r in rows):
        click.echo("Decide with `drawwatch draws accept ID` or `drawwatch draws reject ID`.")


@rounds.command("accept")
@click.argument("held_id", metavar="ID", type=click.IntRange(min=1))
@pass_ctx
@friendly_errors
def rounds_accept(obj: Context, held_id: int) -> None:
    """Store held feed ID as a check would: its new rounds are alerted, its corrections announced."""
    from drawwatch.app.held import NotWaiting, accept_held

    try:
        summary = accept_held(obj.engine, held_id)
    except NotWaiting as exc:
        raise UserError(str(exc)) from None
    click.echo(
        f"Accepted held feed {held_id}: {len(summary.new_rounds)} new round(s), "
        f"{len(summary.changed_rounds)} corrected; {summary.alerts['queued']} alert(s) and "
        f"{summary.alerts['corrections']} correction notice(s) queued (sent by the next check or "
        "`drawwatch deliver`)."
    )


@rounds.command("reject")
@click.argument("held_id", metavar="ID", type=click.IntRange(min=1))
@pass_ctx
@friendly_errors
def rounds_reject(obj: Context, held_id: int) -> None:
    """Discard held feed ID: nothing of it is stored, and the same copy served again stays refused."""
    from drawwatch.app.held import NotWaiting, reject_held

    try:
        reject_held(obj.engine, held_id)
    except NotWaiting as exc:
        raise UserError(str(exc)) from None
    click.echo(f"Rejected held feed {held_id}: nothing of it was stored.")
