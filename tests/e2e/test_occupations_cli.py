"""Subscribers defined by occupation, end to end: ``--noc 21231:14`` (software engineer) is eligible for
STEM rounds under the 2023–24 lists, not under 2025–26 ones, and never for a healthcare round.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tests.support.commands import drawwatch
from tests.support.databases import SQLITE_ONLY
from tests.support.feeds import feed_body, feed_bytes, feed_document
from tests.support.webhook import WebhookServer

pytestmark = pytest.mark.slow


def synthetic_feed(path: Path) -> Path:
    """The #434 copy plus two invented rounds dated 2024: STEM at 481 and Healthcare at 470."""
    data = feed_document(434)
    template = data["rounds"][0]
    made = []
    for number, day, name, crs in (
        ("436", "2024-05-02", "Healthcare occupations (Version 1)", "470"),
        ("435", "2024-05-01", "STEM occupations (Version 1)", "481"),
    ):
        round_ = copy.deepcopy(template)
        round_.update(
            drawNumber=number,
            drawDate=day,
            drawName=name,
            drawCRS=crs,
            drawSize="3,000",
            drawDateFull="",
            drawCutOff="April 1, 2024 at 10:00:00 UTC",
            drawDateTime=f"{day} at 15:00:00 UTC",
        )
        made.append(round_)
    data["rounds"] = made + data["rounds"]
    path.write_bytes(feed_body(data))
    return path


@SQLITE_ONLY
def test_software_engineer_gets_the_2024_stem_round_only(tmp_path: Path, database_url: str) -> None:
    with WebhookServer() as hook:
        env = {
            "DRAWWATCH_DATABASE_URL": database_url,
            "DRAWWATCH_FEED_URL": (tmp_path / "434.json").as_uri(),
        }
        (tmp_path / "434.json").write_bytes(feed_bytes(434))
        assert drawwatch("check", env=env).code == 0
        added = drawwatch(
            "subscribers",
            "add",
            "Sam",
            "--crs",
            "490",
            "--noc",
            "21231:14",
            "--url",
            hook.url("/sam"),
            env=env,
        )
        assert added.code == 0, added.stderr
        today = drawwatch("subscribers", "show", added.stdout.strip(), "--json", env=env).json()
        assert "stem" not in today["categories"]  # 21231 left the STEM list in 2025

        env["DRAWWATCH_FEED_URL"] = synthetic_feed(tmp_path / "new.json").as_uri()
        run = drawwatch("check", "--json", env=env)
        assert run.code == 0, run.stderr
        assert run.json()["alerts"] == {
            "queued": 1,
            "corrections": 0,
            "sent": 1,
            "failed": 0,
            "dead": 0,
            "ambiguous": 0,
        }
        (alert,) = hook.wait_for(1)
        text = str(alert)
        assert "#435" in text and "481" in text and "21231" in text and "Version 1" in text
        assert "#436" not in text

        bad = drawwatch(
            "subscribers", "add", "X", "--crs", "400", "--noc", "2123:1", "--url", hook.url(), env=env
        )
        assert bad.code == 2 and "5 digits" in bad.stderr
