"""A CRS profile (the issue's format, TOML or JSON once parsed) and its validation into clear, one-line errors.

Every error names the field by its path (``first_language.scores.listening``) and the values allowed there,
because the person fixing it is editing a file by hand. Only the first problem is reported, with a count of
the others: one line on the command line.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictBool, ValidationError, model_validator

from drawwatch.domain.crs.language import ABILITIES, TESTS, Ability, TestName, check_score, level, table
from drawwatch.domain.crs.language import valid_until as result_valid_until
from drawwatch.domain.errors import InvalidInput

__all__ = [
    "EDUCATION_LEVELS",
    "MAX_AGE",
    "MIN_AGE",
    "LanguageResult",
    "Profile",
    "ProfileError",
    "Spouse",
    "parse_profile",
]

SpouseStatus = Literal["none", "accompanying", "not_accompanying", "canadian_citizen_or_pr"]
Education = Literal[
    "less_than_secondary",
    "secondary",
    "one_year",
    "two_year",
    "bachelors",
    "two_or_more",
    "masters",
    "doctoral",
]
CanadianEducation = Literal["none", "one_or_two_year", "three_plus_year"]
JobOffer = Literal["none", "teer0_major_group_00", "other_qualifying"]
Language = Literal["en", "fr"]
EDUCATION_LEVELS: tuple[str, ...] = get_args(Education)
MIN_AGE, MAX_AGE = 17, 99  # the grid's first row is "17 or less"; younger is a typo, not a candidate
MAX_YEARS = 60

_FORBID = ConfigDict(frozen=True, extra="forbid")


class ProfileError(InvalidInput):
    """A profile that cannot be scored; the message names the field and what is allowed there."""


def _whole(value: object) -> object:
    # Not pydantic's lax int: it takes true as 1 and "3" as 3, which in a hand-written file hides a mistake.
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ValueError(f"must be a whole number, got {value!r}")
    return int(value)


def _number(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number, got {value!r}")
    return value


Whole = Annotated[int, BeforeValidator(_whole)]
Number = Annotated[float, BeforeValidator(_number)]


class Scores(BaseModel):
    model_config = _FORBID
    listening: Number
    reading: Number
    writing: Number
    speaking: Number


class LanguageResult(BaseModel):
    """One language test result (or CLB/NCLC levels given directly), optionally with its test date."""

    model_config = _FORBID
    test: TestName
    language: Language | None = None
    scores: Scores
    test_date: date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> LanguageResult:
        chart = table(self.test)
        if chart.language is None and self.language is None:
            raise ValueError("language: required with test = clb; allowed: en (CLB), fr (NCLC)")
        if chart.language is not None and self.language not in (None, chart.language):
            raise ValueError(f"language: {chart.name} is a test of {chart.language!r}, got {self.language!r}")
        if self.language is None:
            object.__setattr__(self, "language", chart.language)
        for ability in ABILITIES:
            problem = check_score(self.test, ability, getattr(self.scores, ability))
            if problem:
                raise ValueError(f"scores.{ability}: {problem}")
        return self

    @property
    def lang(self) -> Language:
        assert self.language is not None  # set by the validator
        return self.language

    def levels(self) -> dict[Ability, int]:
        """CLB (English) or NCLC (French) level per ability."""
        return {a: level(self.test, a, getattr(self.scores, a)) for a in ABILITIES}

    def valid_until(self) -> date | None:
        """The first day this result no longer counts (None: no test date given, taken as valid)."""
        return result_valid_until(self.test_date) if self.test_date else None

    def counts_on(self, day: date) -> bool:
        """Whether the result is valid on ``day``: taken by then and less than two years old."""
        if self.test_date is None:
            return True
        until = self.valid_until()
        return self.test_date <= day and (until is None or day < until)


class Spouse(BaseModel):
    """The spouse or common-law partner's factors (scored only when they come to Canada)."""

    model_config = _FORBID
    education: Education
    language: LanguageResult | None = None
    canadian_work_years: Whole = 0


class Profile(BaseModel):
    """A candidate as the issue's profile format describes them. Age: ``age`` at the scoring date, or a
    ``birth_date`` to compute it on any date."""

    model_config = _FORBID
    age: Whole | None = None
    birth_date: date | None = None
    spouse_status: SpouseStatus = "none"
    education: Education
    first_language: LanguageResult
    second_language: LanguageResult | None = None
    canadian_work_years: Whole = 0
    foreign_work_years: Whole = 0
    certificate_of_qualification: StrictBool = False
    canadian_education: CanadianEducation = "none"
    sibling_in_canada: StrictBool = False
    provincial_nomination: StrictBool = False
    job_offer: JobOffer = "none"
    spouse: Spouse | None = None
    profile_created: date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        if (self.age is None) == (self.birth_date is None):
            raise ValueError("age: give either age (at the scoring date) or birth_date, not both or neither")
        if self.age is not None and not MIN_AGE <= self.age <= MAX_AGE:
            raise ValueError(f"age: {self.age} is not allowed; allowed: {MIN_AGE} to {MAX_AGE}")
        for field in ("canadian_work_years", "foreign_work_years"):
            if not 0 <= getattr(self, field) <= MAX_YEARS:
                raise ValueError(
                    f"{field}: must be from 0 to {MAX_YEARS} full years, got {getattr(self, field)}"
                )
        if self.spouse is not None and not 0 <= self.spouse.canadian_work_years <= MAX_YEARS:
            raise ValueError(f"spouse.canadian_work_years: must be from 0 to {MAX_YEARS} full years")
        if self.spouse_status == "accompanying" and self.spouse is None:
            raise ValueError(
                "spouse: required when spouse_status is accompanying ({education, language, canadian_work_years})"
            )
        if self.second_language is not None and self.second_language.lang == self.first_language.lang:
            raise ValueError(
                f"second_language.language: must be the other official language than first_language "
                f"({self.first_language.lang!r})"
            )
        return self

    @property
    def with_spouse(self) -> bool:
        """Whether the grid's "with spouse" column applies: only for a spouse who comes to Canada and is not
        a Canadian citizen or permanent resident."""
        return self.spouse_status == "accompanying"

    def age_on(self, day: date) -> int:
        if self.birth_date is None:
            assert self.age is not None
            return self.age
        born = self.birth_date
        years = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        if not MIN_AGE <= years <= MAX_AGE:
            raise ProfileError(
                f"birth_date: {born.isoformat()} gives age {years} on {day.isoformat()}; "
                f"allowed ages: {MIN_AGE} to {MAX_AGE}"
            )
        return years

    def results(self) -> dict[str, LanguageResult]:
        """Every language result, by where it sits in the profile."""
        found = {"first_language": self.first_language}
        if self.second_language is not None:
            found["second_language"] = self.second_language
        if self.spouse is not None and self.spouse.language is not None:
            found["spouse.language"] = self.spouse.language
        return found


_KEYS: dict[str, tuple[str, ...]] = {
    "": tuple(Profile.model_fields),
    "language": tuple(LanguageResult.model_fields),
    "scores": ABILITIES,
    "spouse": tuple(Spouse.model_fields),
}
_ALLOWED: dict[str, tuple[str, ...]] = {
    "test": TESTS,
    "language": get_args(Language),
    "spouse_status": get_args(SpouseStatus),
    "education": EDUCATION_LEVELS,
    "canadian_education": get_args(CanadianEducation),
    "job_offer": get_args(JobOffer),
}


def _kind(parent: tuple[str, ...]) -> str:
    """Which model sits at ``parent``: the profile, a language result, its scores, or the spouse."""
    if not parent:
        return ""
    last = parent[-1]
    if last == "scores":
        return "scores"
    if last in ("first_language", "second_language") or parent[-2:] == ("spouse", "language"):
        return "language"
    return "spouse" if last == "spouse" else ""


def _describe(error: Mapping[str, Any]) -> str:
    loc = tuple(str(p) for p in error["loc"])
    path = ".".join(loc) or "profile"
    kind, value = error["type"], error.get("input")
    if kind == "missing":
        if loc[-1] in ABILITIES:
            return f"{path}: missing; give all four abilities: {', '.join(ABILITIES)}"
        return f"{path}: missing (required)"
    if kind == "extra_forbidden":
        allowed = _KEYS[_kind(loc[:-1])]
        return f"{path}: unknown key; allowed keys here: {', '.join(allowed)}"
    if kind in ("literal_error", "enum"):
        allowed = _ALLOWED.get(loc[-1], ())
        return f"{path}: {value!r} is not allowed; allowed: {', '.join(allowed)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        keys = _KEYS["scores" if loc[-1] == "scores" else "spouse" if loc[-1] == "spouse" else "language"]
        return f"{path}: must be a table with the keys {', '.join(keys)}, got {value!r}"
    message = str(error["msg"]).removeprefix("Value error, ")
    head, sep, rest = message.partition(": ")
    if sep and head.replace(".", "").replace("_", "").isalpha() and " " not in head:
        return f"{'.'.join((*loc, head)) if loc else head}: {rest}"  # a validator named a field under loc
    return f"{path}: {message}"


def parse_profile(data: object) -> Profile:
    """Validate a parsed TOML/JSON profile; :class:`ProfileError` names the first problem."""
    if not isinstance(data, Mapping):
        raise ProfileError(
            f"a profile is a table of keys ({', '.join(_KEYS[''])}), got {type(data).__name__}"
        )
    try:
        return Profile.model_validate(dict(data))
    except ValidationError as exc:
        errors = exc.errors()
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ProfileError(_describe(errors[0]) + more) from None
