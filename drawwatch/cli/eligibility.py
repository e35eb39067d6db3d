"""``drawwatch eligibility``: which category rounds a person's occupations make them eligible for."""

from __future__ import annotations

import json
import sys
from datetime import date

import click

from drawwatch.cli.base import friendly_errors, parse_day, parse_nocs


@click.command()
@click.option(
    "--noc",
    "nocs",
    multiple=True,
    callback=parse_nocs,
    metavar="CODE:MONTHS",
    help="A NOC 2021 code and months of full-time (or equivalent) experience in it, e.g. 21231:14 (repeatable).",
)
@click.option(
    "--nclc-french", type=click.IntRange(0, 12), help="Lowest NCLC level of the four French abilities."
)
@click.option(
    "--on", "on", callback=parse_day, metavar="YYYY-MM-DD", help="Judge by the lists in force then."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@friendly_errors
def eligibility(nocs: list[tuple[str, int]], nclc_french: int | None, on: date | None, as_json: bool) -> None:
    """Which category-based rounds your occupations (and French) make you eligible for, and what is missing.

    Uses IRCC's category lists of the year in force on the date (default: today), shipped as data. Program
    rounds (CEC, PNP, FSW, FST) and general rounds depend on your profile, not on these lists.
    """
    from drawwatch.domain.eligibility import NocExperience, NoRulesError, evaluate, rules_on

    if not nocs and nclc_french is None:
        raise click.UsageError("give at least one --noc CODE:MONTHS or --nclc-french N")
    try:
        rules = rules_on(on)
    except NoRulesError as exc:
        if not as_json:
            raise
        # A script that asked for JSON gets JSON, also for a date before category-based selection began.
        click.echo(json.dumps({"error": str(exc)}, indent=2))
        sys.exit(2)
    experience = [NocExperience(code=code, months=months) for code, months in nocs]
    verdicts = evaluate(experience, nclc_french=nclc_french, on=on)
    if as_json:
        click.echo(json.dumps([v.model_dump(mode="json") for v in verdicts], indent=2))
        return
    click.echo(f"Category lists of {rules.year} (in force from {rules.effective_from.isoformat()}):")
    for verdict in verdicts:
        if verdict.eligible:
            via = (
                f" via {verdict.qualifying_noc.code} {verdict.qualifying_noc.title}"
                if verdict.qualifying_noc
                else ""
            )
            click.echo(f"  eligible      {verdict.label}{via}")
            for condition in verdict.conditions:  # rules the lists cannot check for you
                click.echo(f"                (also required: {condition})")
        else:
            click.echo(f"  not eligible  {verdict.reason}")
