"""Terminal tables fit the terminal: ``draws list`` and ``subscribers backtest`` at 60, 80, 120 and 200
columns, the free-text columns giving way first and the number, date and CRS never cut."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from drawwatch.app.display import Column, fit_table, rounds_table
from drawwatch.cli.backtest import verdict_lines
from drawwatch.storage.backtest import Verdict, backtest_settings
from drawwatch.storage.db import session_scope
from drawwatch.storage.models import Round
from drawwatch.storage.rounds import list_rounds
from tests.support.commands import drawwatch
from tests.support.feeds import feed_path
from tests.support.rows import ingested

WIDTHS = (60, 80, 120, 200)
CELLS = re.compile(r"\s{2,}")  # columns are two spaces apart; a cell holds single spaces only


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with ingested(tmp_path_factory.mktemp("tables")) as engine:
        yield engine


@pytest.fixture(scope="module")
def rounds(history: Engine) -> list[Round]:
    with session_scope(history) as session:
        rows = list_rounds(session, limit=40)  # the newest rounds, the longest labels among them
        session.expunge_all()
    return rows


@pytest.fixture(scope="module")
def verdicts(history: Engine) -> list[Verdict]:
    with session_scope(history) as session:
        return backtest_settings(session, crs=490, categories=["stem", "healthcare"], last=40)


def assert_rounds_intact(lines: list[str], rounds: list[Round]) -> list[str]:
    """Every round's number, date and CRS, uncut, in the columns the header names; the header's cells."""
    header = CELLS.split(lines[0].strip())
    assert header[:2] == ["#", "Date"] and "CRS" in header
    assert set(lines[1]) <= {"-", " "}
    body = lines[2:]
    assert len(body) == len(rounds)  # one line per round: ellipsized, never wrapped
    for line, round_ in zip(body, rounds, strict=True):
        cells = CELLS.split(line.strip())
        assert len(cells) == len(header), line
        assert cells[0] == round_.number and cells[1] == round_.date.isoformat(), line
        assert cells[header.index("CRS")] == str(round_.crs), line
    return header


@pytest.mark.parametrize("width", WIDTHS)
def test_rounds_table_fits(rounds: list[Round], width: int) -> None:
    lines = rounds_table(rounds, width=width).splitlines()
    assert max(len(line) for line in lines) <= width
    header = assert_rounds_intact(lines, rounds)
    assert header == ["#", "Date", "Category", "CRS", "Invited", "Round name"]
    text = "\n".join(lines)
    if width >= 200:  # wide enough for IRCC's full names and labels
        assert "…" not in text
        assert (
            "Senior managers with Canadian work experience" in text or "French-language proficiency" in text
        )
    if width <= 80:
        assert "…" in text  # the free text gave way, the numbers did not


def test_rounds_table_drops_optional_columns_when_shrinking_is_not_enough(rounds: list[Round]) -> None:
    for width, expected in [
        (50, ["#", "Date", "Category", "CRS", "Invited"]),  # the round name goes first
        (36, ["#", "Date", "CRS", "Invited"]),  # then the category
        (26, ["#", "Date", "CRS"]),  # then the invitations; never the number, date or CRS
    ]:
        lines = rounds_table(rounds, width=width).splitlines()
        assert max(len(line) for line in lines) <= width, width
        assert assert_rounds_intact(lines, rounds) == expected


@pytest.mark.parametrize("width", WIDTHS)
def test_backtest_lines_fit(verdicts: list[Verdict], width: int) -> None:
    lines = verdict_lines(verdicts, width=width)
    assert max(len(line) for line in lines) <= width
    assert "".join(lines).isascii()  # "..." rather than "…": the backtest's output is plain ASCII
    starts = [i for i, line in enumerate(lines) if not line.startswith(" ")]
    assert len(starts) == len(verdicts)
    for n, (start, verdict) in enumerate(zip(starts, verdicts, strict=True)):
        first = lines[start]
        mark = "yes" if verdict.would_alert else "no "
        pattern = (
            rf"^{mark}\s+#{verdict.number}\s+{verdict.date.isoformat()}\s+.*cut-off\s+{verdict.crs}(\s|$)"
        )
        assert re.match(pattern, first), first
        # The reason is wrapped, never cut: its words, in order, over the round's lines.
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        column = first.index("cut-off") + len(f"cut-off {verdict.crs:>4}") + 2
        reason = " ".join(line[column:].strip() for line in lines[start:end])
        assert reason == verdict.reason, (lines[start:end], verdict.reason)
    if width >= 200:
        assert len(starts) == len(lines)  # no line needed wrapping


def test_fit_table_never_cuts_fixed_cells() -> None:
    columns = (Column("Number", right=True), Column("Text", shrink="ellipsize", min_width=6, drop=1))
    rows = [("123456789", "a long free text that has to give way"), ("7", "short")]
    assert fit_table(columns, rows, width=30) == [
        "   Number  Text",
        "---------  -------------------",
        "123456789  a long free text t…",
        "        7  short",
    ]
    # Too narrow even for the optional column at its narrowest: it goes, the number stays whole.
    assert fit_table(columns, rows, width=12) == ["   Number", "---------", "123456789", "        7"]
    # Narrower than the fixed columns alone: nothing is cut, the line stays too long.
    assert fit_table(columns, rows, width=5)[2] == "123456789"


@pytest.mark.slow
def test_draws_list_at_80_columns_after_a_check(tmp_path: Path) -> None:
    env = {
        "DRAWWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'drawwatch.db'}",
        "DRAWWATCH_FEED_URL": feed_path(437).as_uri(),
    }
    checked = drawwatch("check", "--json", "--no-deliver", env=env)
    assert checked.code == 0, checked.stderr

    run = drawwatch("draws", "list", env={**env, "COLUMNS": "80"})
    assert run.code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, run.stdout
    assert lines[-1] == "(newest 25 shown; --limit N for more, --limit 0 for all)"
    listed = drawwatch("draws", "list", "--json", "--limit", "25", env=env).json()
    header = CELLS.split(lines[0].strip())
    assert header == ["#", "Date", "Category", "CRS", "Invited", "Round name"]
    for line, row in zip(lines[2:-1], listed, strict=True):
        cells = CELLS.split(line.strip())
        assert (cells[0], cells[1], cells[3]) == (row["number"], row["date"], str(row["crs"])), line
    assert "…" in run.stdout  # IRCC's names and the labels were shortened to fit

    # --json does not depend on the terminal.
    narrow = drawwatch("draws", "list", "--json", "--limit", "25", env={**env, "COLUMNS": "40"})
    assert narrow.code == 0 and json.loads(narrow.stdout) == listed
