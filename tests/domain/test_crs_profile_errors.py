"""Bad profiles: one clear line naming the field and what is allowed there, never a pydantic dump."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from drawwatch.domain.crs import ProfileError, parse_profile, score

GOOD: dict[str, Any] = {
    "age": 29,
    "education": "bachelors",
    "first_language": {
        "test": "ielts",
        "scores": {"listening": 8.0, "reading": 7.0, "writing": 7.0, "speaking": 7.0},
    },
}


def changed(path: str, value: Any) -> dict[str, Any]:
    """GOOD with ``path`` (dotted) set to ``value``; the value ``DROP`` removes the key."""
    data: dict[str, Any] = {
        **GOOD,
        "first_language": {**GOOD["first_language"], "scores": {**GOOD["first_language"]["scores"]}},
    }
    *parents, last = path.split(".")
    target = data
    for key in parents:
        target = target.setdefault(key, {})
    if value is DROP:
        del target[last]
    else:
        target[last] = value
    return data


DROP = object()
ALL_TESTS = "ielts, celpip, pte, tef, tef_legacy, tcf, clb"
ALL_EDUCATION = (
    "less_than_secondary, secondary, one_year, two_year, bachelors, two_or_more, masters, doctoral"
)

CASES = [
    (
        "unknown-test",
        changed("first_language.test", "toefl"),
        f"first_language.test: 'toefl' is not allowed; allowed: {ALL_TESTS}",
    ),
    (
        "ielts-9.5",
        changed("first_language.scores.listening", 9.5),
        "first_language.scores.listening: IELTS General Training listening scores run from 0 to 9 in steps of 0.5, "
        "got 9.5",
    ),
    (
        "tef-700",
        changed(
            "first_language",
            {"test": "tef", "scores": {"listening": 700, "reading": 500, "writing": 500, "speaking": 500}},
        ),
        "first_language.scores.listening: TEF Canada listening scores run from 0 to 699 in whole numbers, got 700",
    ),
    (
        "missing-ability",
        changed("first_language.scores.speaking", DROP),
        "first_language.scores.speaking: missing; give all four abilities: listening, reading, writing, speaking",
    ),
    ("age-10", changed("age", 10), "age: 10 is not allowed; allowed: 17 to 99"),
    (
        "unknown-education",
        changed("education", "phd"),
        f"education: 'phd' is not allowed; allowed: {ALL_EDUCATION}",
    ),
    (
        "unknown-key",
        changed("canadian_experience", 2),
        "canadian_experience: unknown key; allowed keys here: age, birth_date, spouse_status",
    ),
    (
        "unknown-ability",
        changed("first_language.scores.grammar", 7),
        "first_language.scores.grammar: unknown key; allowed keys here: listening, reading, writing, speaking",
    ),
    (
        "unknown-key-in-result",
        changed("first_language.band", 7),
        "first_language.band: unknown key; allowed keys here: test, language, scores, test_date",
    ),
    (
        "spouse-education",
        {**GOOD, "spouse_status": "accompanying", "spouse": {"education": "college"}},
        f"spouse.education: 'college' is not allowed; allowed: {ALL_EDUCATION}",
    ),
    (
        "spouse-missing",
        {**GOOD, "spouse_status": "accompanying"},
        "spouse: required when spouse_status is accompanying",
    ),
    (
        "spouse-status",
        changed("spouse_status", "married"),
        "spouse_status: 'married' is not allowed; allowed: none, accompanying, not_accompanying, "
        "canadian_citizen_or_pr",
    ),
    (
        "spouse-language-test",
        {
            **GOOD,
            "spouse_status": "accompanying",
            "spouse": {
                "education": "secondary",
                "language": {
                    "test": "ielts",
                    "scores": {"listening": 10, "reading": 5, "writing": 5, "speaking": 5},
                },
            },
        },
        "spouse.language.scores.listening: IELTS General Training listening scores run from 0 to 9",
    ),
    (
        "english-test-in-french",
        changed("first_language.language", "fr"),
        "first_language.language: IELTS General Training is a test of 'en', got 'fr'",
    ),
    (
        "clb-needs-language",
        changed(
            "first_language",
            {"test": "clb", "scores": {"listening": 7, "reading": 7, "writing": 7, "speaking": 7}},
        ),
        "first_language.language: required with test = clb; allowed: en (CLB), fr (NCLC)",
    ),
    (
        "same-language-twice",
        changed(
            "second_language",
            {"test": "celpip", "scores": {"listening": 7, "reading": 7, "writing": 7, "speaking": 7}},
        ),
        "second_language.language: must be the other official language than first_language ('en')",
    ),
    (
        "age-and-birth-date",
        changed("birth_date", "1990-01-01"),
        "age: give either age (at the scoring date) or birth_date, not both or neither",
    ),
    ("no-age", changed("age", DROP), "age: give either age"),
    ("age-as-text", changed("age", "29"), "age: must be a whole number, got '29'"),
    (
        "years-fraction",
        changed("canadian_work_years", 1.5),
        "canadian_work_years: must be a whole number, got 1.5",
    ),
    (
        "negative-years",
        changed("foreign_work_years", -1),
        "foreign_work_years: must be from 0 to 60 full years, got -1",
    ),
    (
        "score-as-bool",
        changed("first_language.scores.reading", True),
        "first_language.scores.reading: must be a number, got True",
    ),
    ("bad-date", changed("first_language.test_date", "2025-13-01"), "first_language.test_date: "),
    ("flag-not-bool", changed("provincial_nomination", "yes"), "provincial_nomination: "),
    (
        "job-offer",
        changed("job_offer", "lmia"),
        "job_offer: 'lmia' is not allowed; allowed: none, teer0_major_group_00, other_qualifying",
    ),
    ("missing-education", changed("education", DROP), "education: missing (required)"),
    (
        "result-not-a-table",
        changed("first_language", "ielts"),
        "first_language: must be a table with the keys test, language, scores, test_date, got 'ielts'",
    ),
    (
        "scores-not-a-table",
        changed("first_language.scores", 7),
        "first_language.scores: must be a table with the keys listening, reading, writing, speaking, got 7",
    ),
    ("not-a-table", [1, 2], "a profile is a table of keys"),
]


@pytest.mark.parametrize(("data", "message"), [pytest.param(d, m, id=i) for i, d, m in CASES])
def test_a_bad_profile_names_the_field_and_what_is_allowed(data: Any, message: str) -> None:
    with pytest.raises(ProfileError) as raised:
        parse_profile(data)
    text = str(raised.value)
    assert text.startswith(message), text
    assert "\n" not in text and "pydantic" not in text and "Value error" not in text


def test_a_birth_date_too_young_on_the_scoring_day_is_named() -> None:
    profile = parse_profile({**{k: v for k, v in GOOD.items() if k != "age"}, "birth_date": date(2016, 5, 1)})
    with pytest.raises(
        ProfileError, match=r"^birth_date: 2016-05-01 gives age 10 on 2026-12-03; allowed ages: 17 to 99$"
    ):
        score(profile, date(2026, 12, 3))


def test_several_problems_report_the_first_and_count_the_rest() -> None:
    with pytest.raises(ProfileError, match=r"\(and 1 more\)$"):
        parse_profile({**GOOD, "education": "phd", "job_offer": "lmia"})
