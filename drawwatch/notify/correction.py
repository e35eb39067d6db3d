"""Correction notices: what the notice about a corrected round says to a subscriber who was alerted.

Which changes are material (and so earn a notice) is the domain's rule, :mod:`drawwatch.domain.corrections`;
this module turns each material change into the line a notice shows (a label, the old and the new value, in
the date, time and number formats of the alert), checks one subscriber's notice for consistency, and renders
it through the ``correction*.j2`` templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from drawwatch.domain.categories import CATEGORY_LABELS
from drawwatch.domain.corrections import Change
from drawwatch.domain.vocabulary import STANDINGS, Standing
from drawwatch.notify.message import APPLICATION_DAYS, RenderedMessage, RoundInfo, submitted_at_tie_break
from drawwatch.notify.render import Renderer, category_short, long_date, thousands, utc_time

# The label of each of domain.corrections.MATERIAL_FIELDS, as a notice shows it.
FIELD_LABELS: Final[dict[str, str]] = {
    "date": "Date",
    "category": "Type",
    "crs": "Cut-off",
    "invitations": "Invitations",
    "tie_break": "Tie-break",
    "tie_break_raw": "Tie-break",
}


# The verdict a correction notice's subject starts with, per standing (domain.vocabulary.STANDINGS).
CORRECTION_VERDICTS: Final[dict[str, str]] = {
    "clear": "You still qualify",
    "tie_unknown": "Tie-break decides",
    "tie_invited": "Tie-break favours you",
    "tie_not_invited": "Tie-break goes against you",
    "below": "Below the new cut-off",
}


@dataclass(frozen=True, slots=True)
class ChangeLine:
    """One changed fact as the notice shows it: ``Cut-off: 486 → 491``."""

    field: str
    label: str
    old: str
    new: str


def change_line(change: Change) -> ChangeLine:
    return ChangeLine(
        change.field,
        FIELD_LABELS[change.field],
        _shown(change.field, change.old),
        _shown(change.field, change.new),
    )


def _shown(field: str, value: Any) -> str:
    if value is None or value == "":
        return "not published"
    if field == "date":
        return long_date(value)
    if field == "tie_break":
        return utc_time(value)
    if field == "category":
        return CATEGORY_LABELS.get(value, value)
    if field == "crs":
        return f"CRS {value}"
    if field == "invitations":
        return thousands(value)
    return str(value)


@dataclass(frozen=True, slots=True)
class CorrectionContext:
    """One subscriber's notice that a round they were alerted about was corrected."""

    round: RoundInfo  # as corrected
    changes: tuple[ChangeLine, ...]
    subscriber_name: str
    subscriber_crs: int
    standing: Standing  # against the corrected round
    unsubscribe_hint: str | None = None
    submitted_at: datetime | None = None  # the subscriber's saved profile submission time
    # For a subscriber with a CRS profile: ``subscriber_crs`` is its score on the corrected round's day under
    # this rule set (None: a bare CRS number, or a day before the first rule set: the stored score).
    score_rules: str | None = None

    def __post_init__(self) -> None:
        if self.standing not in STANDINGS:
            raise ValueError(f"standing must be one of {', '.join(STANDINGS)}; got {self.standing!r}")
        if not self.changes:
            raise ValueError(f"round {self.round.number}: a correction notice needs at least one change")
        below = self.subscriber_crs < self.round.crs
        if below != (self.standing == "below"):
            raise ValueError(
                f"standing {self.standing!r} contradicts CRS {self.subscriber_crs} vs cut-off {self.round.crs}"
            )

    @property
    def margin(self) -> int:
        """Points above the corrected cut-off (negative below it)."""
        return self.subscriber_crs - self.round.crs

    def template_context(self) -> dict[str, Any]:
        """The names the correction templates see (listed in correction.txt.j2's header)."""
        return {
            "round": self.round,
            "changes": self.changes,
            "subscriber_name": self.subscriber_name,
            "subscriber_crs": self.subscriber_crs,
            "standing": self.standing,
            "margin": self.margin,
            "unsubscribe_hint": self.unsubscribe_hint,
            "verdict": CORRECTION_VERDICTS[self.standing],
            "category_short": category_short(self.round.category),
            "canadian_experience": self.round.canadian_experience,
            "apply_by": self.round.apply_by,
            "apply_days": APPLICATION_DAYS,
            "submitted_at": self.submitted_at,
            "submitted_at_tie_break": submitted_at_tie_break(self.submitted_at, self.round.tie_break),
            "score_rules": self.score_rules,
        }


CORRECTION_PREFIX: Final = "correction"


def render_correction(renderer: Renderer, ctx: CorrectionContext) -> RenderedMessage:
    """Subject, text, HTML and short form of a correction notice (templates ``correction*.j2``)."""
    return renderer.render_message(CORRECTION_PREFIX, ctx.template_context())
