"""The CRS calculation: profile + date → total and every line item, under the rule set in force that day.

Pure (no I/O beyond the packaged grid). Sections and line items are the issue's JSON shape: core (age,
education, first and second official language, Canadian work), spouse, skill transferability with its caps
applied item by item, additional points. :func:`score_until` also says until when the score holds (the next
birthday that changes the age points, a language result starting to count or expiring, the next rule set),
so a caller can store a score and recompute it only when it stops being true.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from drawwatch.domain.crs.grid import LevelRow, RuleSet, lookup, pending_on, rule_sets, rules_on
from drawwatch.domain.crs.language import ABILITIES, Ability, table
from drawwatch.domain.crs.profile import LanguageResult, Profile

__all__ = ["Item", "Score", "Section", "candidate_dates", "score", "score_until"]

SECTIONS = ("core", "spouse", "transferability", "additional")
LAST_AGE_CHANGE = 45  # from 45 on the age points are 0 and stay 0


@dataclass(frozen=True)
class Item:
    key: str
    points: int
    detail: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    items: tuple[Item, ...]

    @property
    def subtotal(self) -> int:
        return sum(i.points for i in self.items)


@dataclass(frozen=True)
class Score:
    """A CRS score on a day and the rule set that produced it (always shown together)."""

    total: int
    rules: RuleSet
    on: date
    with_spouse: bool
    sections: tuple[Section, ...]
    notes: tuple[str, ...] = field(default=())

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def to_json(self) -> dict[str, Any]:
        """``{"total", "rules", "core", "spouse", "transferability", "additional"}``, each section its line
        items' points and a ``subtotal``."""
        out: dict[str, Any] = {"total": self.total, "rules": self.rules.id}
        for s in self.sections:
            out[s.key] = {**{i.key: i.points for i in s.items}, "subtotal": s.subtotal}
        return out


def _rows(rows: tuple[LevelRow, ...], clb: int, col: int) -> int:
    points = 0
    for row in rows:
        if clb >= row.from_clb:
            points = row.points[col]
    return points


def _years(n: int) -> str:
    return f"{n} year" if n == 1 else f"{n} years"


def _levels_text(result: LanguageResult, levels: dict[Ability, int]) -> str:
    unit = "CLB" if result.lang == "en" else "NCLC"
    each = ", ".join(f"{a[0].upper()} {levels[a]}" for a in ABILITIES)
    return f"{table(result.test).name}: {unit} {each}"


def _capped(raw: list[int], cap: int) -> list[int]:
    """Cap a group of items together: earlier items keep their points, later ones get what is left."""
    left, out = cap, []
    for points in raw:
        kept = min(points, left)
        out.append(kept)
        left -= kept
    return out


def score(profile: Profile, on: date) -> Score:
    """The CRS score of ``profile`` on ``on`` (age on that day, language results valid that day)."""
    rules = rules_on(on)
    col = 0 if profile.with_spouse else 1
    notes: list[str] = []
    levels: dict[str, dict[Ability, int]] = {}
    for where, result in profile.results().items():
        if result.counts_on(on):
            levels[where] = result.levels()
        elif result.test_date is not None and result.test_date > on:
            notes.append(f"{where}: the result of {result.test_date.isoformat()} is not taken yet on {on}")
        else:
            until = result.valid_until()
            notes.append(
                f"{where}: the result of {result.test_date} expired on {until}; it counts for nothing"
            )
    first, second = levels.get("first_language"), levels.get("second_language")
    if first is None:
        notes.append("without a valid first-language result the profile cannot be in the Express Entry pool")

    age = profile.age_on(on)
    core = rules.core
    first_points = (
        sum(_rows(core.first_language_per_ability, first[a], col) for a in ABILITIES) if first else 0
    )
    second_raw = (
        sum(_rows(core.second_language_per_ability, second[a], col) for a in ABILITIES) if second else 0
    )
    second_points = min(second_raw, core.second_language_cap[col])
    core_items = (
        Item("age", lookup(core.age, age)[col], f"age {age}"),
        Item("education", core.education[profile.education][col], profile.education),
        Item(
            "first_language", first_points, _levels_text(profile.first_language, first) if first else "none"
        ),
        Item(
            "second_language",
            second_points,
            (_levels_text(profile.second_language, second) if profile.second_language and second else "none")
            + (f" (capped: {second_points} of {second_raw})" if second_raw > second_points else ""),
        ),
        Item(
            "canadian_work",
            lookup(core.canadian_work, profile.canadian_work_years)[col],
            _years(profile.canadian_work_years),
        ),
    )

    spouse_items: tuple[Item, ...]
    if profile.with_spouse and profile.spouse is not None:
        grid, partner = rules.spouse, profile.spouse
        spouse_levels = levels.get("spouse.language")
        language_points = 0
        if spouse_levels:
            for a in ABILITIES:
                language_points += max(
                    [r.points for r in grid.language_per_ability if spouse_levels[a] >= r.from_clb], default=0
                )
        spouse_items = (
            Item("education", grid.education[partner.education], partner.education),
            Item(
                "language",
                language_points,
                _levels_text(partner.language, spouse_levels)
                if partner.language and spouse_levels
                else "none",
            ),
            Item(
                "canadian_work",
                lookup(grid.canadian_work, partner.canadian_work_years),
                _years(partner.canadian_work_years),
            ),
        )
    else:
        why = "no accompanying spouse"
        spouse_items = (Item("education", 0, why), Item("language", 0, why), Item("canadian_work", 0, why))

    spouse_section = Section("spouse", spouse_items)
    transferability = _transferability(profile, rules, first)
    additional = _additional(profile, rules, levels)
    sections = (Section("core", core_items), spouse_section, transferability, additional)

    pending = pending_on(on)
    if pending is not None:
        what = pending.what[0].lower() + pending.what[1:].rstrip(".")
        notes.append(
            f"not applied: the CRS change reported for {pending.reported_effective} ({what}); its point "
            f"values could not be confirmed, so this is the {rules.id} score and IRCC's may differ"
        )
    return Score(
        total=sum(s.subtotal for s in sections),
        rules=rules,
        on=on,
        with_spouse=profile.with_spouse,
        sections=sections,
        notes=tuple(notes),
    )


def _transferability(profile: Profile, rules: RuleSet, first: dict[Ability, int] | None) -> Section:
    grid = rules.transferability
    lowest = min(first.values()) if first else 0
    language = "clb9" if lowest >= 9 else "clb7" if lowest >= 7 else None
    education = grid.education_tier[profile.education]
    cw, fw = profile.canadian_work_years, profile.foreign_work_years
    canadian = "two_plus" if cw >= 2 else "one" if cw == 1 else None
    foreign = "three_plus" if fw >= 3 else "one_to_two" if fw >= 1 else None

    def pick(table_: dict[str, dict[str, int]], row: str | None, column: str | None) -> int:
        return table_[row][column] if row and column else 0

    raw = [
        pick(grid.education_language, education, language),
        pick(grid.education_canadian_work, education, canadian),
        pick(grid.foreign_work_language, foreign, language),
        pick(grid.foreign_work_canadian_work, foreign, canadian),
    ]
    certificate_level = "clb7" if lowest >= 7 else "clb5" if lowest >= 5 else None
    raw.append(
        grid.certificate_language[certificate_level]
        if profile.certificate_of_qualification and certificate_level
        else 0
    )
    groups = (
        _capped(raw[0:2], grid.education_cap)
        + _capped(raw[2:4], grid.foreign_work_cap)
        + _capped(raw[4:5], grid.certificate_cap)
    )
    final = _capped(groups, grid.cap)
    details = [
        f"{education or 'no post-secondary'} × {language or 'below CLB 7'}",
        f"{education or 'no post-secondary'} × Canadian work {canadian or 'none'}",
        f"foreign work {foreign or 'none'} × {language or 'below CLB 7'}",
        f"foreign work {foreign or 'none'} × Canadian work {canadian or 'none'}",
        f"certificate of qualification × {certificate_level or 'below CLB 5'}"
        if profile.certificate_of_qualification
        else "no certificate of qualification",
    ]
    keys = (
        "education_language",
        "education_canadian_work",
        "foreign_work_language",
        "foreign_work_canadian_work",
        "certificate",
    )
    items = []
    for key, points, before, detail in zip(keys, final, raw, details, strict=True):
        items.append(
            Item(key, points, detail + (f" (capped: {points} of {before})" if points < before else ""))
        )
    return Section("transferability", tuple(items))


def _additional(profile: Profile, rules: RuleSet, levels: dict[str, dict[Ability, int]]) -> Section:
    grid = rules.additional
    french_points, french_detail = 0, "no NCLC 7 in all four French abilities"
    by_language = {
        result.lang: levels[where]
        for where, result in profile.results().items()
        if where in ("first_language", "second_language") and where in levels
    }
    french, english = by_language.get("fr"), by_language.get("en")
    if grid.french is None:
        french_detail = f"no French points in {rules.id}"
    elif french and min(french.values()) >= grid.french.from_nclc:
        if english and min(english.values()) >= 5:
            french_points, french_detail = (
                grid.french.english_clb5_all,
                "NCLC 7+ in French and CLB 5+ in English",
            )
        else:
            french_points, french_detail = (
                grid.french.otherwise,
                "NCLC 7+ in French, English CLB 4 or lower or none",
            )
    offer = profile.job_offer
    if grid.arranged_employment is None:
        offer_points, offer_detail = 0, f"no job-offer points in {rules.id}" if offer != "none" else "none"
    else:
        offer_points, offer_detail = grid.arranged_employment.get(offer, 0), offer
    raw = [
        grid.provincial_nomination if profile.provincial_nomination else 0,
        french_points,
        grid.canadian_education.get(profile.canadian_education, 0),
        (grid.sibling or 0) if profile.sibling_in_canada else 0,
        offer_points,
    ]
    sibling_detail = "yes" if profile.sibling_in_canada else "no"
    if profile.sibling_in_canada and grid.sibling is None:
        sibling_detail = f"no sibling points in {rules.id}"
    details = [
        "yes" if profile.provincial_nomination else "no",
        french_detail,
        profile.canadian_education,
        sibling_detail,
        offer_detail,
    ]
    keys = ("provincial_nomination", "french", "canadian_education", "sibling", "arranged_employment")
    final = _capped(raw, grid.cap)
    return Section(
        "additional",
        tuple(
            Item(k, p, d + (f" (capped: {p} of {r})" if p < r else ""))
            for k, p, r, d in zip(keys, final, raw, details, strict=True)
        ),
    )


def candidate_dates(profile: Profile, after: date) -> list[tuple[date, str]]:
    """Days after ``after`` on which the score may change, with why: birthdays (up to 45), language results
    starting to count or expiring, rule sets taking effect. Sorted; a day may appear more than once."""
    found: list[tuple[date, str]] = []
    if profile.birth_date is not None:
        born, now = profile.birth_date, profile.age_on(after)
        for age in range(now + 1, LAST_AGE_CHANGE + 1):
            try:
                day = born.replace(year=born.year + age)
            except ValueError:  # born on 29 February
                day = date(born.year + age, 3, 1)
            found.append((day, f"birthday: age {age}"))
    for where, result in profile.results().items():
        name = table(result.test).name
        if result.test_date is not None and result.test_date > after:
            found.append(
                (result.test_date, f"{where}: the {name} result of {result.test_date} starts counting")
            )
        until = result.valid_until()
        if until is not None and until > after:
            found.append((until, f"{where}: the {name} result of {result.test_date} expires (two years)"))
    for rules in rule_sets():
        if rules.effective_from > after:
            found.append((rules.effective_from, f"rule set {rules.id} takes effect"))
    return sorted(found)


def score_until(
    profile: Profile, on: date, *, scorer: Callable[[Profile, date], Score] | None = None
) -> tuple[Score, date | None]:
    """The score on ``on`` and the first later day on which it is different (None: no known day).

    ``scorer`` stands for :func:`score` (e.g. one that remembers the days it scored: a caller asking about
    one profile several times scores each day once)."""
    of = scorer or score
    now = of(profile, on)
    shown = now.to_json()
    for day in sorted({d for d, _ in candidate_dates(profile, on)}):
        if of(profile, day).to_json() != shown:
            return now, day
    return now, None
