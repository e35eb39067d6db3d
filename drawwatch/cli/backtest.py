"""``drawwatch subscribers backtest``: which of the last stored rounds would have alerted a subscriber, and why."""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING, Any

import click

from drawwatch.app.display import Column, fit_table, terminal_width
from drawwatch.cli.base import SUBSCRIBABLE_KEYS, Context, UserError, friendly_errors, pass_ctx
from drawwatch.domain.categories import CATEGORY_LABELS

if TYPE_CHECKING:  # the storage modules load when the command runs, not whenever the CLI starts
    from drawwatch.storage.backtest import Verdict

NO_ROUNDS = "no rounds stored yet: run `drawwatch check` first"


def verdict_json(verdict: Verdict, *, profile: bool = False) -> dict[str, Any]:
    """One round of a backtest for ``--json``. For a ``profile`` subscriber also ``subscriber_crs`` (the score
    the round was judged at) and ``score``: the profile's score on the round's date with its rule set and
    breakdown (``Score.to_json()``), null where the stored score stands (a round before the first rule set)."""
    out = {
        "number": verdict.number,
        "date": verdict.date.isoformat(),
        "name": verdict.name,
        "category": verdict.category,
        "crs": verdict.crs,
        "invitations": verdict.invitations,
        "margin": verdict.margin,
        "would_alert": verdict.would_alert,
        "alerted": verdict.alerted_by_diff_step,
        "standing": verdict.standing,
        "via": verdict.via,
        "reason": verdict.reason,
        "conditions": dict(verdict.conditions),
    }
    if profile:
        out["subscriber_crs"] = verdict.subscriber_crs
        out["score"] = None if verdict.score is None else verdict.score.to_json()
    return out


def score_text(verdict: Verdict, *, rules: bool = True) -> str:
    """A profile subscriber's score for the round: "CRS 472 (crs-2025-03-25)" (without ``rules``: "CRS
    472"), or "CRS 470 (stored)"."""
    if verdict.score is None:
        return f"CRS {verdict.subscriber_crs} (stored)"
    return f"CRS {verdict.score.total}" + (f" ({verdict.score.rules.id})" if rules else "")


def one_rule_set(verdicts: list[Verdict]) -> str | None:
    """The rule set every profile score of ``verdicts`` was computed under, when there is one: the table
    then names it once instead of on every row."""
    found = {v.score.rules.id if v.score is not None else None for v in verdicts}
    return found.pop() if len(found) == 1 else None


def verdict_lines(verdicts: list[Verdict], *, width: int | None = None, profile: bool = False) -> list[str]:
    """One plain-ASCII-marked row per round: yes/no, number, date, category, cut-off, (for a ``profile``
    subscriber, the score the round was judged at: see :func:`score_text`), reason.

    Fitted to ``width`` (the terminal's by default): the category label is shortened with "..." and the
    reason continues on the next lines, under itself; at the narrowest the category is left out. The number,
    date and cut-off are never cut.
    """
    columns = (
        Column("Alert"),
        Column("#"),
        Column("Date"),
        Column("Category", shrink="ellipsize", min_width=8, drop=1),
        Column("Cut-off"),
        *((Column("Score"),) if profile else ()),
        Column("Reason", shrink="wrap", min_width=30),
    )
    common = one_rule_set(verdicts) if profile else None
    rows = [
        (
            "yes" if v.would_alert else "no",
            "#" + v.number,
            v.date.isoformat(),
            CATEGORY_LABELS.get(v.category, v.category),
            f"cut-off {v.crs:>4}",
            *((score_text(v, rules=common is None),) if profile else ()),
            v.reason,
        )
        for v in verdicts
    ]
    return fit_table(columns, rows, width=width, header=False, ellipsis="...")


@click.command("backtest", short_help="Which stored rounds would have alerted a subscriber, and why.")
@click.argument("subscriber_id", type=int, required=False, metavar="[ID]")
@click.option(
    "--last",
    type=int,
    default=10,
    show_default=True,
    metavar="N",
    help="How many of the newest stored rounds to judge.",
)
@click.option("--crs", type=int, help="Without an ID: the CRS score to try (0–1200).")
@click.option(
    "--category",
    "categories",
    multiple=True,
    type=click.Choice(SUBSCRIBABLE_KEYS, case_sensitive=False),
    metavar="KEY",
    help="Without an ID: a round category to try (repeatable): " + ", ".join(SUBSCRIBABLE_KEYS),
)
@click.option(
    "--submitted-at",
    metavar="ISO-8601",
    help="Without an ID: a profile submission time with a zone, for the tie-breaking rule.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of lines.")
@pass_ctx
@friendly_errors
def backtest(
    obj: Context,
    subscriber_id: int | None,
    last: int,
    crs: int | None,
    categories: tuple[str, ...],
    submitted_at: str | None,
    as_json: bool,
) -> None:
    """Which of the last N stored rounds would have alerted subscriber ID, with the margin and the reason.

    Or try settings that are not saved: --crs N [--category KEY ...] [--submitted-at ISO-8601] instead of an
    ID. It runs the very matching the check uses to queue alerts, so it also checks a subscriber's settings
    before the next round. "yes" means the settings match the round; a note says when the subscriber was
    inactive or subscribed after it, so the check did not alert them. Categories derived from --noc
    occupations are those of this year's category lists, as stored (the check uses the same ones): an older
    round is judged by today's lists. A subscriber with a CRS profile is judged on each round at the
    profile's score on that round's date (its age and the rule set then), shown beside the round with the
    rule set (--json: the breakdown too).
    """
    from drawwatch.app.importer import parse_submitted_at
    from drawwatch.storage.backtest import backtest as run_backtest
    from drawwatch.storage.backtest import backtest_settings
    from drawwatch.storage.db import session_scope
    from drawwatch.storage.subscribers import get_subscriber, score_state

    unsaved = crs is not None or bool(categories) or submitted_at is not None
    if subscriber_id is not None and unsaved:
        raise UserError(
            "give a subscriber ID or --crs/--category/--submitted-at (settings that are not saved), not both"
        )
    if subscriber_id is None and crs is None:
        raise UserError(
            "give a subscriber ID, or --crs N (with --category KEY ...) to try settings that are not saved"
            if not unsaved
            else "--crs N is required without a subscriber ID"
        )
    if last < 1:
        raise UserError(f"--last must be at least 1, got {last}")

    profile = False
    with session_scope(obj.engine) as session:
        if subscriber_id is not None:
            view = get_subscriber(session, subscriber_id)
            if view is None:
                raise UserError(f"no subscriber with id {subscriber_id}")
            who = view.name
            state = score_state(session, subscriber_id)
            profile = state is not None and state.profile is not None
            verdicts = run_backtest(session, subscriber_id, last=last)
        else:
            assert crs is not None
            when = parse_submitted_at(submitted_at) if submitted_at is not None else None
            keys = [key.lower() for key in categories]
            shown = ", ".join(CATEGORY_LABELS[key] for key in keys) or "general rounds only"
            who = f"a subscriber with CRS {crs} ({shown})"
            verdicts = backtest_settings(session, crs=crs, categories=keys, submitted_at=when, last=last)
    if not verdicts:
        raise UserError(NO_ROUNDS)
    if as_json:
        click.echo(json.dumps([verdict_json(v, profile=profile) for v in verdicts], indent=2))
        return
    width = terminal_width()
    for line in verdict_lines(verdicts, width=width, profile=profile):
        click.echo(line)
    rules = one_rule_set(verdicts) if profile else None
    if rules is not None:
        click.echo(f"Scores: the profile's on each round's day, rule set {rules}.")
    hits = sum(v.would_alert for v in verdicts)
    summary = f"{hits} of {len(verdicts)} round{'s' if len(verdicts) != 1 else ''} would have alerted {who}"
    click.echo(textwrap.fill(summary, width, break_on_hyphens=False))
    missed = sum(v.would_alert and not v.alerted_by_diff_step for v in verdicts)
    if missed:
        note = f"({missed} of them before {who} subscribed or while inactive: no alert was queued for those)"
        click.echo(textwrap.fill(note, width, break_on_hyphens=False))
