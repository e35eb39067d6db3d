"""CRS scores of hand-made profiles, each worked out by hand from IRCC's tables (not by the calculator).

IRCC's tables used (points "without spouse / with spouse"):
  age 17: 0; 18: 99/90; 20-29: 110/100; 30: 105/95; 35: 77/70; 44: 6/5; 45: 0.
  education: less than secondary 0; secondary 30/28; one-year 90/84; two-year 98/91; bachelor's 120/112;
    two or more 128/119; master's 135/126; doctoral 150/140.
  first language, per ability: CLB 4-5 6/6; CLB 6 9/8; CLB 7 17/16; CLB 8 23/22; CLB 9 31/29; CLB 10+ 34/32.
  second language, per ability: CLB 5-6 1; 7-8 3; 9+ 6; at most 24 / 22.
  Canadian work: 1 year 40/35; 2: 53/46; 3: 64/56; 4: 72/63; 5+: 80/70.
  spouse: education secondary 2, bachelor's 8, master's/doctoral 10; language per ability CLB 5-6 1, 7-8 3,
    9+ 5; Canadian work 1: 5, 2: 7, 5+: 10.
  transferability (lowest first-language CLB): education 1 yr+ × CLB 7 13, × CLB 9 25; 2+/master's/PhD
    × CLB 7 25, × CLB 9 50; the same values with Canadian work 1 yr / 2 yrs+; education pair capped 50;
    foreign work 1-2 yrs / 3 yrs+ the same way, capped 50; certificate of qualification × CLB 5 25,
    × CLB 7 50; section capped 100.
  additional: nomination 600; French NCLC 7+ (all four): 25 (English CLB 4 or less / none), 50 (English CLB 5+
    all four) from 2020-10-20, 15/30 from 2017-06-06, none before; Canadian study 1-2 yrs 15, 3+ yrs 30;
    sibling 15 from 2017-06-06; job offer NOC 00 200, other 50 from 2016-11-19 to 2025-03-24; section capped 600.
Base profile B: age 29, bachelor's, no spouse, English CLB 9 in all four, no work: core 110+120+4×31 = 354,
transferability 25 (bachelor's × CLB 9), total 379.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from drawwatch.domain.crs import parse_profile, score, score_until

R16 = date(2017, 1, 10)  # crs-2016-11-19
R17 = date(2018, 5, 1)  # crs-2017-06-06
R20 = date(2021, 1, 1)  # crs-2020-10-20
R25 = date(2026, 6, 1)  # crs-2025-03-25


def levels(language: str, l: int, r: int, w: int, s: int) -> dict[str, Any]:  # noqa: E741
    return {"test": "clb", "language": language, "scores": _four(l, r, w, s)}


def result(test: str, l: float, r: float, w: float, s: float, **extra: Any) -> dict[str, Any]:  # noqa: E741
    return {"test": test, "scores": _four(l, r, w, s), **extra}


def _four(l: float, r: float, w: float, s: float) -> dict[str, float]:  # noqa: E741
    return {"listening": l, "reading": r, "writing": w, "speaking": s}


EN9 = levels("en", 9, 9, 9, 9)
FR9 = levels("fr", 9, 9, 9, 9)


def base(**changes: Any) -> dict[str, Any]:
    """B with changes; a change to None leaves the key out (``age=None, birth_date=…``)."""
    data = {"age": 29, "education": "bachelors", "first_language": EN9, **changes}
    return {key: value for key, value in data.items() if value is not None}


def spouse(
    education: str = "secondary", language: dict[str, Any] | None = None, years: int = 0
) -> dict[str, Any]:
    return {
        "spouse_status": "accompanying",
        "spouse": {"education": education, "language": language, "canadian_work_years": years},
    }


# (id, day, profile, (core, spouse, transferability, additional), total, arithmetic)
CASES: list[tuple[str, date, dict[str, Any], tuple[int, int, int, int], int, str]] = [
    # --- age, both columns ---
    ("age-17", R25, base(age=17), (244, 0, 25, 0), 269, "0+120+124=244; +25"),
    ("age-18", R25, base(age=18), (343, 0, 25, 0), 368, "99+120+124=343; +25"),
    ("age-29", R25, base(), (354, 0, 25, 0), 379, "B"),
    ("age-30", R25, base(age=30), (349, 0, 25, 0), 374, "105+120+124=349; +25"),
    ("age-44", R25, base(age=44), (250, 0, 25, 0), 275, "6+120+124=250; +25"),
    ("age-45", R25, base(age=45), (244, 0, 25, 0), 269, "0+120+124; +25"),
    (
        "spouse-age-35",
        R25,
        base(age=35, **spouse()),
        (298, 2, 25, 0),
        325,
        "70+112+4×29=298; spouse sec 2; +25",
    ),
    ("spouse-age-17", R25, base(age=17, **spouse()), (228, 2, 25, 0), 255, "0+112+116=228; 2; 25"),
    ("spouse-age-18", R25, base(age=18, **spouse()), (318, 2, 25, 0), 345, "90+112+116=318; 2; 25"),
    ("spouse-age-30", R25, base(age=30, **spouse()), (323, 2, 25, 0), 350, "95+112+116=323; 2; 25"),
    ("spouse-age-45", R25, base(age=45, **spouse()), (228, 2, 25, 0), 255, "0+112+116=228; 2; 25"),
    # --- education levels ---
    (
        "edu-less-than-secondary",
        R25,
        base(education="less_than_secondary"),
        (234, 0, 0, 0),
        234,
        "110+0+124; no tier",
    ),
    ("edu-secondary", R25, base(education="secondary"), (264, 0, 0, 0), 264, "110+30+124; no tier"),
    ("edu-one-year", R25, base(education="one_year"), (324, 0, 25, 0), 349, "110+90+124; 25"),
    ("edu-two-year", R25, base(education="two_year"), (332, 0, 25, 0), 357, "110+98+124; 25"),
    (
        "edu-two-or-more",
        R25,
        base(education="two_or_more"),
        (362, 0, 50, 0),
        412,
        "110+128+124; tier 2 × CLB 9 50",
    ),
    ("edu-masters", R25, base(education="masters"), (369, 0, 50, 0), 419, "110+135+124; 50"),
    ("edu-doctoral", R25, base(education="doctoral"), (384, 0, 50, 0), 434, "110+150+124; 50"),
    # --- first language, every test type ---
    (
        "ielts-clb10",
        R25,
        base(first_language=result("ielts", 8.5, 8.0, 7.5, 7.5)),
        (366, 0, 25, 0),
        391,
        "CLB 10×4: 136; 110+120+136; 25",
    ),
    (
        "ielts-clb7",
        R25,
        base(first_language=result("ielts", 6.0, 6.0, 6.0, 6.0)),
        (298, 0, 13, 0),
        311,
        "CLB 7×4: 68; 110+120+68; 13",
    ),
    (
        "ielts-clb6",
        R25,
        base(first_language=result("ielts", 5.5, 5.0, 5.5, 5.5)),
        (266, 0, 0, 0),
        266,
        "CLB 6×4: 36; 110+120+36; below CLB 7: 0",
    ),
    (
        "celpip-10-9-8-7",
        R25,
        base(first_language=result("celpip", 10, 9, 8, 7)),
        (335, 0, 13, 0),
        348,
        "34+31+23+17=105; 110+120+105; lowest 7: 13",
    ),
    (
        "celpip-12-11-4-3",
        R25,
        base(first_language=result("celpip", 12, 11, 4, 3)),
        (304, 0, 0, 0),
        304,
        "CLB 10,10,4,3: 34+34+6+0=74; 110+120+74",
    ),
    (
        "pte-clb10",
        R25,
        base(first_language=result("pte", 89, 88, 90, 89)),
        (366, 0, 25, 0),
        391,
        "CLB 10×4: 136",
    ),
    (
        "pte-clb9",
        R25,
        base(first_language=result("pte", 82, 78, 88, 84)),
        (354, 0, 25, 0),
        379,
        "CLB 9×4 = B",
    ),
    (
        "pte-clb8",
        R25,
        base(first_language=result("pte", 81, 77, 87, 83)),
        (322, 0, 13, 0),
        335,
        "CLB 8×4: 92; 110+120+92; 13",
    ),
    (
        "tef-first",
        R25,
        base(first_language=result("tef", 546, 503, 472, 456)),
        (335, 0, 13, 25),
        373,
        "NCLC 10,9,8,7: 105; 13; French, no English: 25",
    ),
    (
        "tef-legacy-first",
        R25,
        base(first_language=result("tef_legacy", 316, 263, 393, 393)),
        (366, 0, 25, 25),
        416,
        "NCLC 10×4: 136; 25; 25",
    ),
    (
        "tcf-first",
        R25,
        base(first_language=result("tcf", 549, 524, 12, 10)),
        (335, 0, 13, 25),
        373,
        "NCLC 10,9,8,7: 105; 13; 25",
    ),
    (
        "tcf-just-below",
        R25,
        base(first_language=result("tcf", 548, 523, 15, 9)),
        (324, 0, 0, 0),
        324,
        "NCLC 9,8,9,6: 31+23+31+9=94; 110+120+94; lowest 6: 0; no French bonus",
    ),
    # --- second language and French bonuses ---
    (
        "en-then-tef-nclc7",
        R25,
        base(second_language=result("tef", 434, 434, 428, 456)),
        (366, 0, 25, 50),
        441,
        "SL 4×3=12: 354+12; 25; bilingual 50",
    ),
    ("en-then-fr9", R25, base(second_language=FR9), (378, 0, 25, 50), 453, "SL 4×6=24 (cap 24): 378; 25; 50"),
    (
        "second-cap-with-spouse",
        R25,
        base(second_language=FR9, **spouse("bachelors")),
        (350, 8, 25, 50),
        433,
        "100+112+116+min(24,22)=350; spouse bach 8; 25; 50",
    ),
    (
        "fr-then-en-clb4",
        R25,
        base(first_language=FR9, second_language=levels("en", 4, 4, 4, 4)),
        (354, 0, 25, 25),
        404,
        "SL CLB 4: 0; 354; 25; English CLB 4: 25",
    ),
    (
        "fr7-then-en-5554",
        R25,
        base(first_language=levels("fr", 7, 7, 7, 7), second_language=levels("en", 5, 5, 5, 4)),
        (301, 0, 13, 25),
        339,
        "110+120+68+(1+1+1+0)=301; 13; one English ability CLB 4: 25",
    ),
    (
        "french-2017-rules",
        R17,
        base(second_language=result("tef", 434, 434, 428, 456)),
        (366, 0, 25, 30),
        421,
        "as en-then-tef-nclc7; bilingual 30 in 2017-06-06 rules",
    ),
    (
        "french-2016-rules",
        R16,
        base(second_language=result("tef", 434, 434, 428, 456)),
        (366, 0, 25, 0),
        391,
        "no French points before 2017-06-06",
    ),
    (
        "french-only-2017",
        R17,
        base(first_language=result("tef", 546, 503, 472, 456)),
        (335, 0, 13, 15),
        363,
        "as tef-first; 15 in 2017-06-06 rules",
    ),
    (
        "french-only-2020",
        R20,
        base(first_language=result("tef", 546, 503, 472, 456)),
        (335, 0, 13, 25),
        373,
        "as tef-first; 25 from 2020-10-20",
    ),
    # --- Canadian work and transferability caps ---
    ("cw-1", R25, base(canadian_work_years=1), (394, 0, 38, 0), 432, "354+40; 25+13"),
    ("cw-2", R25, base(canadian_work_years=2), (407, 0, 50, 0), 457, "354+53; 25+25=50 (cap 50)"),
    (
        "edu-cap-masters-cw3",
        R25,
        base(education="masters", canadian_work_years=3),
        (433, 0, 50, 0),
        483,
        "110+135+124+64; 50+50 capped to 50",
    ),
    ("cw-7", R25, base(canadian_work_years=7), (434, 0, 50, 0), 484, "354+80 (5+); 25+25"),
    (
        "cw-4-full-spouse",
        R25,
        base(canadian_work_years=4, **spouse("masters", EN9, 5)),
        (391, 40, 50, 0),
        481,
        "100+112+116+63=391; 10+4×5+10=40; 25+25",
    ),
    ("fw-1", R25, base(foreign_work_years=1), (354, 0, 50, 0), 404, "354; 25 + foreign 1-2 × CLB 9 25"),
    (
        "fw-3-clb7",
        R25,
        base(first_language=levels("en", 7, 7, 7, 7), foreign_work_years=3),
        (298, 0, 38, 0),
        336,
        "110+120+68; 13 + foreign 3+ × CLB 7 25",
    ),
    (
        "foreign-cap",
        R25,
        base(education="masters", canadian_work_years=2, foreign_work_years=3),
        (422, 0, 100, 0),
        522,
        "110+135+124+53; edu 50+50→50, foreign 50+50→50",
    ),
    (
        "fw-2-cw-1",
        R25,
        base(canadian_work_years=1, foreign_work_years=2),
        (394, 0, 76, 0),
        470,
        "354+40; edu 25+13, foreign 25+13",
    ),
    (
        "certificate-clb5",
        R25,
        base(
            education="secondary", first_language=levels("en", 5, 5, 5, 6), certificate_of_qualification=True
        ),
        (167, 0, 25, 0),
        192,
        "110+30+(6+6+6+9)=167; certificate × CLB 5 25",
    ),
    (
        "certificate-clb9",
        R25,
        base(certificate_of_qualification=True),
        (354, 0, 75, 0),
        429,
        "354; 25 + certificate × CLB 7 50",
    ),
    (
        "total-cap-100",
        R25,
        base(
            education="masters",
            canadian_work_years=2,
            foreign_work_years=3,
            certificate_of_qualification=True,
        ),
        (422, 0, 100, 0),
        522,
        "50+50+50 → capped to 100; certificate 0",
    ),
    # --- additional points ---
    ("nomination", R25, base(provincial_nomination=True), (354, 0, 25, 600), 979, "379+600"),
    ("canadian-study-1-2", R25, base(canadian_education="one_or_two_year"), (354, 0, 25, 15), 394, "379+15"),
    ("canadian-study-3", R25, base(canadian_education="three_plus_year"), (354, 0, 25, 30), 409, "379+30"),
    ("sibling", R25, base(sibling_in_canada=True), (354, 0, 25, 15), 394, "379+15"),
    (
        "sibling-2016-rules",
        R16,
        base(sibling_in_canada=True),
        (354, 0, 25, 0),
        379,
        "no sibling points before 2017-06-06",
    ),
    ("job-offer-00-2016", R16, base(job_offer="teer0_major_group_00"), (354, 0, 25, 200), 579, "379+200"),
    ("job-offer-other-2020", R20, base(job_offer="other_qualifying"), (354, 0, 25, 50), 429, "379+50"),
    (
        "job-offer-2025",
        R25,
        base(job_offer="teer0_major_group_00"),
        (354, 0, 25, 0),
        379,
        "no job-offer points from 2025-03-25",
    ),
    (
        "additional-cap",
        R20,
        base(
            second_language=FR9,
            provincial_nomination=True,
            canadian_education="three_plus_year",
            sibling_in_canada=True,
            job_offer="teer0_major_group_00",
        ),
        (378, 0, 25, 600),
        1003,
        "354+24; 25; 600+50+30+15+200=895 capped to 600",
    ),
    # --- spouse columns ---
    (
        "spouse-not-accompanying",
        R25,
        base(spouse_status="not_accompanying", spouse={"education": "doctoral"}),
        (354, 0, 25, 0),
        379,
        "without-spouse column: B",
    ),
    (
        "spouse-canadian",
        R25,
        base(spouse_status="canadian_citizen_or_pr"),
        (354, 0, 25, 0),
        379,
        "without-spouse column: B",
    ),
    (
        "spouse-celpip-cw1",
        R25,
        base(**spouse("less_than_secondary", result("celpip", 5, 6, 7, 9), 1)),
        (328, 15, 25, 0),
        368,
        "100+112+116; 0+(1+1+3+5)+5=15; 25",
    ),
    (
        "spouse-ielts-clb4-cw2",
        R25,
        base(**spouse("doctoral", result("ielts", 4.5, 3.5, 4.0, 4.0), 2)),
        (328, 17, 25, 0),
        370,
        "328; 10+0+7=17; 25",
    ),
    # --- dates: birthdays and the two-year validity ---
    (
        "day-before-30th-birthday",
        date(2027, 3, 13),
        base(age=None, birth_date=date(1997, 3, 14)),
        (354, 0, 25, 0),
        379,
        "age 29: B",
    ),
    (
        "30th-birthday",
        date(2027, 3, 14),
        base(age=None, birth_date=date(1997, 3, 14)),
        (349, 0, 25, 0),
        374,
        "age 30: 105+120+124",
    ),
    (
        "result-last-valid-day",
        date(2026, 1, 9),
        base(first_language={**EN9, "test_date": date(2024, 1, 10)}),
        (354, 0, 25, 0),
        379,
        "valid: B",
    ),
    (
        "result-expired",
        R25,
        base(first_language={**EN9, "test_date": date(2024, 1, 10)}),
        (230, 0, 0, 0),
        230,
        "expired 2026-01-10: 110+120+0; no language tier",
    ),
]


@pytest.mark.parametrize(
    ("day", "data", "subtotals", "total", "why"),
    [
        pytest.param(day, data, subtotals, total, why, id=name)
        for name, day, data, subtotals, total, why in CASES
    ],
)
def test_hand_worked_scores(
    day: date, data: dict[str, Any], subtotals: tuple[int, ...], total: int, why: str
) -> None:
    result = score(parse_profile(data), day)
    got = tuple(result.section(key).subtotal for key in ("core", "spouse", "transferability", "additional"))
    assert (got, result.total) == (subtotals, total), why


def test_the_table_covers_what_the_issue_asks() -> None:
    assert len(CASES) >= 40
    tests = {d["first_language"]["test"] for _, _, d, *_ in CASES} | {
        d["second_language"]["test"] for _, _, d, *_ in CASES if d.get("second_language")
    }
    assert tests == {"ielts", "celpip", "pte", "tef", "tef_legacy", "tcf", "clb"}
    assert {d.get("age") for _, _, d, *_ in CASES} >= {17, 18, 29, 30, 45}
    assert {day for _, day, *_ in CASES} >= {R16, R17, R20, R25}


@pytest.mark.parametrize(
    ("day", "rules"),
    [
        (date(2016, 11, 19), "crs-2016-11-19"),
        (date(2017, 6, 5), "crs-2016-11-19"),
        (date(2017, 6, 6), "crs-2017-06-06"),
        (date(2020, 10, 20), "crs-2020-10-20"),
        (date(2025, 3, 24), "crs-2020-10-20"),
        (date(2025, 3, 25), "crs-2025-03-25"),
        (date(2026, 12, 3), "crs-2025-03-25"),  # the change reported for 2026-11-03 is not a rule set
    ],
)
def test_every_score_names_the_rule_set_in_force(day: date, rules: str) -> None:
    assert score(parse_profile(base()), day).to_json()["rules"] == rules


def test_a_score_from_2026_11_03_says_the_reported_change_is_not_applied() -> None:
    before = score(parse_profile(base()), date(2026, 11, 2))
    after = score(parse_profile(base()), date(2026, 11, 3))
    assert not any("2026-11-03" in n for n in before.notes)
    assert any("2026-11-03" in n and "not" in n and "confirmed" in n for n in after.notes)
    assert after.total == before.total == 379


def test_json_has_the_issue_shape_with_caps_applied_item_by_item() -> None:
    data = base(
        education="masters", canadian_work_years=2, foreign_work_years=3, certificate_of_qualification=True
    )
    out = score(parse_profile(data), R25).to_json()
    assert list(out) == ["total", "rules", "core", "spouse", "transferability", "additional"]
    assert out["core"] == {
        "age": 110,
        "education": 135,
        "first_language": 124,
        "second_language": 0,
        "canadian_work": 53,
        "subtotal": 422,
    }
    assert out["spouse"] == {"education": 0, "language": 0, "canadian_work": 0, "subtotal": 0}
    # education 50 + 50 -> 50 + 0; foreign 50 + 50 -> 50 + 0; certificate 50 -> 0 by the section cap of 100
    assert out["transferability"] == {
        "education_language": 50,
        "education_canadian_work": 0,
        "foreign_work_language": 50,
        "foreign_work_canadian_work": 0,
        "certificate": 0,
        "subtotal": 100,
    }
    assert out["additional"] == {
        "provincial_nomination": 0,
        "french": 0,
        "canadian_education": 0,
        "sibling": 0,
        "arranged_employment": 0,
        "subtotal": 0,
    }
    assert out["total"] == 522


@pytest.mark.parametrize(
    ("data", "on", "until", "why"),
    [
        (
            base(age=None, birth_date=date(1997, 3, 14)),
            date(2026, 6, 1),
            date(2027, 3, 14),
            "30th birthday: -5",
        ),
        # 25th birthday changes nothing (110 from 20 to 29): the next change is the 30th
        (base(age=None, birth_date=date(2001, 7, 1)), date(2026, 6, 1), date(2031, 7, 1), "30th birthday"),
        (
            base(first_language={**EN9, "test_date": date(2025, 9, 20)}),
            date(2026, 6, 1),
            date(2027, 9, 20),
            "expiry",
        ),
        (
            base(
                age=None, birth_date=date(2000, 2, 29), first_language={**EN9, "test_date": date(2024, 2, 29)}
            ),
            date(2025, 6, 1),
            date(2026, 3, 1),
            "a 29 February result expires on 1 March",
        ),
        (base(job_offer="other_qualifying"), date(2025, 1, 1), date(2025, 3, 25), "job-offer points end"),
        (base(), R25, None, "age given, no test date: nothing foreseeable"),
    ],
)
def test_score_until_is_the_first_day_the_score_differs(
    data: dict[str, Any], on: date, until: date | None, why: str
) -> None:
    _, valid_until = score_until(parse_profile(data), on)
    assert valid_until == until, why
