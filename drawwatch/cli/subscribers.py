"""`drawwatch subscribers`: people to alert."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from drawwatch.cli.base import (
    CATEGORY_HELP,
    NCLC_HELP,
    NOC_HELP,
    QUIET_HELP,
    ZONE_HELP,
    Context,
    UserError,
    friendly_errors,
    iso,
    parse_nocs,
    pass_ctx,
    terminal_progress,
)

if TYPE_CHECKING:
    from drawwatch.domain.crs import Profile, Score


@click.group()
def subscribers() -> None:
    """People to alert: their CRS score, round categories and notification URLs (apprise)."""


def _subscriber_json(view: Any) -> dict[str, Any]:
    from drawwatch.notify.urls import redact

    return {
        "id": view.id,
        "name": view.name,
        "crs": view.crs,
        "categories": list(view.categories),
        "urls": [redact(c.url) for c in view.channels],
        "submitted_at": iso(view.submitted_at),
        "active": view.active,
        "language": view.language,
        "quiet_hours": view.quiet_hours,
        "timezone": view.time_zone,
        "created_at": iso(view.created_at),
    }


PROFILE_HELP = (
    "A CRS profile file (TOML or JSON, as for `drawwatch crs score`): the CRS is then the profile's score "
    "on each round's day, under the rule set in force and with the age on that day."
)


class _Scored(NamedTuple):
    """A profile file read, checked and scored for today (what ``subscribers add/edit --profile`` store)."""

    profile: Profile
    score: Score
    until: date | None  # the first later day the score differs
    today: date


def _scored_profile(path: Path | None) -> _Scored | None:
    """The profile file at ``path`` read, checked and scored for today; None without a path."""
    if path is None:
        return None
    from drawwatch.cli.crs import load_profile
    from drawwatch.domain.clock import utcnow
    from drawwatch.domain.crs import score_until

    profile = load_profile(path)  # a bad profile: one line naming the field, exit 2, nothing stored
    today = utcnow().date()
    result, until = score_until(profile, today)
    return _Scored(profile, result, until, today)


def _save_profile(session: Any, subscriber_id: int, scored: _Scored) -> None:
    from drawwatch.app.rescore import save_profile

    save_profile(session, subscriber_id, scored.profile, scored.today)


REMINDERS_HELP = (
    "Reminders a week ahead, from the CRS profile (--profile): the score dropping on a birthday, a language "
    "result expiring, the Express Entry profile's 12 months ending (needs profile_created). Off by default."
)


def _set_reminders(session: Any, subscriber_id: int, enabled: bool) -> None:
    from drawwatch.domain.clock import utcnow
    from drawwatch.storage.reminders import reset_reminders

    reset_reminders(session, subscriber_id, utcnow().date(), enabled=enabled)


@subscribers.command("add")
@click.argument("name")
@click.option("--crs", type=int, help="The subscriber's CRS score (0–1200); or give --profile.")
@click.option(
    "--profile",
    "profile_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE",
    help=PROFILE_HELP,
)
@click.option("--category", "categories", multiple=True, metavar="KEY", help=CATEGORY_HELP)
@click.option(
    "--url", "urls", multiple=True, metavar="APPRISE_URL", help="Where to send alerts (repeatable)."
)
@click.option(
    "--submitted-at",
    metavar="ISO-8601",
    help="Profile submission time with a zone (2026-03-01T18:34:05Z), for the tie-breaking rule.",
)
@click.option("--noc", "nocs", multiple=True, callback=parse_nocs, metavar="CODE:MONTHS", help=NOC_HELP)
@click.option("--nclc-french", type=click.IntRange(0, 12), help=NCLC_HELP)
@click.option("--quiet-hours", metavar="HH:MM-HH:MM", help=QUIET_HELP)
@click.option("--timezone", "time_zone", metavar="ZONE", help=ZONE_HELP)
@click.option("--reminders/--no-reminders", default=False, help=REMINDERS_HELP)
@click.option(
    "--language",
    type=click.Choice(["en", "fr"]),
    help="The language of the subscriber's messages (alerts, notices, reminders): en (default) or fr.",
)
@pass_ctx
@friendly_errors
def subscribers_add(
    obj: Context,
    name: str,
    crs: int | None,
    profile_path: Path | None,
    categories: tuple[str, ...],
    urls: tuple[str, ...],
    submitted_at: str | None,
    nocs: list[tuple[str, int]],
    nclc_french: int | None,
    quiet_hours: str | None,
    time_zone: str | None,
    reminders: bool,
    language: str | None,
) -> None:
    """Add a subscriber and print their id. General rounds alert everyone; category rounds alert those with
    that category, given with --category or derived from --noc occupations and --nclc-french. The CRS is a
    number (--crs) or computed from a profile file for each round's day (--profile)."""
    from drawwatch.app.derived import refresh_derived_categories
    from drawwatch.app.importer import subscriber_input
    from drawwatch.storage.db import session_scope
    from drawwatch.storage.subscribers import add_subscriber

    if (crs is None) == (profile_path is None):
        raise click.UsageError("give the CRS as --crs N or --profile FILE (one of them)")
    if reminders and profile_path is None:
        raise click.UsageError("--reminders needs a CRS profile (--profile FILE): they come from it")
    scored = _scored_profile(profile_path)
    if scored is not None:
        crs = scored.score.total
    assert crs is not None
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
        language=language or "en",
    )
    with session_scope(obj.engine) as session:
        row = add_subscriber(session, data)
        new_id = row.id
        assert new_id is not None
        refresh_derived_categories(session, subscriber_ids=[new_id])
        if reminders:
            _set_reminders(session, new_id, True)
        if scored is not None:
            _save_profile(session, new_id, scored)
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
    from drawwatch.storage.reminders import reminder_state
    from drawwatch.storage.subscribers import get_subscriber, score_state

    with session_scope(obj.engine) as session:
        view = get_subscriber(session, subscriber_id)
        state = score_state(session, subscriber_id)
        reminding = reminder_state(session, subscriber_id)
    if view is None or state is None or reminding is None:
        raise UserError(f"no subscriber with id {subscriber_id}")
    data = _subscriber_json(view) | {"unsubscribe_token": view.unsubscribe_token}
    data["reminders"] = reminding.enabled
    computed = _computed_score(state)
    if as_json:
        if computed is not None:
            data["score"] = computed
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"Subscriber {data['id']}: {data['name']}{'' if data['active'] else ' (inactive)'}")
    if computed is None:
        click.echo(f"  CRS:          {data['crs']}")
    else:
        changes = (
            f"next change on {computed['changes_on']}" if computed["changes_on"] else "no change foreseen"
        )
        click.echo(f"  CRS:          {data['crs']} from the profile on {computed['on']}")
        click.echo(f"                rule set {computed['rules']}; {changes}")
        if computed["note"]:
            click.echo(f"  Last change:  {computed['note']}")
    click.echo(f"  Categories:   {', '.join(data['categories']) or 'none (general rounds only)'}")
    click.echo(
        f"  Submitted at: {data['submitted_at'] or 'not saved (tie-break outcome unknown at the cut-off)'}"
    )
    quiet = f"{data['quiet_hours']} ({data['timezone']})" if data["quiet_hours"] else "none"
    click.echo(f"  Quiet hours:  {quiet}")
    click.echo(f"  Reminders:    {_reminders_text(reminding)}")
    click.echo(f"  Language:     {data['language']}")
    click.echo(f"  Since:        {data['created_at']}")
    click.echo(f"  Unsubscribe:  drawwatch subscribers unsubscribe {data['unsubscribe_token']}")
    for url in data["urls"]:
        click.echo(f"  Channel:      {url}")
    if computed is not None:
        from drawwatch.app.rescore import stored_profile
        from drawwatch.cli.crs import score_table
        from drawwatch.domain.crs import score

        assert state.profile is not None and state.score_on is not None
        click.echo("")
        click.echo(score_table(score(stored_profile(state.profile), state.score_on)))


def _reminders_text(state: Any) -> str:
    if not state.enabled:
        return "off"
    if state.next_on is None:
        return "on (nothing foreseen)"
    from drawwatch.domain.clock import utcnow

    if state.next_on <= utcnow().date():
        return "on (looked at by the next check)"
    return f"on (next on {state.next_on.isoformat()})"


def _computed_score(state: Any) -> dict[str, Any] | None:
    """A profile subscriber's stored score as JSON (with its breakdown); None for a bare CRS number."""
    if state.profile is None or state.score_on is None:
        return None
    from drawwatch.app.rescore import stored_profile
    from drawwatch.domain.crs import score

    return {
        "on": state.score_on.isoformat(),
        "changes_on": state.score_until.isoformat() if state.score_until else None,  # first day it differs
        "rules": state.score_rules,
        "note": state.score_note,
        "breakdown": score(stored_profile(state.profile), state.score_on).to_json(),
    }


@subscribers.command("edit")
@click.argument("subscriber_id", type=int)
@click.option("--name", help="A new name.")
@click.option("--crs", type=int, help="A new CRS score (a bare number: it replaces a saved profile).")
@click.option(
    "--profile",
    "profile_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE",
    help=PROFILE_HELP + " It replaces a bare --crs number.",
)
@click.option(
    "--category", "categories", multiple=True, metavar="KEY", help="Replace the categories (repeatable)."
)
@click.option("--url", "urls", multiple=True, metavar="APPRISE_URL", help="Replace the URLs (repeatable).")
@click.option("--submitted-at", metavar="ISO-8601", help="Profile submission time; '' clears it.")
@click.option("--active/--inactive", default=None, help="Resume or pause alerts.")
@click.option("--noc", "nocs", multiple=True, callback=parse_nocs, metavar="CODE:MONTHS", help=NOC_HELP)
@click.option("--nclc-french", type=click.IntRange(0, 12), help=NCLC_HELP)
@click.option("--quiet-hours", metavar="HH:MM-HH:MM", help=QUIET_HELP + " '' removes them.")
@click.option("--timezone", "time_zone", metavar="ZONE", help=ZONE_HELP)
@click.option("--reminders/--no-reminders", default=None, help=REMINDERS_HELP)
@click.option(
    "--language",
    type=click.Choice(["en", "fr"]),
    help="The language of the subscriber's messages (alerts, notices, reminders): en (default) or fr.",
)
@pass_ctx
@friendly_errors
def subscribers_edit(
    obj: Context,
    subscriber_id: int,
    name: str | None,
    crs: int | None,
    profile_path: Path | None,
    categories: tuple[str, ...],
    urls: tuple[str, ...],
    submitted_at: str | None,
    active: bool | None,
    nocs: list[tuple[str, int]],
    nclc_french: int | None,
    quiet_hours: str | None,
    time_zone: str | None,
    reminders: bool | None,
    language: str | None,
) -> None:
    """Change a subscriber; options not given are left as they are."""
    from drawwatch.app.importer import check_urls, parse_submitted_at
    from drawwatch.storage.db import session_scope
    from drawwatch.storage.subscribers import UNSET, clear_profile, edit_subscriber, score_state

    if crs is not None and profile_path is not None:
        raise click.UsageError("give the CRS as --crs N or --profile FILE, not both")
    scored = _scored_profile(profile_path)
    if scored is not None:
        crs = scored.score.total
    changes: dict[str, Any] = {"name": name, "crs": crs, "active": active, "language": language}
    if categories:
        changes["categories"] = [c.strip().lower() for c in categories]
    if urls:
        changes["urls"] = check_urls(urls)
    changes["submitted_at"] = (
        UNSET
        if submitted_at is None
        else (parse_submitted_at(submitted_at) if submitted_at.strip() else None)
    )
    if nocs:
        changes["occupations"] = nocs  # replaces the saved ones; the derived categories follow
    if nclc_french is not None:
        changes["nclc_french"] = nclc_french
    if quiet_hours is not None:
        changes["quiet_hours"] = quiet_hours.strip() or None
    if time_zone is not None:
        changes["time_zone"] = time_zone.strip() or None
    with session_scope(obj.engine) as session:
        if reminders and scored is None:
            state = score_state(session, subscriber_id)
            if state is not None and (state.profile is None or crs is not None):
                raise click.UsageError("--reminders needs a CRS profile (--profile FILE): they come from it")
        try:
            edit_subscriber(session, subscriber_id, **changes)
        except LookupError:
            raise UserError(f"no subscriber with id {subscriber_id}") from None
        if reminders is not None:
            _set_reminders(session, subscriber_id, reminders)
        if scored is not None:
            _save_profile(session, subscriber_id, scored)
        elif crs is not None:
            clear_profile(session, subscriber_id)  # a bare number again
            _set_reminders(session, subscriber_id, False)  # nothing left to foresee
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
@click.option(
    "--json", "as_json", is_flag=True, help="Print the counts and each row's subscriber id as JSON."
)
@pass_ctx
@friendly_errors
def subscribers_import(obj: Context, path: Path, as_json: bool) -> None:
    """Import many subscribers from a CSV or TOML file, all or nothing; importing it again adds nobody twice.

    CSV header: name,crs,categories,urls,submitted_at (several categories or URLs in one cell separated by
    spaces), optionally quiet_hours,timezone too. TOML: [[subscribers]] tables with the same keys (categories
    and urls as arrays). A CRS profile may replace crs (one of them per row): a CSV profile column holding
    the profile as JSON, or a TOML profile table with the keys of a profile file (`drawwatch crs --help`);
    the CRS is then the profile's score for today, as with `subscribers add --profile`, and a row with a
    bare crs makes a profile subscriber a bare number again.

    \b
    A row's set of notification URLs says who it is (spaces trimmed, order
    and repeats ignored):
      - the same set as an active subscriber's: that subscriber, whose name,
        CRS, categories, submitted_at and quiet hours become the row's (as
        with `subscribers edit`), or who is left unchanged;
      - any other set: a new subscriber (change someone's URLs with
        `subscribers edit ID --url ...`, or the file adds a second one);
      - two rows with the same set in one file: an error naming both lines,
        and nothing is imported.

    Prints `imported FILE: N added, M updated, K unchanged`. A progress bar is drawn on stderr when it is a
    terminal (not with --json).
    """
    from drawwatch.app.importer import import_subscribers_file

    with (
        terminal_progress(f"Checking {path.name}", enabled=not as_json) as checking,
        terminal_progress("Storing", enabled=not as_json) as storing,
    ):
        result = import_subscribers_file(obj.engine, path, checking=checking, storing=storing)
    counts = {"added": result.added, "updated": result.updated, "unchanged": result.unchanged}
    if as_json:
        click.echo(json.dumps({"file": str(path), **counts, "ids": result.ids}, indent=2))
        return
    click.echo(
        f"imported {path}: {result.added} added, {result.updated} updated, {result.unchanged} unchanged"
    )
