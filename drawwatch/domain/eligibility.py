"""Which category-based selection rounds a candidate's work experience (or French) makes them eligible for.

Pure: no database, no CLI, no network. IRCC changes the categories, their occupation lists and the experience
rule every year, and an alert for a round must be judged by the rules in force on the round's date, so the
rules are versioned data (``drawwatch/data/eligibility/<year>.toml``, one file per selection year), validated
here into frozen models once and cached.

Rules in force on a day: the latest year file whose ``effective_from`` is on or before it, without the
categories whose own ``effective_from`` is still ahead (physicians, created 2025-12-08, part way through
2025). Before the first file (2023-05-31) there was no category-based selection: :func:`rules_on` raises
:class:`NoRulesError` instead of returning an empty rule set, because "eligible for nothing" would look like
an answer about the candidate when it is really a question asked about the wrong date.

What is checked: the occupation is on the category's list and the months given reach the rule's minimum;
French is the lowest of the four NCLC levels. What is not (no input carries it) is listed in each verdict's
``conditions``: Canadian experience for the "with Canadian work experience" categories, the military
category's recruitment conditions.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any, TypedDict

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from drawwatch.domain.errors import InvalidInput

__all__ = [
    "ELIGIBILITY_KEYS",
    "CategoryList",
    "CategoryVerdict",
    "NoRulesError",
    "NocExperience",
    "Occupation",
    "Rule",
    "Source",
    "YearRules",
    "eligible_categories",
    "evaluate",
    "load_rules",
    "lookup_occupation",
    "parse_noc_arg",
    "rules_for_year",
    "rules_on",
]

# The category keys a year file may use, in the order verdicts are listed. They are a subset of
# drawwatch.domain.categories.CATEGORY_KEYS (a test holds them to that) so a verdict names the same key as a round.
ELIGIBILITY_KEYS: tuple[str, ...] = (
    "french",
    "healthcare",
    "stem",
    "trades",
    "transport",
    "agriculture",
    "education",
    "physicians",
    "researchers",
    "senior_managers",
    "military",
)

DATA_PACKAGE = "drawwatch"
DATA_DIR = "data/eligibility"
MAX_NCLC = 12

_CODE_RE = re.compile(r"[0-9]{5}")
_DIGITS_RE = re.compile(r"[0-9]+")
_FROZEN = ConfigDict(frozen=True, extra="forbid")


class NoRulesError(InvalidInput):
    """Asked for the rules on a day before category-based selection existed."""


def _check_code(value: object) -> str:
    # A string, never an int: 00012 and 12 are different NOC codes.
    if isinstance(value, str) and _CODE_RE.fullmatch(value):
        return value
    hint = " (give it as a string so leading zeros survive)" if isinstance(value, int) else ""
    raise InvalidInput(f"NOC code must be 5 digits, got {value!r}{hint}")


def _check_months(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise InvalidInput(f"months must be a whole number ≥ 0, got {value!r}")


class Occupation(BaseModel):
    """One NOC 2021 unit group on a category list."""

    model_config = _FROZEN

    code: str
    title: str = Field(min_length=1)
    teer: int = Field(ge=0, le=5)

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, value: object) -> str:
        return _check_code(value)

    @model_validator(mode="after")
    def _teer_is_second_digit(self) -> Occupation:
        # NOC 2021 encodes TEER in the code's second digit; a mismatch means a typo in the code or the TEER.
        if self.teer != int(self.code[1]):
            raise ValueError(f"{self.code}: TEER {self.teer} is not the code's second digit")
        return self


class Source(BaseModel):
    """The official publication a list was taken from."""

    model_config = _FROZEN

    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^https://")
    see_also: tuple[str, ...] = ()
    note: str | None = None


class Rule(BaseModel):
    """A category's test: French needs ``min_nclc``; the others ``min_months`` in one listed occupation."""

    model_config = _FROZEN

    min_nclc: int | None = Field(default=None, ge=1, le=MAX_NCLC)
    min_months: int | None = Field(default=None, ge=1)
    window_months: int | None = Field(default=None, ge=1)
    continuous: bool = False
    canadian_experience: bool = False
    other_requirements: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _one_kind(self) -> Rule:
        language = self.min_nclc is not None
        occupational = self.min_months is not None and self.window_months is not None
        if language == occupational:
            raise ValueError("a rule needs either min_nclc, or min_months and window_months (not both)")
        if not occupational and (self.min_months is not None or self.window_months is not None):
            raise ValueError("min_months and window_months go together")
        return self

    @property
    def is_language(self) -> bool:
        return self.min_nclc is not None


class CategoryList(BaseModel):
    """One category in one selection year: its rule, its occupations and where they came from."""

    model_config = _FROZEN

    key: str
    year: int
    label: str = Field(min_length=1)
    short: str = Field(min_length=1)
    published: date
    effective_from: date | None = None
    complete: bool = True
    missing_note: str | None = None
    note: str | None = None
    cross_checks: tuple[str, ...] = ()
    rule: Rule
    source: Source
    occupations: tuple[Occupation, ...] = ()

    @field_validator("key")
    @classmethod
    def _known_key(cls, value: str) -> str:
        if value not in ELIGIBILITY_KEYS:
            raise ValueError(f"unknown category key {value!r}; expected one of {', '.join(ELIGIBILITY_KEYS)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CategoryList:
        if self.rule.is_language and self.occupations:
            raise ValueError(f"{self.key}: a language category has no occupation list")
        if not self.rule.is_language and not self.occupations:
            raise ValueError(f"{self.key}: the occupation list is empty")
        codes = [o.code for o in self.occupations]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"{self.key}: listed twice: {', '.join(duplicates)}")
        if self.complete == bool(self.missing_note):
            raise ValueError(f"{self.key}: missing_note is required exactly when complete = false")
        return self

    def occupation(self, code: str) -> Occupation | None:
        return next((o for o in self.occupations if o.code == code), None)

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(o.code for o in self.occupations)


class YearRules(BaseModel):
    """The categories in force from ``effective_from`` until the next year's file takes over."""

    model_config = _FROZEN

    year: int
    effective_from: date
    note: str | None = None
    categories: tuple[CategoryList, ...]

    @model_validator(mode="after")
    def _consistent(self) -> YearRules:
        keys = [c.key for c in self.categories]
        if keys != sorted(set(keys), key=ELIGIBILITY_KEYS.index):
            raise ValueError(f"{self.year}: categories must be unique and in ELIGIBILITY_KEYS order")
        for c in self.categories:
            if c.year != self.year:
                raise ValueError(f"{c.key}: year {c.year} in the {self.year} rules")
            if c.effective_from is not None and c.effective_from < self.effective_from:
                raise ValueError(f"{c.key}: effective_from before the year's {self.effective_from}")
        return self

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.categories)

    def category(self, key: str) -> CategoryList:
        for c in self.categories:
            if c.key == key:
                return c
        raise KeyError(f"no {key!r} category in the {self.year} rules (in force: {', '.join(self.keys)})")


class NocExperience(BaseModel):
    """Months of full-time (or equivalent part-time) work in one NOC occupation within the rule's window.

    Entries are judged one by one, never added up: the rule asks for the months in a single occupation, and
    until 2025 for one continuous stretch, which only the candidate can vouch for. Give the total for an
    occupation as one entry.
    """

    model_config = _FROZEN

    code: str
    months: int

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, value: object) -> str:
        return _check_code(value)

    @field_validator("months", mode="before")
    @classmethod
    def _months(cls, value: object) -> int:
        return _check_months(value)

    def __str__(self) -> str:
        return f"{self.code}:{self.months}"


class CategoryVerdict(BaseModel):
    """Whether the candidate can be invited in one category's rounds, and in words why (not)."""

    model_config = _FROZEN

    category: str
    label: str
    year: int
    eligible: bool
    qualifying_noc: Occupation | None = None
    reason: str
    # Requirements of the category that no input here carries, so they are stated, not checked.
    conditions: tuple[str, ...] = ()


def parse_noc_arg(text: str) -> NocExperience:
    """Read ``CODE:MONTHS`` as ``--noc`` takes it (``"21231:14"``, ``"00012:30"``).

    Raises ValueError naming what is wrong, so the CLI can show the message as it is.
    """
    if not isinstance(text, str):
        raise InvalidInput(f"expected CODE:MONTHS, e.g. 21231:14, got {text!r}")
    code, sep, months = text.strip().partition(":")
    if not sep:
        raise InvalidInput(f"expected CODE:MONTHS, e.g. 21231:14, got {text!r}")
    code, months = code.strip(), months.strip()
    _check_code(code)
    if not _DIGITS_RE.fullmatch(months):
        raise InvalidInput(f"months must be a whole number ≥ 0, got {months!r}")
    return NocExperience(code=code, months=int(months))


def _year_from_toml(name: str, raw: dict[str, Any]) -> YearRules:
    data = dict(raw)
    year = data.get("year")
    if name != f"{year}.toml":
        raise ValueError(f"{name}: the file of year {year!r} must be named {year}.toml")
    tables = data.pop("categories", None)
    if not isinstance(tables, dict) or not tables:
        raise ValueError(f"{name}: no [categories.*] tables")
    unknown = sorted(set(tables) - set(ELIGIBILITY_KEYS))
    if unknown:
        raise ValueError(f"{name}: unknown category keys {unknown}; expected some of {ELIGIBILITY_KEYS}")
    ordered = sorted(tables.items(), key=lambda item: ELIGIBILITY_KEYS.index(item[0]))
    categories = [{**table, "key": key, "year": year} for key, table in ordered]
    return YearRules.model_validate({**data, "categories": categories})


@cache
def load_rules() -> tuple[YearRules, ...]:
    """Every year file, validated, oldest first. Cached: the data ships in the package and never changes."""
    folder = resources.files(DATA_PACKAGE).joinpath(DATA_DIR)
    years: list[YearRules] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        try:
            years.append(_year_from_toml(entry.name, tomllib.loads(entry.read_text(encoding="utf-8"))))
        except (tomllib.TOMLDecodeError, ValidationError) as exc:
            raise ValueError(f"{DATA_DIR}/{entry.name}: {exc}") from exc
    if not years:
        raise ValueError(f"no eligibility data in {DATA_PACKAGE}/{DATA_DIR}")
    for before, after in itertools.pairwise(years):
        if not (before.year < after.year and before.effective_from < after.effective_from):
            raise ValueError(f"{after.year}: years and effective_from dates must both increase")
    return tuple(years)


def rules_for_year(year: int) -> YearRules:
    """One selection year's rules as published, including categories that started part way through it."""
    for rules in load_rules():
        if rules.year == year:
            return rules
    raise KeyError(f"no eligibility rules for {year}; known years: {[r.year for r in load_rules()]}")


def rules_on(day: date | None = None) -> YearRules:
    """The rules in force on ``day`` (default today); :class:`NoRulesError` before 2023-05-31."""
    day = _as_date(day)
    in_force = [r for r in load_rules() if r.effective_from <= day]
    if not in_force:
        first = load_rules()[0].effective_from
        raise NoRulesError(
            f"no category-based selection rules on {day.isoformat()}: "
            f"category-based selection began on {first.isoformat()}"
        )
    current = in_force[-1]
    started = tuple(c for c in current.categories if c.effective_from is None or c.effective_from <= day)
    if len(started) == len(current.categories):
        return current
    return current.model_copy(update={"categories": started})


def lookup_occupation(code: str) -> Occupation | None:
    """The occupation with this code on any year's list (latest title), or None when it was never listed."""
    code = _check_code(code)
    for rules in reversed(load_rules()):
        for category in rules.categories:
            found = category.occupation(code)
            if found is not None:
                return found
    return None


def evaluate(
    experience: Sequence[NocExperience],
    *,
    nclc_french: int | None = None,
    on: date | None = None,
) -> list[CategoryVerdict]:
    """One verdict per category in force on ``on`` (default today), in :data:`ELIGIBILITY_KEYS` order.

    ``nclc_french`` is the lowest NCLC level of the four French abilities (None: no French test). A
    well-formed code that is on no list is simply not eligible; malformed input raises.
    """
    rules = rules_on(on)
    entries = _check_experience(experience)
    nclc = _check_nclc(nclc_french)
    return [_judge(category, entries, nclc)[0] for category in rules.categories]


def eligible_categories(
    experience: Sequence[NocExperience],
    *,
    nclc_french: int | None = None,
    on: date | None = None,
) -> dict[str, NocExperience | None]:
    """Eligible category key -> the experience entry that qualifies (None for French)."""
    rules = rules_on(on)
    entries = _check_experience(experience)
    nclc = _check_nclc(nclc_french)
    result: dict[str, NocExperience | None] = {}
    for category in rules.categories:
        verdict, entry = _judge(category, entries, nclc)
        if verdict.eligible:
            result[category.key] = entry
    return result


def _as_date(day: date | None) -> date:
    if day is None:
        return date.today()
    if isinstance(day, datetime):  # a datetime is a date, but comparing the two raises
        return day.date()
    if isinstance(day, date):
        return day
    raise TypeError(f"expected a date, got {day!r}")


def _check_experience(experience: Iterable[NocExperience]) -> tuple[NocExperience, ...]:
    if isinstance(experience, str | bytes) or not isinstance(experience, Iterable):
        raise TypeError(
            f"experience must be a sequence of NocExperience, got {experience!r} "
            "(parse_noc_arg reads 'CODE:MONTHS')"
        )
    entries = tuple(experience)  # once: a generator can only be read once
    for item in entries:
        if not isinstance(item, NocExperience):
            raise TypeError(f"experience items must be NocExperience, got {item!r} (use parse_noc_arg)")
    return entries


def _check_nclc(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_NCLC:
        return value
    raise InvalidInput(f"NCLC must be a whole number from 0 to {MAX_NCLC}, got {value!r}")


def _conditions(rule: Rule) -> tuple[str, ...]:
    canadian = ("the work experience must have been gained in Canada",) if rule.canadian_experience else ()
    return canadian + rule.other_requirements


class _VerdictHead(TypedDict):
    """The fields of a :class:`CategoryVerdict` that come from the category, whatever the outcome."""

    category: str
    label: str
    year: int
    conditions: tuple[str, ...]


def _judge(
    category: CategoryList, entries: tuple[NocExperience, ...], nclc: int | None
) -> tuple[CategoryVerdict, NocExperience | None]:
    rule = category.rule
    head = f"{category.short} {category.year}:"
    verdict: _VerdictHead = {
        "category": category.key,
        "label": category.label,
        "year": category.year,
        "conditions": _conditions(rule),
    }
    if rule.min_nclc is not None:
        need = rule.min_nclc
        if nclc is None:
            reason = f"{head} no French test result given; needs NCLC {need} in all four abilities"
        elif nclc < need:
            reason = f"{head} NCLC {nclc}, needs {need} in all four abilities"
        else:
            return CategoryVerdict(
                **verdict, eligible=True, reason=f"{head} NCLC {nclc} meets NCLC {need} in all four abilities"
            ), None
        return CategoryVerdict(**verdict, eligible=False, reason=reason), None

    need = rule.min_months or 0  # set for every occupational rule (Rule's validator)
    listed = [(e, occ) for e in entries if (occ := category.occupation(e.code)) is not None]
    if not entries:
        reason = f"{head} no work experience given"
    elif not listed:
        codes = sorted({e.code for e in entries})
        if len(codes) == 1:
            reason = f"{head} {codes[0]} is not on the {category.year} list"
        else:
            reason = f"{head} none of {', '.join(codes)} is on the {category.year} list"
    else:
        entry, occ = max(listed, key=lambda pair: pair[0].months)
        if entry.months >= need:
            reason = f"{head} {entry.months} months in {occ.code} {occ.title} (needs {need})"
            return CategoryVerdict(**verdict, eligible=True, qualifying_noc=occ, reason=reason), entry
        reason = f"{head} {entry.months} of {need} months ({occ.code} {occ.title})"
    return CategoryVerdict(**verdict, eligible=False, reason=reason), None
