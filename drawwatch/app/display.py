"""How rounds and check results read on a terminal and in JSON. One place, so every command agrees."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drawwatch.domain.categories import CATEGORY_LABELS
from drawwatch.domain.rounds import DISTRIBUTION_BANDS

if TYPE_CHECKING:
    from drawwatch.app.check import CheckSummary
    from drawwatch.storage.models import PoolDistribution, Round, RoundChange


def round_json(round_: Round) -> dict[str, Any]:
    """The stable JSON shape of a round (PRODUCT.md): other tools rely on these keys."""
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


def rounds_table(rows: list[Round]) -> str:
    header = ("#", "Date", "Category", "CRS", "Invited", "Round name")
    body = [
        (
            r.number,
            r.date.isoformat(),
            _label(r.category),
            str(r.crs),
            f"{r.invitations:,}",
            r.name if len(r.name) <= 48 else r.name[:47] + "…",
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    right = {0, 3, 4}

    def fmt(row: tuple[str, ...]) -> str:
        cells = [
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    return "\n".join([fmt(header), "  ".join("-" * w for w in widths), *(fmt(r) for r in body)])


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


def summary_text(summary: CheckSummary) -> str:
    """The check's result for a person: the feed's news, then what happened to alerts."""
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
    if summary.stale_feed:
        text += "\nThe feed lacks the newest stored round (an old copy): its differences were not taken as corrections."
    return text


def _feed_text(summary: CheckSummary) -> str:
    if summary.outcome == "failed":
        return f"error: check failed: {summary.error}\nStored rounds were not changed."
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
    if summary.skipped_rounds:
        lines.append(f"{len(summary.skipped_rounds)} malformed round(s) skipped:")
        lines.extend(f"  {reason}" for reason in summary.skipped_rounds)
    return "\n".join(lines)
