"""Test results → CLB/NCLC per ability: every level's lowest score and the score just under it, per test.

The charts below are typed in again from IRCC's equivalency charts (lowest score of CLB/NCLC 10, 9, 8, 7, 6,
5, 4), independently of drawwatch/data/crs/language.json, so a slip in either shows up here.
"""

from __future__ import annotations

from datetime import date

import pytest

from drawwatch.domain.crs.language import check_score, level, score_for_level, valid_until

LEVELS = (10, 9, 8, 7, 6, 5, 4)
CHARTS: dict[str, tuple[float, dict[str, tuple[float, ...]]]] = {  # test: (step, ability: lowest scores)
    "ielts": (
        0.5,
        {
            "listening": (8.5, 8.0, 7.5, 6.0, 5.5, 5.0, 4.5),
            "reading": (8.0, 7.0, 6.5, 6.0, 5.0, 4.0, 3.5),
            "writing": (7.5, 7.0, 6.5, 6.0, 5.5, 5.0, 4.0),
            "speaking": (7.5, 7.0, 6.5, 6.0, 5.5, 5.0, 4.0),
        },
    ),
    "celpip": (1, {a: (10, 9, 8, 7, 6, 5, 4) for a in ("listening", "reading", "writing", "speaking")}),
    "pte": (
        1,
        {
            "listening": (89, 82, 71, 60, 50, 39, 28),
            "reading": (88, 78, 69, 60, 51, 42, 33),
            "writing": (90, 88, 79, 69, 60, 51, 41),
            "speaking": (89, 84, 76, 68, 59, 51, 42),
        },
    ),
    "tef": (
        1,
        {
            "listening": (546, 503, 462, 434, 393, 352, 306),
            "reading": (546, 503, 462, 434, 393, 352, 306),
            "writing": (558, 512, 472, 428, 379, 330, 268),
            "speaking": (556, 518, 494, 456, 422, 387, 328),
        },
    ),
    "tef_legacy": (
        1,
        {
            "listening": (316, 298, 280, 249, 217, 181, 145),
            "reading": (263, 248, 233, 207, 181, 151, 121),
            "writing": (393, 371, 349, 310, 271, 226, 181),
            "speaking": (393, 371, 349, 310, 271, 226, 181),
        },
    ),
    "tcf": (
        1,
        {
            "listening": (549, 523, 503, 458, 398, 369, 331),
            "reading": (549, 524, 499, 453, 406, 375, 342),
            "writing": (16, 14, 12, 10, 7, 6, 4),
            "speaking": (16, 14, 12, 10, 7, 6, 4),
        },
    ),
}
BOUNDARIES = [
    pytest.param(test, ability, value, expected, id=f"{test}-{ability}-{value:g}")
    for test, (step, abilities) in CHARTS.items()
    for ability, lowest in abilities.items()
    for clb, low in zip(LEVELS, lowest, strict=True)
    for value, expected in ((low, clb), (low - step, clb - 1 if clb > 4 else 3))
]


@pytest.mark.parametrize(("test", "ability", "value", "expected"), BOUNDARIES)
def test_each_level_starts_at_its_lowest_score(test: str, ability: str, value: float, expected: int) -> None:
    assert check_score(test, ability, value) is None  # type: ignore[arg-type]
    assert level(test, ability, value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("test", "ability", "value", "expected"),
    [
        ("ielts", "listening", 9.0, 10),
        ("ielts", "speaking", 0.0, 3),
        ("celpip", "reading", 12, 10),
        ("celpip", "reading", 11, 10),
        ("pte", "writing", 10, 3),
        ("tef", "speaking", 699, 10),
        ("tef", "speaking", 0, 3),
        ("tef_legacy", "reading", 300, 10),
        ("tcf", "writing", 20, 10),
        ("clb", "listening", 12, 12),
        ("clb", "listening", 7, 7),
    ],
)
def test_ends_of_the_scales(test: str, ability: str, value: float, expected: int) -> None:
    assert check_score(test, ability, value) is None  # type: ignore[arg-type]
    assert level(test, ability, value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("test", "ability", "value", "message"),
    [
        (
            "ielts",
            "listening",
            9.5,
            "IELTS General Training listening scores run from 0 to 9 in steps of 0.5, got 9.5",
        ),
        ("ielts", "reading", 7.25, "in steps of 0.5, got 7.25"),
        ("ielts", "writing", -0.5, "from 0 to 9"),
        ("tef", "listening", 700, "TEF Canada listening scores run from 0 to 699 in whole numbers, got 700"),
        ("tef_legacy", "listening", 361, "from 0 to 360"),
        ("tef_legacy", "reading", 301, "from 0 to 300"),
        ("tcf", "writing", 21, "from 0 to 20"),
        ("tcf", "reading", 700, "from 0 to 699"),
        ("pte", "speaking", 9, "from 10 to 90"),
        ("pte", "speaking", 91, "from 10 to 90"),
        ("celpip", "speaking", 13, "from 0 to 12"),
        ("clb", "speaking", 13, "from 0 to 12"),
        ("clb", "speaking", 7.5, "whole numbers"),
    ],
)
def test_impossible_scores_are_named_with_the_allowed_range(
    test: str, ability: str, value: float, message: str
) -> None:
    problem = check_score(test, ability, value)  # type: ignore[arg-type]
    assert problem is not None and message in problem


@pytest.mark.parametrize(
    ("test", "ability", "clb", "expected"),
    [
        ("ielts", "listening", 9, 8.0),
        ("ielts", "reading", 10, 8.0),
        ("pte", "writing", 9, 88),
        ("tef", "speaking", 7, 456),
        ("tcf", "writing", 5, 6),
        ("clb", "reading", 8, 8),
        ("celpip", "reading", 11, None),
    ],
)
def test_the_lowest_score_for_a_level(test: str, ability: str, clb: int, expected: float | None) -> None:
    assert score_for_level(test, ability, clb) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("taken", "expires"),
    [
        (date(2025, 9, 20), date(2027, 9, 20)),
        (date(2024, 2, 29), date(2026, 3, 1)),
        (date(2022, 2, 28), date(2024, 2, 28)),
    ],
)
def test_a_result_counts_for_two_years(taken: date, expires: date) -> None:
    assert valid_until(taken) == expires
