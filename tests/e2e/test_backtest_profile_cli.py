"""``drawwatch subscribers backtest`` of a subscriber with a CRS profile, end to end against the real #437
feed copy: each round is judged at the profile's score on that round's date, shown with its rule set (and,
in --json, its breakdown). The profile makes the subscriber 30 on 2026-08-21, after the copy's newest round
(2026-08-19): the rounds are judged at the score before that birthday, whatever the score stored for today.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from drawwatch.cli.crs import load_profile
from drawwatch.domain.crs import score
from tests.e2e.test_profile_subscribers_cli import write_profile
from tests.support.commands import drawwatch
from tests.support.databases import SQLITE_ONLY
from tests.support.feeds import feed_bytes

pytestmark = pytest.mark.slow


@SQLITE_ONLY
def test_backtest_shows_the_profiles_score_on_each_rounds_date(tmp_path: Path, database_url: str) -> None:
    feed = tmp_path / "437.json"
    feed.write_bytes(feed_bytes(437))
    env = {"DRAWWATCH_DATABASE_URL": database_url, "DRAWWATCH_FEED_URL": feed.as_uri()}
    assert drawwatch("check", env=env).code == 0
    profile = write_profile(tmp_path)
    parsed = load_profile(profile)
    added = drawwatch(
        "subscribers",
        "add",
        "Ana",
        "--profile",
        str(profile),
        "--category",
        "french",
        "--url",
        "json://h/x",
        env=env,
    )
    assert added.code == 0, added.stderr
    ana = added.stdout.strip()

    run = drawwatch("subscribers", "backtest", ana, "--last", "3", "--json", env=env)
    assert run.code == 0, run.stderr
    rows = run.json()
    assert [row["number"] for row in rows] == ["437", "436", "435"]
    for row in rows:
        expected = score(parsed, date.fromisoformat(row["date"]))
        assert row["score"] == expected.to_json()  # total, rule set and breakdown of that day
        assert row["subscriber_crs"] == expected.total == row["margin"] + row["crs"]
        assert row["score"]["rules"] == "crs-2025-03-25"

    text = drawwatch("subscribers", "backtest", ana, "--last", "3", env=env)
    assert text.code == 0, text.stderr
    on_437 = score(parsed, date(2026, 8, 19)).total
    assert f"CRS {on_437}  " in text.stdout  # one rule set: named once, under the table
    assert "Scores: the profile's on each round's day, rule set crs-2025-03-25." in text.stdout

    bare = drawwatch("subscribers", "backtest", "--crs", "490", "--last", "3", "--json", env=env)
    assert bare.code == 0 and all("score" not in row for row in bare.json())
