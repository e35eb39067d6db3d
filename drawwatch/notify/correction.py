"""Correction notices: which changes IRCC makes to a published round matter to someone who was alerted,
and what the notice about them says.

IRCC edits rounds after publishing them (FEED.md): tie-break times are fixed, names are reworded. A change to
what an alert told the subscriber (cut-off, invitations, date, tie-break time, the round's category) is
material and earns each alerted subscriber one notice; a rename or a whitespace edit is cosmetic and earns
nobody anything.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from drawwatch.domain.categories import CATEGORY_LABELS
from drawwatch.domain.vocabulary import STANDINGS, Standing
from drawwatch.notify.message import RenderedMessage, RoundInfo
from drawwatch.notify.render import Renderer, long_date, thousands, utc_time

# The fields an alert states and their labels, in the order a notice lists them.
FIELD_LABELS: Final[dict[str, str]] = {
    "date": "Date",
    "category": "Type",
    "crs": "Cut-off",
    "invitations": "Invitations",
    "tie_break": "Tie-break",
    "tie_break_raw": "Tie-break",
}
MATERIAL_FIELDS: Final[tuple[str, ...]] = tuple(FIELD_LABELS)


class Change(Protocol):
    """A changed field: storage's ``FieldChange`` (values) or a decoded ``draw_change`` row."""

    field: str
    old: Any
    new: Any


def _squeezed(value: Any) -> Any:
    return " ".join(value.split()) if isinstance(value, str) else value


def material_changes(changes: Sequence[Change], *, tie_break_now: dt.datetime | None) -> list[Change]:
    """The changes an alerted subscriber must hear about, in :data:`MATERIAL_FIELDS` order.

    The raw tie-break text matters only while no time could be parsed from it (the alert then quoted the
    text); whitespace-only edits never matter.
    """
    wanted = []
    for change in changes:
        if change.field not in MATERIAL_FIELDS or _squeezed(change.old) == _squeezed(change.new):
            continue
        if change.field == "tie_break_raw" and (
            tie_break_now is not None or any(c.field == "tie_break" for c in changes)
        ):
            continue
        wanted.append(change)
    return sorted(wanted, key=lambda change: MATERIAL_FIELDS.index(change.field))


@dataclass(frozen=True, slots=True)
class StoredChange:
    """A ``draw_change`` row decoded: values as the round held them (dates and datetimes parsed back)."""

    field: str
    old: Any
    new: Any

    @classmethod
    def decode(cls, field: str, old_json: str, new_json: str) -> StoredChange:
        return cls(field, _decode(field, json.loads(old_json)), _decode(field, json.loads(new_json)))


def _decode(field: str, value: Any) -> Any:
    if value is None:
        return None
    if field == "date":
        return dt.date.fromisoformat(value)
    if field == "tie_break":
        return dt.datetime.fromisoformat(value)
    return value


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
        }


CORRECTION_PREFIX: Final = "correction"


def render_correction(renderer: Renderer, ctx: CorrectionContext) -> RenderedMessage:
    """Subject, text, HTML and short form of a correction notice (templates ``correction*.j2``)."""
    return renderer.render_message(CORRECTION_PREFIX, ctx.template_context())
