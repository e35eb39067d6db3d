"""Category-based selection eligibility: the versioned data and the verdicts drawn from it.

One table of cases (experience, French level, day -> one category's outcome) covers every category in every
year, the month boundaries, codes dropped between years and leading zeros; the data self-checks hold the
shipped TOML to what IRCC published (docs/feed.md) and the NOC 2021 code structure say.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from drawwatch.domain import eligibility as el
from drawwatch.domain.categories import CATEGORY_KEYS
from drawwatch.domain.eligibility import CategoryList, NocExperience, NoRulesError, Occupation

Y23 = date(2023, 7, 1)
Y24 = date(2024, 6, 1)
Y25 = date(2025, 6, 1)
DEC25 = date(2025, 12, 10)
Y26 = date(2026, 3, 1)

ABSENT = "absent"  # the category is not in force on that day

# (id, --noc arguments separated by spaces, French NCLC, day, category, outcome, expect)
# outcome: True -> eligible, and `expect` is the qualifying code (None for French);
#          False -> not eligible, and `expect` is a substring of the reason; ABSENT -> no verdict at all.
CASES: list[tuple[str, str, int | None, date, str, bool | str, str | None]] = [
    # 2023: six categories, 6 months
    ("2023 stem at 6", "21231:6", None, Y23, "stem", True, "21231"),
    ("2023 stem at 5", "21231:5", None, Y23, "stem", False, "STEM 2023: 5 of 6 months"),
    ("2023 healthcare", "31301:6", None, Y23, "healthcare", True, "31301"),
    ("2023 healthcare at 5", "31301:5", None, Y23, "healthcare", False, "5 of 6 months"),
    ("2023 education counsellors", "41320:8", None, Y23, "healthcare", True, "41320"),
    ("2023 trades", "72310:6", None, Y23, "trades", True, "72310"),
    ("2023 transport truck drivers", "73300:6", None, Y23, "transport", True, "73300"),
    ("2023 transport at 5", "73300:5", None, Y23, "transport", False, "Transport 2023: 5 of 6 months"),
    ("2023 agriculture", "82030:6", None, Y23, "agriculture", True, "82030"),
    ("2023 french 7", "", 7, Y23, "french", True, None),
    ("2023 french 6", "", 6, Y23, "french", False, "French 2023: NCLC 6, needs 7 in all four abilities"),
    ("2023 no education", "41220:24", None, Y23, "education", ABSENT, None),
    ("2023 on first day", "21231:6", None, date(2023, 5, 31), "stem", True, "21231"),
    # 2024: the 2023 lists, renewed
    ("2024 stem", "21231:6", None, Y24, "stem", True, "21231"),
    ("2024 stem at 5", "21231:5", None, Y24, "stem", False, "STEM 2024: 5 of 6 months"),
    ("2024 healthcare", "42203:6", None, Y24, "healthcare", True, "42203"),
    ("2024 trades", "72405:6", None, Y24, "trades", True, "72405"),
    ("2024 transport", "72403:6", None, Y24, "transport", True, "72403"),
    ("2024 agriculture", "82031:6", None, Y24, "agriculture", True, "82031"),
    ("2024 french", "", 9, Y24, "french", True, None),
    ("before 2024 renewal", "21231:6", None, date(2024, 2, 1), "stem", True, "21231"),
    ("before 2024 renewal label", "21231:5", None, date(2024, 2, 1), "stem", False, "STEM 2023:"),
    # 2025: education added, transport removed, STEM cut to 11
    ("2025 21231 gone", "21231:9", None, Y25, "stem", False, "STEM 2025: 21231 is not on the 2025 list"),
    ("2025 stem at 6", "21301:6", None, Y25, "stem", True, "21301"),
    ("2025 stem at 5", "21301:5", None, Y25, "stem", False, "STEM 2025: 5 of 6 months"),
    ("2025 insurance agents", "63100:7", None, Y25, "stem", True, "63100"),
    ("2025 pharmacists", "31120:6", None, Y25, "healthcare", True, "31120"),
    ("2025 counsellors gone", "41320:12", None, Y25, "healthcare", False, "41320 is not on the 2025 list"),
    ("2025 cooks", "63200:6", None, Y25, "trades", True, "63200"),
    ("2025 trades at 5", "63200:5", None, Y25, "trades", False, "Trades 2025: 5 of 6 months"),
    ("2025 butchers", "63201:6", None, Y25, "agriculture", True, "63201"),
    ("2025 farm supervisors gone", "82030:6", None, Y25, "agriculture", False, "not on the 2025 list"),
    ("2025 education", "41220:6", None, Y25, "education", True, "41220"),
    ("2025 education at 5", "41220:5", None, Y25, "education", False, "Education 2025: 5 of 6 months"),
    ("2025 no transport", "73300:24", None, Y25, "transport", ABSENT, None),
    ("2025 physicians not yet", "31102:24", None, Y25, "physicians", ABSENT, None),
    ("2025 physicians from Dec 8", "31102:12", None, DEC25, "physicians", True, "31102"),
    ("2025 physicians at 11", "31102:11", None, DEC25, "physicians", False, "Physicians 2025: 11 of 12"),
    ("2025 french 7", "", 7, Y25, "french", True, None),
    ("2025 french 6", "", 6, Y25, "french", False, "French 2025: NCLC 6, needs 7"),
    # 2026: 12 months; five new categories; agriculture gone; cooks out of trades, butchers in
    ("2026 education at 6", "41220:6", None, Y26, "education", False, "Education 2026: 6 of 12 months"),
    ("2026 education at 11", "41220:11", None, Y26, "education", False, "Education 2026: 11 of 12 months"),
    ("2026 education at 12", "41220:12", None, Y26, "education", True, "41220"),
    ("2026 stem at 12", "21301:12", None, Y26, "stem", True, "21301"),
    ("2026 stem at 11", "21301:11", None, Y26, "stem", False, "STEM 2026: 11 of 12 months"),
    ("2026 stem still no 21231", "21231:36", None, Y26, "stem", False, "21231 is not on the 2026 list"),
    ("2026 healthcare", "31301:12", None, Y26, "healthcare", True, "31301"),
    ("2026 healthcare at 11", "31301:11", None, Y26, "healthcare", False, "Healthcare 2026: 11 of 12"),
    ("2026 butchers in trades", "63201:12", None, Y26, "trades", True, "63201"),
    ("2026 cooks out of trades", "63200:12", None, Y26, "trades", False, "63200 is not on the 2026 list"),
    ("2026 transport pilots", "72600:12", None, Y26, "transport", True, "72600"),
    ("2026 transport no trucks", "73300:12", None, Y26, "transport", False, "73300 is not on the 2026 list"),
    ("2026 transport at 11", "22313:11", None, Y26, "transport", False, "Transport 2026: 11 of 12 months"),
    ("2026 physicians", "31100:12", None, Y26, "physicians", True, "31100"),
    ("2026 researchers", "41200:12", None, Y26, "researchers", True, "41200"),
    ("2026 researchers at 11", "41201:11", None, Y26, "researchers", False, "Researchers 2026: 11 of 12"),
    ("2026 senior managers 00012", "00012:12", None, Y26, "senior_managers", True, "00012"),
    ("2026 senior managers 00015", "00015:40", None, Y26, "senior_managers", True, "00015"),
    ("2026 legislators not listed", "00010:40", None, Y26, "senior_managers", False, "00010 is not on"),
    ("2026 military", "40042:12", None, Y26, "military", True, "40042"),
    ("2026 military at 11", "43204:11", None, Y26, "military", False, "Military 2026: 11 of 12 months"),
    ("2026 no agriculture", "63201:12", None, Y26, "agriculture", ABSENT, None),
    ("2026 french 7", "", 7, Y26, "french", True, None),
    ("2026 french 6", "", 6, Y26, "french", False, "French 2026: NCLC 6, needs 7 in all four abilities"),
    ("2026 french not given", "21301:12", None, Y26, "french", False, "no French test result given"),
    # the best listed entry decides; unlisted codes are ignored, never an error
    ("best entry wins", "21300:5 21301:8", None, Y25, "stem", True, "21301"),
    ("unknown code beside listed", "99999:60 21300:6", None, Y25, "stem", True, "21300"),
    ("two unlisted codes", "99999:60 21231:60", None, Y25, "stem", False, "none of 21231, 99999 is on"),
    ("no experience", "", None, Y25, "trades", False, "Trades 2025: no work experience given"),
]


@pytest.mark.parametrize(
    ("nocs", "nclc", "day", "category", "outcome", "expect"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_verdicts(nocs, nclc, day, category, outcome, expect):
    experience = [el.parse_noc_arg(arg) for arg in nocs.split()]
    verdicts = {v.category: v for v in el.evaluate(experience, nclc_french=nclc, on=day)}
    eligible = el.eligible_categories(experience, nclc_french=nclc, on=day)
    if outcome == ABSENT:
        assert category not in verdicts
        assert category not in eligible
        return
    verdict = verdicts[category]
    assert verdict.eligible is outcome, verdict.reason
    assert verdict.year == el.rules_on(day).category(category).year
    if outcome:
        assert category in eligible
        if expect is None:
            assert verdict.qualifying_noc is None
            assert eligible[category] is None
        else:
            assert verdict.qualifying_noc is not None
            assert verdict.qualifying_noc.code == expect
            assert verdict.qualifying_noc.title
            assert eligible[category] == next(e for e in experience if e.code == expect)
    else:
        assert expect in verdict.reason
        assert verdict.qualifying_noc is None
        assert category not in eligible


# (input, the message it must raise with)
MALFORMED: list[tuple[object, str]] = [
    ("2123:6", "NOC code must be 5 digits, got '2123'"),
    ("212310:6", "NOC code must be 5 digits, got '212310'"),
    ("21a31:6", "NOC code must be 5 digits, got '21a31'"),
    ("21231", "expected CODE:MONTHS, e.g. 21231:14, got '21231'"),
    ("", "expected CODE:MONTHS"),
    ("21231:", "months must be a whole number ≥ 0, got ''"),
    ("21231:-1", "months must be a whole number ≥ 0, got '-1'"),
    ("21231:1.5", "months must be a whole number ≥ 0, got '1.5'"),
    ("21231:six", "months must be a whole number ≥ 0, got 'six'"),
    ("21231:6:1", "months must be a whole number ≥ 0, got '6:1'"),
    ("２１２３１:6", "NOC code must be 5 digits"),  # full-width digits are not ASCII digits
    (21231, "expected CODE:MONTHS"),
]


@pytest.mark.parametrize(("text", "message"), MALFORMED, ids=[repr(m[0]) for m in MALFORMED])
def test_parse_noc_arg_rejects_malformed(text, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        el.parse_noc_arg(text)


@pytest.mark.parametrize(
    ("text", "code", "months"),
    [
        ("21231:14", "21231", 14),
        ("00012:30", "00012", 30),
        (" 00015 : 0 ", "00015", 0),
        ("72600:12", "72600", 12),
    ],
)
def test_parse_noc_arg_keeps_leading_zeros(text, code, months):
    assert el.parse_noc_arg(text) == NocExperience(code=code, months=months)
    assert str(el.parse_noc_arg(text)) == f"{code}:{months}"


def test_noc_experience_validates_directly():
    with pytest.raises(ValueError, match="NOC code must be 5 digits, got 12"):
        NocExperience(code=12, months=3)
    with pytest.raises(ValueError, match="months must be a whole number ≥ 0, got -2"):
        NocExperience(code="21231", months=-2)
    with pytest.raises(ValueError, match="months must be a whole number ≥ 0, got True"):
        NocExperience(code="21231", months=True)


def test_rules_before_category_based_selection_raise():
    with pytest.raises(
        NoRulesError, match=r"rules on 2023-05-30: category-based selection began on 2023-05-31"
    ):
        el.rules_on(date(2023, 5, 30))
    with pytest.raises(NoRulesError):
        el.evaluate([], on=date(2020, 1, 1))


def test_rules_on_takes_datetimes_and_defaults_to_today():
    assert el.rules_on(datetime(2025, 12, 8, 23, 59)).year == 2025
    assert "physicians" in el.rules_on(datetime(2025, 12, 8, 0, 0)).keys
    assert el.rules_on().effective_from <= date.today()


def test_evaluate_rejects_wrong_input_types():
    with pytest.raises(TypeError, match="parse_noc_arg"):
        el.evaluate("21231:6", on=Y25)
    with pytest.raises(TypeError, match="parse_noc_arg"):
        el.evaluate(["21231:6"], on=Y25)
    for bad in (13, -1, True, 6.5):
        with pytest.raises(ValueError, match="NCLC must be a whole number from 0 to 12"):
            el.evaluate([], nclc_french=bad, on=Y25)


def test_experience_may_be_any_iterable():
    verdicts = el.evaluate((el.parse_noc_arg(a) for a in ["21300:3", "21300:7"]), on=Y25)
    assert next(v for v in verdicts if v.category == "stem").eligible


def test_one_verdict_per_category_in_force_in_order():
    for day in (Y23, Y24, Y25, DEC25, Y26):
        rules = el.rules_on(day)
        verdicts = el.evaluate([], on=day)
        assert [v.category for v in verdicts] == list(rules.keys)
        assert not any(v.eligible for v in verdicts)


def test_conditions_name_what_is_not_checked():
    verdicts = {v.category: v for v in el.evaluate([el.parse_noc_arg("00013:24")], on=Y26)}
    assert verdicts["senior_managers"].eligible
    assert any("Canada" in c for c in verdicts["senior_managers"].conditions)
    assert any("Canadian Forces Recruiting Group" in c for c in verdicts["military"].conditions)
    assert verdicts["stem"].conditions == ()


def test_lookup_occupation_spans_all_years():
    assert el.lookup_occupation("21231").title == "Software engineers and designers"  # 2023-2024 only
    assert el.lookup_occupation("00012").teer == 0
    assert el.lookup_occupation("99999") is None
    with pytest.raises(ValueError, match="NOC code must be 5 digits"):
        el.lookup_occupation("999")


# ---------------------------------------------------------------------------------------- data self-checks

FEED_STEM_2023 = {
    "21200": "Architects",
    "20011": "Architecture and science managers",
    "21221": "Business systems specialists",
    "21300": "Civil engineers",
    "20012": "Computer and information systems managers",
    "21311": "Computer engineers (except software engineers and designers)",
    "21230": "Computer systems developers and programmers",
    "21220": "Cybersecurity specialists",
    "21211": "Data scientists",
    "21223": "Database analysts and data administrators",
    "21310": "Electrical and electronics engineers",
    "20010": "Engineering managers",
    "21321": "Industrial and manufacturing engineers",
    "21222": "Information systems specialists",
    "21203": "Land surveyors",
    "21201": "Landscape architects",
    "21210": "Mathematicians, statisticians and actuaries",
    "21322": "Metallurgical and materials engineers",
    "41400": "Natural and applied science policy researchers, consultants and program officers",
    "21232": "Software developers and programmers",
    "21231": "Software engineers and designers",
    "21202": "Urban and land use planners",
    "21233": "Web designers",
    "21234": "Web developers and programmers",
}
FEED_STEM_2025 = {
    "20011",
    "22300",
    "21300",
    "21220",
    "22310",
    "21310",
    "21331",
    "21321",
    "63100",
    "22301",
    "21301",
}

EXPECTED_YEARS = {
    2023: (date(2023, 5, 31), {"french", "healthcare", "stem", "trades", "transport", "agriculture"}),
    2024: (date(2024, 2, 14), {"french", "healthcare", "stem", "trades", "transport", "agriculture"}),
    2025: (
        date(2025, 2, 27),
        {"french", "healthcare", "stem", "trades", "agriculture", "education", "physicians"},
    ),
    2026: (
        date(2026, 2, 18),
        {
            "french",
            "healthcare",
            "stem",
            "trades",
            "transport",
            "education",
            "physicians",
            "researchers",
            "senior_managers",
            "military",
        },
    ),
}


def all_categories():
    return [c for rules in el.load_rules() for c in rules.categories]


def test_years_dates_and_categories():
    assert {r.year: (r.effective_from, set(r.keys)) for r in el.load_rules()} == EXPECTED_YEARS
    assert set(el.ELIGIBILITY_KEYS) <= set(CATEGORY_KEYS)


def test_every_code_is_five_digits_with_its_teer():
    for category in all_categories():
        for occ in category.occupations:
            assert len(occ.code) == 5 and occ.code.isascii() and occ.code.isdigit(), (category.key, occ)
            assert occ.teer == int(occ.code[1]), (category.year, category.key, occ)
            assert occ.title.strip() == occ.title and occ.title


def test_no_list_is_empty_except_french():
    for category in all_categories():
        if category.key == "french":
            assert category.occupations == ()
            assert category.rule.min_nclc == 7
        else:
            assert category.occupations, (category.year, category.key)
            assert category.rule.min_nclc is None


def test_every_category_has_a_source_and_is_complete_or_says_why():
    for category in all_categories():
        assert category.source.title and category.source.url.startswith("https://"), (
            category.year,
            category.key,
        )
        in_force = category.effective_from or el.rules_for_year(category.year).effective_from
        assert category.published <= in_force, (category.year, category.key)
        assert category.complete or category.missing_note, (category.year, category.key)


def test_stem_lists_match_feed():
    stem_2023 = el.rules_for_year(2023).category("stem")
    assert {o.code: o.title for o in stem_2023.occupations} == FEED_STEM_2023
    assert el.rules_for_year(2024).category("stem").occupations == stem_2023.occupations
    assert el.rules_for_year(2025).category("stem").codes == FEED_STEM_2025


def test_2024_renewed_the_2023_lists():
    y2023, y2024 = el.rules_for_year(2023), el.rules_for_year(2024)
    assert y2023.keys == y2024.keys
    for key in y2023.keys:
        assert y2023.category(key).occupations == y2024.category(key).occupations
        assert y2023.category(key).rule == y2024.category(key).rule


def test_experience_rule_by_year():
    for category in all_categories():
        rule = category.rule
        if rule.is_language:
            continue
        assert rule.window_months == 36
        if category.year == 2026:
            assert (rule.min_months, rule.continuous) == (12, False), category.key
        elif category.key == "physicians":
            assert (rule.min_months, rule.continuous, rule.canadian_experience) == (12, True, True)
        else:
            assert (rule.min_months, rule.continuous) == (6, True), (category.year, category.key)


def test_list_sizes():
    sizes = {(c.year, c.key): len(c.occupations) for c in all_categories() if c.key != "french"}
    assert sizes == {
        (2023, "healthcare"): 35,
        (2023, "stem"): 24,
        (2023, "trades"): 10,
        (2023, "transport"): 10,
        (2023, "agriculture"): 3,
        (2024, "healthcare"): 35,
        (2024, "stem"): 24,
        (2024, "trades"): 10,
        (2024, "transport"): 10,
        (2024, "agriculture"): 3,
        (2025, "healthcare"): 37,
        (2025, "stem"): 11,
        (2025, "trades"): 25,
        (2025, "agriculture"): 1,
        (2025, "education"): 5,
        (2025, "physicians"): 3,
        (2026, "healthcare"): 37,
        (2026, "stem"): 11,
        (2026, "trades"): 25,
        (2026, "transport"): 4,
        (2026, "education"): 5,
        (2026, "physicians"): 3,
        (2026, "researchers"): 2,
        (2026, "senior_managers"): 4,
        (2026, "military"): 3,
    }


def _category(**overrides):
    base = {
        "key": "stem",
        "year": 2025,
        "label": "STEM occupations",
        "short": "STEM",
        "published": date(2025, 2, 27),
        "rule": {"min_months": 6, "window_months": 36},
        "source": {"title": "t", "url": "https://example.org"},
        "occupations": [{"code": "21300", "title": "Civil engineers", "teer": 1}],
    }
    return CategoryList.model_validate({**base, **overrides})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"occupations": [{"code": "21300", "title": "Civil engineers", "teer": 2}]}, "TEER 2 is not"),
        ({"occupations": [{"code": 21300, "title": "Civil engineers", "teer": 1}]}, "must be 5 digits"),
        ({"occupations": []}, "occupation list is empty"),
        ({"key": "farming"}, "unknown category key"),
        ({"complete": False}, "missing_note is required"),
        ({"rule": {"min_nclc": 7, "min_months": 6, "window_months": 36}}, "either min_nclc"),
        ({"source": {"title": "t", "url": "http://example.org"}}, "https://"),
        (
            {"occupations": [{"code": "21300", "title": "Civil engineers", "teer": 1}] * 2},
            "listed twice: 21300",
        ),
    ],
)
def test_loader_rejects_bad_data(overrides, message):
    with pytest.raises(ValueError, match=message):
        _category(**overrides)


def test_incomplete_list_is_allowed_with_a_note():
    category = _category(complete=False, missing_note="only the codes the release named")
    assert not category.complete
    assert Occupation(code="00012", title="x", teer=0).code == "00012"
