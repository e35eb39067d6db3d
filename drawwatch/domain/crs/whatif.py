"""What would raise a score, ranked by points gained, and the days ahead on which it will change by itself.

Each move is a changed copy of the profile scored under the same rule set on the same day, so the gain is
exactly what the calculator gives, caps included; moves that gain nothing are left out. The changes ahead
come from :func:`~drawwatch.domain.crs.score.candidate_dates`: birthdays, language results expiring after two
years (or starting to count), rule sets taking effect.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from drawwatch.domain.crs.language import ABILITIES, table
from drawwatch.domain.crs.language import score_for_level as threshold
from drawwatch.domain.crs.profile import EDUCATION_LEVELS, LanguageResult, Profile
from drawwatch.domain.crs.score import Score, candidate_dates, score

__all__ = ["Change", "Move", "WhatIf", "whatif"]

TOP_SCORED_LEVEL = 10  # CLB 10 earns the most points in every language table


@dataclass(frozen=True)
class Move:
    key: str
    description: str
    gain: int
    total: int


@dataclass(frozen=True)
class Change:
    day: date
    total: int
    change: int
    reason: str
    rules: str


@dataclass(frozen=True)
class WhatIf:
    score: Score
    moves: tuple[Move, ...]
    changes: tuple[Change, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.score.total,
            "rules": self.score.rules.id,
            "on": self.score.on.isoformat(),
            "moves": [
                {"move": m.key, "description": m.description, "gain": m.gain, "total": m.total}
                for m in self.moves
            ],
            "changes": [
                {
                    "date": c.day.isoformat(),
                    "total": c.total,
                    "change": c.change,
                    "reason": c.reason,
                    "rules": c.rules,
                }
                for c in self.changes
            ],
        }


def _with_scores(result: LanguageResult, **values: float) -> LanguageResult:
    return result.model_copy(update={"scores": result.scores.model_copy(update=values)})


def _uniform(test: str, language: str, value: float) -> LanguageResult:
    return LanguageResult.model_validate(
        {"test": test, "language": language, "scores": dict.fromkeys(ABILITIES, value)}
    )


def _set_result(profile: Profile, where: str, result: LanguageResult | None) -> Profile:
    if where == "spouse.language":
        assert profile.spouse is not None
        return profile.model_copy(update={"spouse": profile.spouse.model_copy(update={"language": result})})
    return profile.model_copy(update={where: result})


def _candidates(profile: Profile, on: date) -> Iterator[tuple[str, str, Profile]]:
    """(key, description, changed profile) for every move worth trying; the scoring filters them."""
    for where, result in profile.results().items():
        if where == "spouse.language" and not profile.with_spouse:
            continue
        name = table(result.test).name
        if not result.counts_on(on):
            retaken = result.model_copy(update={"test_date": on})
            yield (
                f"{where}.retake",
                f"{where}: take the {name} again (same results)",
                _set_result(profile, where, retaken),
            )
            continue
        levels = result.levels()
        unit = "CLB" if result.lang == "en" else "NCLC"
        for ability in ABILITIES:
            for target in range(levels[ability] + 1, TOP_SCORED_LEVEL + 1):
                value = threshold(result.test, ability, target)
                if value is None:
                    break
                changed = _set_result(profile, where, _with_scores(result, **{ability: value}))
                description = (
                    f"{where} {ability}: {unit} {target} ({name} {value:g}; now {unit} {levels[ability]})"
                )
                yield f"{where}.{ability}", description, changed
    languages = {r.lang: (w, r) for w, r in profile.results().items() if w != "spouse.language"}
    if "fr" not in languages:
        yield (
            "french_nclc7",
            "take a French test (TEF/TCF Canada): NCLC 7 in all four abilities",
            profile.model_copy(update={"second_language": _uniform("clb", "fr", 7)}),
        )
    else:
        where, french = languages["fr"]
        if min(french.levels().values()) < 7 and french.counts_on(on):
            values = {a: max(getattr(french.scores, a), threshold(french.test, a, 7) or 0) for a in ABILITIES}
            yield (
                "french_nclc7",
                "French at NCLC 7 in all four abilities",
                _set_result(profile, where, _with_scores(french, **values)),
            )
    if "en" not in languages:
        yield (
            "english_clb5",
            "take an English test (IELTS, CELPIP, PTE Core): CLB 5 in all four abilities",
            profile.model_copy(update={"second_language": _uniform("clb", "en", 5)}),
        )
    yield (
        "canadian_work",
        "one more year of Canadian work",
        profile.model_copy(update={"canadian_work_years": profile.canadian_work_years + 1}),
    )
    yield (
        "foreign_work",
        "one more year of foreign work",
        profile.model_copy(update={"foreign_work_years": profile.foreign_work_years + 1}),
    )
    rank = EDUCATION_LEVELS.index(profile.education)
    targets = EDUCATION_LEVELS[rank + 1 : rank + 2] + tuple(
        level for level in ("masters",) if EDUCATION_LEVELS.index(level) > rank + 1
    )
    for level in targets:
        yield (
            f"education.{level}",
            f"complete a credential: education {level}",
            profile.model_copy(update={"education": level}),
        )
    canadian = ("none", "one_or_two_year", "three_plus_year")
    for level in canadian[canadian.index(profile.canadian_education) + 1 :]:
        yield (
            f"canadian_education.{level}",
            f"a Canadian credential: {level}",
            profile.model_copy(update={"canadian_education": level}),
        )
    if not profile.certificate_of_qualification:
        yield (
            "certificate",
            "a Canadian certificate of qualification (skilled trades)",
            profile.model_copy(update={"certificate_of_qualification": True}),
        )
    if not profile.provincial_nomination:
        yield (
            "provincial_nomination",
            "a provincial or territorial nomination",
            profile.model_copy(update={"provincial_nomination": True}),
        )
    if profile.job_offer == "none":
        for offer in ("other_qualifying", "teer0_major_group_00"):
            yield (
                f"job_offer.{offer}",
                f"a qualifying job offer: {offer}",
                profile.model_copy(update={"job_offer": offer}),
            )
    spouse = profile.spouse
    if profile.with_spouse and spouse is not None:
        if spouse.language is None:
            for clb in (5, 7, 9):
                yield (
                    f"spouse.test.clb{clb}",
                    f"the spouse's language test: CLB {clb} in all four abilities",
                    (_set_result(profile, "spouse.language", _uniform("clb", "en", clb))),
                )
        yield (
            "spouse.canadian_work",
            "one more year of Canadian work for the spouse",
            profile.model_copy(
                update={
                    "spouse": spouse.model_copy(
                        update={"canadian_work_years": spouse.canadian_work_years + 1}
                    )
                }
            ),
        )
        spouse_rank = EDUCATION_LEVELS.index(spouse.education)
        for level in EDUCATION_LEVELS[spouse_rank + 1 : spouse_rank + 2]:
            yield (
                f"spouse.education.{level}",
                f"the spouse completes a credential: {level}",
                profile.model_copy(update={"spouse": spouse.model_copy(update={"education": level})}),
            )


def whatif(profile: Profile, on: date) -> WhatIf:
    """The score on ``on``, the moves that raise it (most points first) and the changes ahead."""
    now = score(profile, on)
    best: dict[str, Move] = {}
    for key, description, changed in _candidates(profile, on):
        total = score(changed, on).total
        gain = total - now.total
        # For one ability, the first level that gains anything is the move to show.
        if gain > 0 and key not in best:
            best[key] = Move(key, description, gain, total)
    moves = sorted(best.values(), key=lambda m: (-m.gain, m.key))

    changes: list[Change] = []
    previous = now
    dates = candidate_dates(profile, on)
    for day in sorted({d for d, _ in dates}):
        later = score(profile, day)
        if later.total != previous.total:
            reason = "; ".join(why for d, why in dates if d == day)
            changes.append(Change(day, later.total, later.total - previous.total, reason, later.rules.id))
        previous = later
    return WhatIf(now, tuple(moves), tuple(changes))
