"""The sign-up and settings form: what a browser posts, read into :class:`SubscriberSettings` or clear messages.

Every check of a value is the project's own (:mod:`drawwatch.domain.subscriber_input` for CRS, categories,
occupations, quiet hours and language; :func:`~drawwatch.domain.crs.parse_profile` for the calculator;
:func:`~drawwatch.domain.email_address.email_problem`): this module only turns form text into typed values
(numbers, dates, the calculator's nested profile) and caps sizes, and names the field of each problem in the
page's language. Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final, TypeAlias

from werkzeug.datastructures import MultiDict

from drawwatch.app.signup import SubscriberSettings
from drawwatch.domain.crs import NoRuleSetError, Profile, ProfileError, Score, parse_profile, score_until
from drawwatch.domain.crs.language import ABILITIES
from drawwatch.domain.crs.profile import EDUCATION_LEVELS
from drawwatch.domain.email_address import MAX_ADDRESS, email_problem
from drawwatch.domain.subscriber_input import (
    categories_problems,
    crs_problem,
    occupations_problems,
    quiet_problem,
)
from drawwatch.domain.vocabulary import SUBSCRIBABLE_KEYS
from drawwatch.web.catalog import LANGUAGES, localize, text

MAX_FIELD: Final = 100  # characters of any field but the address
NOC_ROWS: Final = 3
HONEYPOT: Final = "website"
SPOUSE_STATUSES: Final = ("none", "accompanying", "not_accompanying", "canadian_citizen_or_pr")
CANADIAN_EDUCATION: Final = ("none", "one_or_two_year", "three_plus_year")
JOB_OFFERS: Final = ("none", "teer0_major_group_00", "other_qualifying")
# The calculator's test choices: "clb" and "nclc" are the profile's test "clb" in English or French.
TEST_CHOICES: Final = ("ielts", "celpip", "pte", "tef", "tef_legacy", "tcf", "clb", "nclc")
EDUCATIONS: Final = EDUCATION_LEVELS
LANGUAGE_PARTS: Final = ("l1", "l2", "sp")

LABELS: Final[dict[str, str]] = {
    "email": "signup.email",
    "language": "signup.language",
    "mode": "signup.mode",
    "crs": "signup.crs",
    "profile": "calc.title",
    "category": "prefs.categories",
    "noc": "prefs.noc",
    "quiet": "prefs.quiet",
    "timezone": "prefs.timezone",
}


FormData: TypeAlias = MultiDict[str, str]  # what a posted form is (werkzeug's, framework-free)


@dataclass
class ParsedForm:
    """A form read: the values to show again, the problems (field, message in the page's language), the
    settings when there is no problem, and the calculator's score when it computed one."""

    values: dict[str, Any]
    problems: list[tuple[str, str]] = field(default_factory=list)
    settings: SubscriberSettings | None = None
    score: Score | None = None
    email: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems and self.settings is not None


def _text(form: FormData, name: str, limit: int = MAX_FIELD) -> str:
    value = form.get(name, "")
    value = value if isinstance(value, str) else ""
    return value.strip()[: limit + 1]  # one over: long enough to say "too long", short enough to keep


class _Reader:
    """Reads fields, collecting problems in the page's language."""

    def __init__(self, form: FormData, language: str) -> None:
        self.form = form
        self.language = language
        self.problems: list[tuple[str, str]] = []
        self.values: dict[str, Any] = {}

    def t(self, key: str, **values: Any) -> str:
        return text(self.language, key, **values)

    def problem(self, where: str, message: str) -> None:
        label = self.t(LABELS.get(where, "calc.title"))
        shown = localize(self.language, message)
        self.problems.append((where, self.t("error.field", field=label, problem=shown)))

    def raw(self, name: str, limit: int = MAX_FIELD, *, where: str | None = None) -> str:
        value = _text(self.form, name, limit)
        if len(value) > limit:
            self.problem(where or name, self.t("error.too_long", n=limit))
            value = value[:limit]
        self.values[name] = value
        return value

    def whole(self, name: str, *, where: str, default: int | None = None) -> int | None:
        value = self.raw(name, where=where)
        if not value:
            return default
        if not value.lstrip("-").isdigit():
            self.problem(where, self.t("error.whole_number"))
            return None
        return int(value)

    def number(self, name: str, *, where: str) -> float | int | None:
        value = self.raw(name, where=where).replace(",", ".")
        if not value:
            return None
        try:
            number = float(value)
        except ValueError:
            self.problem(where, self.t("error.number"))
            return None
        if number != number or number in (float("inf"), float("-inf")):
            self.problem(where, self.t("error.number"))
            return None
        return int(number) if number.is_integer() else number

    def day(self, name: str, *, where: str) -> dt.date | None:
        value = self.raw(name, where=where)
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.problem(where, self.t("error.date"))
            return None

    def choice(
        self, name: str, allowed: Iterable[str], *, where: str, default: str | None = None
    ) -> str | None:
        value = self.raw(name, where=where) or default
        if value is None:
            return None
        if value not in tuple(allowed):
            self.problem(where, self.t("error.choice"))
            return default
        return value


def parse_form(
    form: FormData, language: str, *, today: dt.date, with_email: bool = True, calculate: bool = False
) -> ParsedForm:
    """Read a sign-up (``with_email``) or settings form. ``calculate``: the person pressed "calculate", so
    the calculator is used whatever the score choice says."""
    reader = _Reader(form, language)
    email = ""
    if with_email:
        email = reader.raw("email", MAX_ADDRESS)
        problem = email_problem(email)
        if problem:
            reader.problem("email", problem)
    chosen = reader.raw("language") or language
    if chosen not in LANGUAGES:
        reader.problem("language", reader.t("error.language"))
        chosen = language
    reader.values["language"] = chosen
    mode = "profile" if calculate else (reader.raw("mode") or "crs")
    if mode not in ("crs", "profile"):
        reader.problem("mode", reader.t("error.mode"))
        mode = "crs"
    reader.values["mode"] = mode

    crs: int | None = None
    profile: Profile | None = None
    computed: Score | None = None
    profile_data = _profile_data(reader)
    if mode == "crs":
        raw_crs = reader.raw("crs")
        if not raw_crs:
            reader.problem("crs", crs_problem("") or "")
        elif not raw_crs.lstrip("-").isdigit():
            reader.problem("crs", reader.t("error.whole_number"))
        else:
            crs = int(raw_crs)
            problem = crs_problem(crs)
            if problem:
                reader.problem("crs", problem)
                crs = None
    elif profile_data is not None:
        try:
            profile = parse_profile(profile_data)
            computed, _ = score_until(profile, today)
            crs = computed.total
        except (ProfileError, NoRuleSetError) as exc:
            reader.problem("profile", reader.t("calc.problem", problem=str(exc)))
            profile = None
    else:
        reader.raw("crs")

    categories = [str(c).strip()[:MAX_FIELD] for c in form.getlist("category") if isinstance(c, str)][:40]
    reader.values["category"] = categories
    for problem in categories_problems(categories):
        reader.problem("category", problem)

    occupations: list[tuple[str, int]] = []
    for index in range(1, NOC_ROWS + 1):
        code = reader.raw(f"noc_{index}", where="noc")
        months = reader.raw(f"months_{index}", where="noc")
        if not code and not months:
            continue
        if not months.isdigit():
            reader.problem(
                "noc", reader.t("error.noc_months") if not months else reader.t("error.whole_number")
            )
            continue
        occupations.append((code, int(months)))
    for problem in occupations_problems(occupations):
        reader.problem("noc", problem)

    quiet_from, quiet_to = reader.raw("quiet_from", where="quiet"), reader.raw("quiet_to", where="quiet")
    zone = reader.raw("timezone", 64) or None
    quiet: str | None = None
    if bool(quiet_from) != bool(quiet_to):
        reader.problem("quiet", reader.t("error.quiet_both"))
    elif quiet_from:
        quiet = f"{quiet_from}-{quiet_to}"
    problem = quiet_problem(quiet, zone)
    if problem:
        reader.problem("quiet" if quiet and "zone" not in problem else "timezone", problem)

    reminders = bool(reader.raw("reminders", 8))
    parsed = ParsedForm(values=reader.values, problems=reader.problems, score=computed, email=email)
    if not reader.problems and crs is not None:
        parsed.settings = SubscriberSettings(
            crs=crs,
            categories=categories,
            occupations=occupations,
            quiet_hours=quiet,
            time_zone=zone,
            language=chosen,
            profile=profile,
            reminders=reminders,
        )
    return parsed


def honeypot_filled(form: FormData) -> bool:
    """Whether the field people cannot see (and bots fill in) holds anything."""
    value = form.get(HONEYPOT, "")
    return bool(value.strip()) if isinstance(value, str) else True


def _language(reader: _Reader, part: str) -> dict[str, Any] | None:
    test = reader.choice(f"p_{part}_test", ("", *TEST_CHOICES), where="profile", default="")
    scores = {ability: reader.number(f"p_{part}_{ability}", where="profile") for ability in ABILITIES}
    when = reader.day(f"p_{part}_date", where="profile")
    if not test:
        return None
    result: dict[str, Any] = {
        "test": "clb" if test in ("clb", "nclc") else test,
        "scores": {ability: value for ability, value in scores.items() if value is not None},
    }
    if test in ("clb", "nclc"):
        result["language"] = "en" if test == "clb" else "fr"
    if when is not None:
        result["test_date"] = when
    return result


def _profile_data(reader: _Reader) -> dict[str, Any] | None:
    """The calculator's fields as a profile (the profile file's keys), for :func:`parse_profile`; None when the
    calculator was left empty."""
    data: dict[str, Any] = {}
    age = reader.whole("p_age", where="profile")
    born = reader.day("p_birth_date", where="profile")
    if age is not None:
        data["age"] = age
    if born is not None:
        data["birth_date"] = born
    data["spouse_status"] = reader.choice("p_spouse_status", SPOUSE_STATUSES, where="profile", default="none")
    education = reader.choice("p_education", ("", *EDUCATIONS), where="profile", default="")
    if education:
        data["education"] = education
    first = _language(reader, "l1")
    if first is not None:
        data["first_language"] = first
    second = _language(reader, "l2")
    if second is not None:
        data["second_language"] = second
    for name, key in (
        ("p_canadian_work_years", "canadian_work_years"),
        ("p_foreign_work_years", "foreign_work_years"),
    ):
        years = reader.whole(name, where="profile", default=0)
        data[key] = 0 if years is None else years
    for name, key in (
        ("p_certificate", "certificate_of_qualification"),
        ("p_sibling", "sibling_in_canada"),
        ("p_nomination", "provincial_nomination"),
    ):
        data[key] = bool(reader.raw(name))
    data["canadian_education"] = reader.choice(
        "p_canadian_education", CANADIAN_EDUCATION, where="profile", default="none"
    )
    data["job_offer"] = reader.choice("p_job_offer", JOB_OFFERS, where="profile", default="none")
    spouse_education = reader.choice("p_sp_education", ("", *EDUCATIONS), where="profile", default="")
    spouse_language = _language(reader, "sp")
    spouse_work = reader.whole("p_sp_canadian_work_years", where="profile", default=0)
    if data["spouse_status"] == "accompanying":
        spouse: dict[str, Any] = {"canadian_work_years": spouse_work or 0}
        if spouse_education:
            spouse["education"] = spouse_education
        if spouse_language is not None:
            spouse["language"] = spouse_language
        data["spouse"] = spouse
    if age is None and born is None and not education and first is None:
        return None
    return data


def profile_values(profile_text: str | None) -> dict[str, Any]:
    """A stored profile (JSON) as the calculator's form values, to show it again on the manage page."""
    if not profile_text:
        return {}
    data = json.loads(profile_text)
    values: dict[str, Any] = {"mode": "profile"}
    simple = {
        "age": "p_age",
        "birth_date": "p_birth_date",
        "spouse_status": "p_spouse_status",
        "education": "p_education",
        "canadian_work_years": "p_canadian_work_years",
        "foreign_work_years": "p_foreign_work_years",
        "canadian_education": "p_canadian_education",
        "job_offer": "p_job_offer",
    }
    for key, name in simple.items():
        if data.get(key) is not None:
            values[name] = str(data[key])
    for key, name in (
        ("certificate_of_qualification", "p_certificate"),
        ("sibling_in_canada", "p_sibling"),
        ("provincial_nomination", "p_nomination"),
    ):
        values[name] = "1" if data.get(key) else ""
    for key, part in (("first_language", "l1"), ("second_language", "l2")):
        _language_values(values, part, data.get(key))
    spouse = data.get("spouse") or {}
    if spouse:
        values["p_sp_education"] = spouse.get("education", "")
        values["p_sp_canadian_work_years"] = str(spouse.get("canadian_work_years", 0))
        _language_values(values, "sp", spouse.get("language"))
    return values


def _language_values(values: dict[str, Any], part: str, result: dict[str, Any] | None) -> None:
    if not result:
        return
    test = result.get("test", "")
    if test == "clb" and result.get("language") == "fr":
        test = "nclc"
    values[f"p_{part}_test"] = test
    for ability, value in (result.get("scores") or {}).items():
        values[f"p_{part}_{ability}"] = f"{value:g}" if isinstance(value, int | float) else str(value)
    if result.get("test_date"):
        values[f"p_{part}_date"] = str(result["test_date"])


__all__ = [
    "HONEYPOT",
    "LABELS",
    "NOC_ROWS",
    "SUBSCRIBABLE_KEYS",
    "ParsedForm",
    "honeypot_filled",
    "parse_form",
    "profile_values",
]
