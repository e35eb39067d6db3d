"""Corrections: which changes IRCC makes to a published round matter to a subscriber who was alerted.

IRCC edits rounds after publishing them (docs/feed.md): tie-break times are fixed, names are reworded. A change to
what an alert told the subscriber (cut-off, invitations, date, tie-break time, the round's category) is
material and earns each alerted subscriber one notice; a rename or a whitespace edit is cosmetic and earns
nobody anything. The rule is the domain's, not the notice's: the check applies it to decide whether a change
queues notices at all, delivery applies it again to the changes stored with a notice, and neither needs
templates or apprise for it. What a notice says about each change is :mod:`drawwatch.notify.correction`'s.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

# The fields an alert states, in the order a notice lists them (each has a label in notify.correction).
MATERIAL_FIELDS: Final[tuple[str, ...]] = (
    "date",
    "category",
    "crs",
    "invitations",
    "tie_break",
    "tie_break_raw",
)


class Change(Protocol):
    """A changed field: storage's ``FieldChange`` (values) or a decoded ``draw_change`` row.

    Read-only members, so that a frozen dataclass (:class:`StoredChange`) satisfies it as well.
    """

    @property
    def field(self) -> str: ...
    @property
    def old(self) -> Any: ...
    @property
    def new(self) -> Any: ...


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
