"""``drawwatch crs``: a CRS calculator over a profile file, and what would raise the score."""

from __future__ import annotations

import json
import tomllib
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from drawwatch.cli.base import UserError, friendly_errors, parse_day

if TYPE_CHECKING:
    from drawwatch.domain.crs import Profile, Score

SECTION_TITLES = {
    "core": "Core",
    "spouse": "Spouse",
    "transferability": "Transferability",
    "additional": "Additional",
}
CHANGES_SHOWN = 8  # the text lists the next few; --json lists every birthday up to 45


@click.group("crs")
def crs() -> None:
    """Compute a CRS score from a profile file (TOML or JSON), and what would raise it.

    The grid in force on the scoring date is used and named with every score: crs-2016-11-19 (job offer
    200 for NOC major group 00, else 50), crs-2017-06-06 (French 15/30, sibling 15), crs-2020-10-20 (French
    25/50) and crs-2025-03-25 (no job-offer points). NOT INCLUDED: the change reported for 2026-11-03 (a
    high-wage-occupation factor, job-offer points without an LMIA): its point values could not be confirmed,
    so scores from that date use crs-2025-03-25 and say so.

    \b
    Profile keys: age or birth_date, spouse_status, education, first_language, second_language,
    canadian_work_years, foreign_work_years, certificate_of_qualification, canadian_education,
    sibling_in_canada, provincial_nomination, job_offer, spouse, profile_created. A language result is
    {test = ielts|celpip|pte|tef|tef_legacy|tcf|clb, language = en|fr, scores = {listening, reading,
    writing, speaking}, test_date}. See examples/profile.toml.
    """


def load_profile(path: Path) -> Profile:
    """Read and validate a profile file; every problem is one line naming the file."""
    from drawwatch.domain.crs import ProfileError, parse_profile

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read: {exc}") from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            data: object = tomllib.loads(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:
            raise UserError(f"{path}: a profile is a .toml or .json file")
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not valid JSON: {exc}") from None
    try:
        return parse_profile(data)
    except ProfileError as exc:
        raise UserError(f"{path}: {exc}") from None


def _today() -> date:
    from drawwatch.domain.clock import utcnow

    return utcnow().date()


def _heading(result: Score) -> str:
    rules = result.rules
    column = "with spouse" if result.with_spouse else "without spouse"
    return (
        f"CRS {result.total} on {result.on.isoformat()} — rule set {rules.id} (in force from "
        f"{rules.effective_from.isoformat()}), {column} column"
    )


def score_table(result: Score) -> str:
    from drawwatch.app.display import Column, fit_table

    columns = (
        Column("Section", shrink="ellipsize", min_width=6),
        Column("Factor", shrink="ellipsize", min_width=10),
        Column("Points", right=True),
        Column("Detail", shrink="wrap", min_width=12, drop=1),
    )
    rows: list[tuple[str, str, str, str]] = []
    for section in result.sections:
        title = SECTION_TITLES[section.key]
        for n, item in enumerate(section.items):
            rows.append((title if n == 0 else "", item.key, str(item.points), item.detail))
        rows.append(("", "subtotal", str(section.subtotal), ""))
    rows.append(("Total", "", str(result.total), result.rules.id))
    return "\n".join(fit_table(columns, rows))


def _notes(result: Score, *, err: bool = False) -> None:
    """The score's notes, wrapped to the terminal (on stderr beside ``--json``, so the JSON stays clean)."""
    import textwrap

    from drawwatch.app.display import terminal_width

    for note in result.notes:
        click.echo(textwrap.fill(f"note: {note}", width=terminal_width(), subsequent_indent="  "), err=err)


@crs.command("score")
@click.argument("profile", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--on", "on", callback=parse_day, metavar="YYYY-MM-DD", help="Score on this day (default: today)."
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print JSON: total, rules and each section's line items."
)
@friendly_errors
def crs_score(profile: Path, on: date | None, as_json: bool) -> None:
    """The CRS score of PROFILE and its breakdown, under the rule set in force on the day."""
    from drawwatch.domain.crs import score

    result = score(load_profile(profile), on or _today())
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
        _notes(result, err=True)
        return
    click.echo(_heading(result))
    click.echo(score_table(result))
    _notes(result)


@crs.command("whatif")
@click.argument("profile", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--on", "on", callback=parse_day, metavar="YYYY-MM-DD", help="Score on this day (default: today)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON: total, rules, moves and changes ahead.")
@friendly_errors
def crs_whatif(profile: Path, on: date | None, as_json: bool) -> None:
    """What would raise PROFILE's score (most points first), and the days its score will change by itself
    (birthdays, a language result's two-year expiry, a new rule set)."""
    from drawwatch.app.display import Column, fit_table
    from drawwatch.domain.crs.whatif import whatif

    loaded = load_profile(profile)
    result = whatif(loaded, on or _today())
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
        _notes(result.score, err=True)
        return
    click.echo(_heading(result.score))
    _notes(result.score)
    click.echo("")
    if result.moves:
        click.echo("Moves that would raise it, most points first:")
        moves = (
            Column("Gain", right=True),
            Column("New", right=True),
            Column("Move", shrink="wrap", min_width=20),
        )
        rows = [(f"+{m.gain}", str(m.total), m.description) for m in result.moves]
        click.echo("\n".join(fit_table(moves, rows)))
    else:
        click.echo("No move in drawwatch's list would raise it.")
    click.echo("")
    if loaded.birth_date is None:
        click.echo("(age is given, not birth_date: birthdays cannot be foreseen)")
    if result.changes:
        click.echo("Changes ahead:")
        dated = (
            Column("Date"),
            Column("Change", right=True),
            Column("New", right=True),
            Column("Why", shrink="wrap", min_width=20),
        )
        shown = result.changes[:CHANGES_SHOWN]
        changes = [
            (c.day.isoformat(), f"{c.change:+d}", str(c.total), f"{c.reason} [{c.rules}]") for c in shown
        ]
        click.echo("\n".join(fit_table(dated, changes)))
        if len(result.changes) > len(shown):
            click.echo(f"(and {len(result.changes) - len(shown)} more; --json lists them all)")
    else:
        click.echo("No change ahead that drawwatch can foresee.")
