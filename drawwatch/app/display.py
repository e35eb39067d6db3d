"""How rounds and check results read on a terminal and in JSON. One place, so every command agrees.

The feed URL may carry credentials (``https://user:password@…``), and errors may quote it or part of it, so
a check's result is shown only through :func:`summary_text` and :func:`summary_json`, which mask them.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from drawwatch.domain.categories import CATEGORY_LABELS
from drawwatch.domain.rounds import DISTRIBUTION_BANDS
from drawwatch.domain.secrets import masked_text, masked_url

if TYPE_CHECKING:
    from drawwatch.app.check import CheckSummary
    from drawwatch.storage.models import PoolDistribution, Round, RoundChange


def round_json(round_: Round) -> dict[str, Any]:
    """The stable JSON shape of a round (docs/design.md, "Outputs other tools rely on")."""
    return {
        "number": round_.number,
        "date": round_.date.isoformat(),
        "name": round_.name,
        "category": round_.category,
        "crs": round_.crs,
        "invitations": round_.invitations,
        "tie_break": round_.tie_break.isoformat() if round_.tie_break else None,
    }


def _label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category)


def rounds_table(rows: list[Round], *, width: int | None = None) -> str:
    """The stored rounds as a table that fits ``width`` columns (the terminal's by default).

    IRCC's round name and the category label give way first (shortened with "…"), then the round name,
    the category and the invitations are left out, in that order; the number, date and CRS never are.
    """
    columns = (
        Column("#", right=True),
        Column("Date"),
        Column("Category", shrink="ellipsize", min_width=8, drop=2),
        Column("CRS", right=True),
        Column("Invited", right=True, drop=3),
        Column("Round name", shrink="ellipsize", min_width=10, drop=1),
    )
    body = [
        (r.number, r.date.isoformat(), _label(r.category), str(r.crs), f"{r.invitations:,}", r.name)
        for r in rows
    ]
    return "\n".join(fit_table(columns, body, width=width))


ShrinkMode = Literal["fixed", "ellipsize", "wrap"]


@dataclass(frozen=True)
class Column:
    """One column of :func:`fit_table`.

    ``shrink``: "fixed" cells are never cut (numbers, dates); "ellipsize" cells are shortened with an
    ellipsis; "wrap" cells continue on the next lines, under the column. ``min_width`` is how narrow a
    shrinking column gets before optional columns are dropped. ``drop``: 0 for a column that is always shown,
    else the order in which optional columns are left out (1 first).
    """

    header: str
    right: bool = False
    shrink: ShrinkMode = "fixed"
    min_width: int = 1
    drop: int = 0


GAP = 2  # spaces between columns
HARD_MIN = 4  # how narrow a shrinking column gets when dropping optional columns was not enough


def terminal_width() -> int:
    """The terminal's width in columns: ``COLUMNS`` when set, else the terminal's, else 80 (piped output)."""
    return shutil.get_terminal_size(fallback=(80, 24)).columns


def fit_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    width: int | None = None,
    header: bool = True,
    ellipsis: str = "…",
) -> list[str]:
    """The lines of a table of ``rows`` (one cell per column) no wider than ``width`` (the terminal's).

    The widest shrinkable column gives way first, one character at a time, down to its ``min_width``; if the
    table is still too wide, optional columns are dropped (``drop`` order), then shrinking columns narrow down
    to a few characters. Fixed cells are never cut: a table of fixed columns alone may stay too wide.
    """
    limit = terminal_width() if width is None else width
    keep = list(range(len(columns)))
    shown = [list(row) for row in rows]
    heads = [c.header for c in columns]
    natural = [max([len(heads[i]) if header else 0, *(len(row[i]) for row in shown)]) for i in keep]

    def total(widths: dict[int, int]) -> int:
        return sum(widths.values()) + GAP * (len(widths) - 1)

    def squeeze(widths: dict[int, int], floor: dict[int, int]) -> None:
        while total(widths) > limit:
            narrowable = [i for i in widths if columns[i].shrink != "fixed" and widths[i] > floor[i]]
            if not narrowable:
                return
            widest = max(narrowable, key=lambda i: (widths[i], i))
            widths[widest] -= 1

    widths = {i: natural[i] for i in keep}
    soft = {i: min(natural[i], max(columns[i].min_width, len(heads[i]) if header else 1)) for i in keep}
    squeeze(widths, soft)
    for i in sorted((i for i in keep if columns[i].drop), key=lambda i: columns[i].drop):
        if total(widths) <= limit:
            break
        del widths[i]
        widths = {j: natural[j] for j in widths}  # the room freed may let the others widen again
        squeeze(widths, soft)
    squeeze(widths, {i: min(natural[i], HARD_MIN) for i in widths})

    def cell_lines(i: int, text: str) -> list[str]:
        w = widths[i]
        if len(text) <= w:
            return [text]
        if columns[i].shrink == "wrap":
            return textwrap.wrap(text, w, break_on_hyphens=False) or [""]
        return [text[: max(w - len(ellipsis), 0)] + ellipsis[:w]]

    def fmt(row: Sequence[str]) -> list[str]:
        parts = {i: cell_lines(i, row[i]) for i in widths}
        height = max(len(p) for p in parts.values())
        lines = []
        for n in range(height):
            cells = []
            for i, w in widths.items():
                text = parts[i][n] if n < len(parts[i]) else ""
                cells.append(text.rjust(w) if columns[i].right else text.ljust(w))
            lines.append((" " * GAP).join(cells).rstrip())
        return lines

    out: list[str] = []
    if header:
        out.extend(fmt(heads))
        out.append((" " * GAP).join("-" * w for w in widths.values()))
    for row in shown:
        out.extend(fmt(row))
    return out


def round_detail(round_: Round, dist: PoolDistribution | None, changes: list[RoundChange]) -> str:
    tie = round_.tie_break.strftime("%Y-%m-%d %H:%M:%S UTC") if round_.tie_break else None
    if tie is None:
        tie = f"not parsed ({round_.tie_break_raw!r})" if round_.tie_break_raw.strip() else "not published"
    run_at = (
        round_.run_at.strftime("%Y-%m-%d %H:%M:%S UTC") if round_.run_at else (round_.run_at_raw or "unknown")
    )
    lines = [
        f"Round #{round_.number} — {round_.date.isoformat()}",
        f"  Type:         {round_.name} ({_label(round_.category)})",
        f"  CRS cut-off:  {round_.crs}",
        f"  Invitations:  {round_.invitations:,}",
        f"  Tie-break:    {tie}",
        f"  Round ran:    {run_at}",
        f"  Programs:     {round_.programs or '—'}",
        f"  Page:         {round_.url}",
    ]
    if dist is None:
        lines.append("  Pool:         distribution not published for this round")
    else:
        lines.append(f"  Pool on {dist.as_on.isoformat()} (CRS band: candidates):")
        for key, band in DISTRIBUTION_BANDS.items():
            if key in ("dd3", "dd9"):
                continue  # subtotals of the finer bands shown next to them
            label = "Total" if band == "total" else band
            lines.append(f"    {label:>9}  {dist.counts.get(key, 0):>9,}")
    if changes:
        lines.append("  Corrections by IRCC:")
        for change in changes:
            lines.append(
                f"    {change.changed_at:%Y-%m-%d %H:%M} {change.field}: {change.old_value} → {change.new_value}"
            )
    return "\n".join(lines)


def summary_json(summary: CheckSummary, *, feed_urls: Iterable[str] = ()) -> dict[str, Any]:
    """The check's summary for scripts, with the passwords of its feed URL and of ``feed_urls`` (the
    configured one, which the fetch may have stripped of its credentials) masked in every string."""
    urls = [summary.feed_url, *feed_urls]
    data = summary.to_json()
    data["feed_url"] = masked_url(summary.feed_url)
    return {key: _masked(value, urls) for key, value in data.items()}


def _masked(value: Any, urls: list[str]) -> Any:
    if isinstance(value, str):
        return masked_text(value, urls)
    if isinstance(value, dict):
        return {key: _masked(item, urls) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item, urls) for item in value]
    return value


def summary_text(summary: CheckSummary, *, feed_urls: Iterable[str] = ()) -> str:
    """The check's result for a person: the feed's news, then what happened to alerts; the passwords of the
    feed URL and of ``feed_urls`` masked (see :func:`summary_json`)."""
    return masked_text(_summary_text(summary), [summary.feed_url, *feed_urls])


def _summary_text(summary: CheckSummary) -> str:
    text = _feed_text(summary)
    alerts = summary.alerts
    if any(alerts.values()):
        corrections = (
            f", {alerts['corrections']} correction notice(s) queued" if alerts["corrections"] else ""
        )
        ambiguous = (
            f", {alerts['ambiguous']} unanswered (may have arrived; not resent)"
            if alerts["ambiguous"]
            else ""
        )
        text += (
            f"\nAlerts: {alerts['queued']} queued{corrections}, {alerts['sent']} sent, {alerts['failed']} failed "
            f"(will retry), {alerts['dead']} given up{ambiguous}."
        )
    if summary.reminders_queued:
        text += f"\nReminders: {summary.reminders_queued} queued (a week before what subscribers' profiles foresee)."
    if summary.stale_feed:
        text += "\nThe feed lacks the newest stored round (an old copy): its differences were not taken as corrections."
    return text


def delivery_error_text(summary: CheckSummary) -> str | None:
    """The line for stderr when a check stored its news but sending stopped for database trouble."""
    if not summary.delivery_error:
        return None
    return (
        f"error: sending alerts stopped: {summary.delivery_error}. What the check stored stays stored; the "
        "alerts not recorded as sent go out at the next run (those in flight then may arrive twice)."
    )


def _feed_text(summary: CheckSummary) -> str:
    if summary.outcome == "failed":
        text = f"error: check failed: {summary.error}\nStored rounds were not changed."
        if summary.http_status is None:  # nothing came back at all: offline, wrong URL, firewall
            text += "\n" + unreachable_hint(summary.feed_url)
        return text
    if summary.outcome == "held":
        return f"error: {summary.error}\nStored rounds were not changed and nobody was alerted."
    if summary.outcome == "not_modified":
        return "No change: the feed server answered 304 Not Modified."
    if summary.outcome == "unchanged":
        return f"No change: the feed lists the same {summary.rounds_in_feed} rounds as at the last check."
    lines: list[str] = []
    if summary.baseline:
        lines.append(
            f"First check: recorded {len(summary.new_rounds)} historical rounds. "
            "Nobody is alerted for rounds published before drawwatch started watching."
        )
    elif summary.new_rounds:
        lines.append(f"{len(summary.new_rounds)} new round(s):")
        for r in summary.new_rounds:
            lines.append(
                f"  #{r['number']} {r['date']} {_label(r['category'])}: CRS {r['crs']}, "
                f"{r['invitations']:,} invitations ({r['name']})"
            )
    else:
        lines.append(f"No new rounds ({summary.rounds_in_feed} in the feed).")
    if summary.changed_rounds:
        lines.append(f"{len(summary.changed_rounds)} round(s) corrected by IRCC:")
        for number, fields in summary.changed_rounds.items():
            lines.append(f"  #{number}: {', '.join(fields)}")
    if summary.suspect_rounds:
        numbers = ", ".join(f"#{n}" for n in summary.suspect_rounds[:10])
        lines.append(f"Suspect round number(s) far past the newest stored round, not stored: {numbers}")
    if summary.withdrawn_rounds:
        numbers = ", ".join(f"#{n}" for n in summary.withdrawn_rounds)
        lines.append(f"Left the feed while newer rounds came (withdrawn or renumbered): {numbers}")
    if summary.skipped_rounds:
        lines.append(f"{len(summary.skipped_rounds)} malformed round(s) skipped:")
        lines.extend(f"  {reason}" for reason in summary.skipped_rounds)
    return "\n".join(lines)


def unreachable_hint(feed_url: str) -> str:
    """What to try when the feed could not be reached: the setting, the bundled copy, the offline demo."""
    from drawwatch.app.demo import bundled_feed_path

    bundled = bundled_feed_path()
    lines = [
        f"The feed could not be reached at {masked_url(feed_url)}. Next steps:",
        "  - check the network, or set DRAWWATCH_FEED_URL to a URL this machine can reach;",
    ]
    if bundled is not None:
        lines.append(
            f"  - or use the copy of IRCC's feed that ships with drawwatch: DRAWWATCH_FEED_URL={bundled.as_uri()}"
        )
    lines.append("  - or see the whole loop offline, in a throwaway database: drawwatch demo")
    return "\n".join(lines)
