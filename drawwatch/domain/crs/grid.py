"""The CRS grid as versioned data: one rule set per file (``drawwatch/data/crs/<effective date>.json``).

IRCC changes the grid by Ministerial Instructions on a date, and a score for a round must use the grid in
force on the round's date, so every rule set carries its effective date and sources, and the one in force on
a day is the latest that started on or before it. A change that was reported but whose point values could not
be confirmed is recorded in ``pending_unconfirmed`` and never changes a score: it is shown as a warning.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from drawwatch.domain.errors import InvalidInput

__all__ = [
    "NoRuleSetError",
    "Pending",
    "RuleSet",
    "lookup",
    "pending_on",
    "rule_set",
    "rule_sets",
    "rules_on",
]

DATA_DIR = "data/crs"
_FILE_RE = re.compile(r"\d{4}-\d{2}-\d{2}\.json")
_FROZEN = ConfigDict(frozen=True, extra="forbid")
T = TypeVar("T")
Pair = tuple[int, int]  # [with spouse, without spouse]


class NoRuleSetError(InvalidInput):
    """Asked for a score on a day before the first rule set drawwatch ships."""


class LevelRow(BaseModel):
    model_config = _FROZEN
    from_clb: int
    points: Pair


class SpouseLevelRow(BaseModel):
    model_config = _FROZEN
    from_clb: int
    points: int


class Core(BaseModel):
    model_config = _FROZEN
    age: dict[str, Pair]
    education: dict[str, Pair]
    first_language_per_ability: tuple[LevelRow, ...]
    second_language_per_ability: tuple[LevelRow, ...]
    second_language_cap: Pair
    canadian_work: dict[str, Pair]


class SpouseGrid(BaseModel):
    model_config = _FROZEN
    education: dict[str, int]
    language_per_ability: tuple[SpouseLevelRow, ...]
    canadian_work: dict[str, int]


class Transferability(BaseModel):
    model_config = _FROZEN
    education_tier: dict[str, str | None]
    education_language: dict[str, dict[str, int]]
    education_canadian_work: dict[str, dict[str, int]]
    education_cap: int
    foreign_work_language: dict[str, dict[str, int]]
    foreign_work_canadian_work: dict[str, dict[str, int]]
    foreign_work_cap: int
    certificate_language: dict[str, int]
    certificate_cap: int
    cap: int


class French(BaseModel):
    model_config = _FROZEN
    from_nclc: int
    english_clb5_all: int
    otherwise: int


class Additional(BaseModel):
    model_config = _FROZEN
    provincial_nomination: int
    french: French | None
    canadian_education: dict[str, int]
    sibling: int | None
    arranged_employment: dict[str, int] | None
    cap: int


class Source(BaseModel):
    model_config = _FROZEN
    what: str
    url: str | None = None
    read: str | None = None


class Pending(BaseModel):
    """A reported change not applied: its point values were not confirmed."""

    model_config = _FROZEN
    reported_effective: date
    what: str
    status: str
    sources: tuple[str, ...]
    values: None


class RuleSet(BaseModel):
    model_config = _FROZEN
    id: str
    effective_from: date
    effective_to: date | None = None  # the last day, filled in from the next rule set when loading
    title: str
    sources: tuple[Source, ...]
    how_read: dict[str, str]
    core: Core
    spouse: SpouseGrid
    transferability: Transferability
    additional: Additional
    notes: tuple[str, ...] = ()
    pending_unconfirmed: Pending | None = None


@cache
def rule_sets() -> tuple[RuleSet, ...]:
    """Every rule set, oldest first, each with its last day. Cached: the data ships in the package."""
    folder = resources.files("drawwatch").joinpath(DATA_DIR)
    found: list[RuleSet] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not _FILE_RE.fullmatch(entry.name):
            continue
        try:
            rules = RuleSet.model_validate(json.loads(entry.read_text(encoding="utf-8")))
        except (ValueError, ValidationError) as exc:
            raise ValueError(f"{DATA_DIR}/{entry.name}: {exc}") from exc
        if entry.name != f"{rules.effective_from.isoformat()}.json":
            raise ValueError(f"{DATA_DIR}/{entry.name}: must be named for its effective_from date")
        found.append(rules)
    if not found:
        raise ValueError(f"no CRS rule sets in drawwatch/{DATA_DIR}")
    ends = [r.effective_from - timedelta(days=1) for r in found[1:]] + [None]
    return tuple(r.model_copy(update={"effective_to": end}) for r, end in zip(found, ends, strict=True))


def rules_on(day: date) -> RuleSet:
    """The rule set in force on ``day``."""
    sets = rule_sets()
    in_force = [r for r in sets if r.effective_from <= day]
    if not in_force:
        raise NoRuleSetError(
            f"no CRS rule set for {day.isoformat()}: drawwatch's rule sets start on "
            f"{sets[0].effective_from.isoformat()} ({sets[0].id})"
        )
    return in_force[-1]


def rule_set(rule_id: str) -> RuleSet:
    for rules in rule_sets():
        if rules.id == rule_id:
            return rules
    raise NoRuleSetError(f"no CRS rule set {rule_id!r}; known: {', '.join(r.id for r in rule_sets())}")


def pending_on(day: date) -> Pending | None:
    """A reported but unconfirmed change that would already be in force on ``day``, if any."""
    pending = rules_on(day).pending_unconfirmed
    return pending if pending is not None and pending.reported_effective <= day else None


def lookup(table: Mapping[str, T], n: int) -> T:
    """The entry for ``n`` in a table keyed by numbers with open ends ("17_or_less", "5_or_more")."""
    if str(n) in table:
        return table[str(n)]
    for key, value in table.items():
        bound, _, end = key.partition("_or_")
        if (end == "less" and n <= int(bound)) or (end == "more" and n >= int(bound)):
            return value
    raise KeyError(f"{n} is in no row of {list(table)}")
