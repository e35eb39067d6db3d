"""Language test results → CLB (English) / NCLC (French) levels, per ability, from IRCC's equivalency charts.

The charts are data (``drawwatch/data/crs/language.json``): one table per test, each ability a list of
"from this score, this level" rows, highest first. TEF Canada is read on its 0–699 scale; its older scale
("Équivalence ancien score") only when a result says ``tef_legacy``, because the two scales overlap (a
legacy 300 and a new 300 are different levels) and guessing would silently change a score.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "ABILITIES",
    "TESTS",
    "Ability",
    "TestName",
    "check_score",
    "level",
    "score_for_level",
    "table",
    "valid_until",
]

Ability = Literal["listening", "reading", "writing", "speaking"]
TestName = Literal["ielts", "celpip", "pte", "tef", "tef_legacy", "tcf", "clb"]
ABILITIES: tuple[Ability, ...] = ("listening", "reading", "writing", "speaking")
TESTS: tuple[TestName, ...] = ("ielts", "celpip", "pte", "tef", "tef_legacy", "tcf", "clb")
TOP_LEVEL = 12  # CLB/NCLC levels run 1–12; a test's best score maps to 10 (10+ earns the most points)
BELOW_CHART = 3  # below a chart's last row: CLB 3 or lower, which earns no CRS points

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Row(BaseModel):
    model_config = _FROZEN
    from_score: float
    clb: int


class Scale(BaseModel):
    model_config = _FROZEN
    min: float
    max: float | dict[Ability, float]
    step: float

    def top(self, ability: Ability) -> float:
        return self.max[ability] if isinstance(self.max, dict) else self.max


class TestTable(BaseModel):
    """One test's chart: its scale and, per ability, the rows (None for CLB/NCLC given directly)."""

    model_config = _FROZEN
    name: str
    language: Literal["en", "fr"] | None
    scale: Scale
    read: str | None = None
    levels: dict[Ability, tuple[Row, ...]] | None


class Charts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    tests: dict[TestName, TestTable]
    validity_years: int


@cache
def charts() -> Charts:
    text = resources.files("drawwatch").joinpath("data/crs/language.json").read_text(encoding="utf-8")
    return Charts.model_validate(json.loads(text))


def table(test: TestName) -> TestTable:
    return charts().tests[test]


def _number(value: float) -> str:
    return f"{value:g}"


def check_score(test: TestName, ability: Ability, value: float) -> str | None:
    """Why ``value`` is not a possible ``test`` score for ``ability`` (naming the allowed values), or None."""
    chart = table(test)
    low, high, step = chart.scale.min, chart.scale.top(ability), chart.scale.step
    steps = (value - low) / step
    if low <= value <= high and abs(steps - round(steps)) < 1e-9:
        return None
    unit = "whole numbers" if step == 1 else f"steps of {_number(step)}"
    return f"{chart.name} {ability} scores run from {_number(low)} to {_number(high)} in {unit}, got {_number(value)}"


def level(test: TestName, ability: Ability, value: float) -> int:
    """The CLB/NCLC level of a (valid) score."""
    rows = table(test).levels
    if rows is None:
        return int(value)
    for row in rows[ability]:
        if value >= row.from_score:
            return row.clb
    return min(BELOW_CHART, int(value)) if test == "celpip" else BELOW_CHART


def score_for_level(test: TestName, ability: Ability, clb: int) -> float | None:
    """The lowest ``test`` score that reaches ``clb`` in ``ability``; None when the chart has no such level."""
    rows = table(test).levels
    if rows is None:
        return float(clb) if clb <= TOP_LEVEL else None
    reaching = [row.from_score for row in rows[ability] if row.clb >= clb]
    return min(reaching) if reaching else None


def valid_until(test_date: date) -> date:
    """The first day a result taken on ``test_date`` no longer counts (its second anniversary; 29 February's
    results expire on 1 March)."""
    years = charts().validity_years
    try:
        return test_date.replace(year=test_date.year + years)
    except ValueError:  # 29 February, and the anniversary year is not a leap year
        return date(test_date.year + years, 3, 1)
