"""``drawwatch subscribers backtest`` end to end, on SQLite and PostgreSQL: the real command line against the
real #437 feed copy. A STEM subscriber at CRS 490 fits exactly the three STEM rounds of 2023–24 (cut-offs 486,
481 and 491, the last one by one point too few), whether saved or typed as --crs/--category.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.commands import Run, drawwatch
from tests.support.databases import SQLITE_ONLY
from tests.support.feeds import feed_bytes

pytestmark = pytest.mark.slow

STEM_2023_24 = {
    "254": ("2023-07-05", 486, 4, True, "eligible via STEM; 4 points above the cut-off"),
    "274": ("2023-12-08", 481, 9, True, "eligible via STEM; 9 points above the cut-off"),
    "293": ("2024-04-11", 491, -1, False, "below the cut-off by 1"),
}


def _stem_rounds(rows: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {
        row["number"]: (row["date"], row["crs"], row["margin"], row["would_alert"], row["reason"])
        for row in rows
        if row["category"] != "general" and row["conditions"]["category"]
    }


def _settings(row: dict[str, Any]) -> tuple[Any, ...]:
    """What the subscriber's settings decide for a round (not whether they were subscribed then)."""
    conditions = {k: v for k, v in row["conditions"].items() if k not in ("active", "subscribed_before")}
    return row["number"], row["date"], row["category"], row["crs"], row["margin"], row["standing"], conditions


def _failed(run: Run, code: int, message: str) -> None:
    assert run.code == code, (run.code, run.stdout, run.stderr)
    assert message in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


@SQLITE_ONLY
def test_backtest_of_a_saved_subscriber_and_of_settings_agree(tmp_path: Path, database_url: str) -> None:
    feed = tmp_path / "437.json"
    feed.write_bytes(feed_bytes(437))
    env = {"DRAWWATCH_DATABASE_URL": database_url, "DRAWWATCH_FEED_URL": feed.as_uri()}

    empty = drawwatch("subscribers", "backtest", "--crs", "490", "--category", "stem", env=env)
    _failed(empty, 2, "no rounds stored yet: run `drawwatch check` first")

    assert drawwatch("check", env=env).code == 0
    added = drawwatch(
        "subscribers",
        "add",
        "Sam",
        "--crs",
        "490",
        "--category",
        "stem",
        "--url",
        "json://127.0.0.1:9/x",
        env=env,
    )
    assert added.code == 0, added.stderr
    sam = added.stdout.strip()

    saved = drawwatch("subscribers", "backtest", sam, "--last", "500", "--json", env=env)
    assert saved.code == 0, saved.stderr
    unsaved = drawwatch(
        "subscribers", "backtest", "--crs", "490", "--category", "STEM", "--last", "500", "--json", env=env
    )
    assert unsaved.code == 0, unsaved.stderr
    saved_rows, unsaved_rows = saved.json(), unsaved.json()
    assert len(saved_rows) == len(unsaved_rows) == 438
    assert [row["number"] for row in saved_rows][:3] == ["437", "436", "435"]

    assert _stem_rounds(unsaved_rows) == STEM_2023_24
    assert {number: values[:4] for number, values in _stem_rounds(saved_rows).items()} == {
        number: values[:4] for number, values in STEM_2023_24.items()
    }
    # Sam was added after the (baseline) check stored the rounds: the settings match, the check alerted
    # nobody, and the reason says why; the transient settings "existed" before every round.
    assert (
        _stem_rounds(saved_rows)["274"][4]
        == "eligible via STEM; 9 points above the cut-off; subscribed after this round"
    )
    assert not any(row["alerted"] for row in saved_rows)
    assert all(row["alerted"] == row["would_alert"] for row in unsaved_rows)
    # The command line agrees with itself whichever way the subscriber is given.
    assert [_settings(row) for row in saved_rows] == [_settings(row) for row in unsaved_rows]
    assert [row["would_alert"] for row in saved_rows] == [row["would_alert"] for row in unsaved_rows]
    assert sum(row["would_alert"] for row in saved_rows) == 142  # the 3 STEM rounds' 2 and general rounds

    text = drawwatch("subscribers", "backtest", sam, "--last", "500", env=env)
    assert text.code == 0, text.stderr
    lines = text.stdout.splitlines()
    (line_274,) = [line for line in lines if "#274 " in line]
    assert (
        line_274.startswith("yes") and "2023-12-08" in line_274 and "STEM" in line_274 and "481" in line_274
    )
    (line_293,) = [line for line in lines if "#293 " in line]
    assert line_293.startswith("no") and line_293.endswith("below the cut-off by 1")
    assert "142 of 438 rounds would have alerted Sam" in lines
    assert text.stdout.isascii()

    newest = drawwatch("subscribers", "backtest", sam, env=env)
    assert newest.code == 0 and "would have alerted Sam" in newest.stdout
    assert len([line for line in newest.stdout.splitlines() if line[:3] in ("yes", "no ")]) == 10

    # At #436's cut-off (CEC, 523), submitted a second after its tie-break (2026-08-17 22:09:00 UTC).
    late = drawwatch(
        "subscribers",
        "backtest",
        "--crs",
        "523",
        "--category",
        "cec",
        "--submitted-at",
        "2026-08-17T22:09:01Z",
        "--last",
        "2",
        "--json",
        env=env,
    )
    assert late.code == 0, late.stderr
    assert [(row["number"], row["standing"], row["reason"]) for row in late.json()] == [
        ("437", "clear", "not eligible for French-language proficiency"),
        ("436", "tie_not_invited", "at the cut-off but submitted after the tie-break"),
    ]

    # Nothing the backtests tried was saved.
    listed = drawwatch("subscribers", "list", "--json", env=env)
    assert [row["name"] for row in listed.json()] == ["Sam"]

    _failed(drawwatch("subscribers", "backtest", "7", env=env), 2, "no subscriber with id 7")
    _failed(
        drawwatch("subscribers", "backtest", sam, "--crs", "490", env=env),
        2,
        "give a subscriber ID or --crs/--category/--submitted-at",
    )
    _failed(drawwatch("subscribers", "backtest", env=env), 2, "give a subscriber ID, or --crs N")
    _failed(
        drawwatch("subscribers", "backtest", "--category", "stem", env=env),
        2,
        "--crs N is required without a subscriber ID",
    )
    _failed(
        drawwatch("subscribers", "backtest", sam, "--last", "0", env=env),
        2,
        "--last must be at least 1, got 0",
    )
    _failed(
        drawwatch("subscribers", "backtest", "--crs", "1500", env=env), 2, "crs must be between 0 and 1200"
    )
    _failed(
        drawwatch("subscribers", "backtest", "--crs", "490", "--submitted-at", "yesterday", env=env),
        2,
        "is not an ISO-8601 date and time",
    )
    _failed(
        drawwatch("subscribers", "backtest", "--crs", "490", "--category", "other", env=env), 2, "--category"
    )
