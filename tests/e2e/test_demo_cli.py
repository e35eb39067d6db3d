"""A newcomer's first minutes offline: `drawwatch demo`, and the hint a failed first check gives."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from tests.support.commands import drawwatch

pytestmark = pytest.mark.slow

UNREACHABLE = "http://127.0.0.1:9/ee_rounds_123_en.json"  # the discard port: connection refused


def bundled_rounds() -> list[dict[str, str]]:
    feed = resources.files("drawwatch").joinpath("data/feed/ee_rounds_123_en.json").read_bytes()
    return json.loads(feed)["rounds"]


def offline_env(tmp_path: Path) -> dict[str, str]:
    """A user whose real database and feed settings the demo must leave alone (the feed cannot be reached)."""
    return {
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "DRAWWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'real.db'}",
        "DRAWWATCH_FEED_URL": UNREACHABLE,
    }


def test_demo_shows_the_alert_of_the_bundled_newest_round_and_touches_nothing(tmp_path: Path) -> None:
    rounds = bundled_rounds()
    newest = rounds[0]
    run = drawwatch("demo", "--keep", str(tmp_path / "kept"), env=offline_env(tmp_path))
    assert run.code == 0, run.stdout + run.stderr
    assert f"recorded {len(rounds) - 1} historical rounds" in run.stdout
    assert (
        f"#{newest['drawNumber']} {newest['drawDate']}" in run.stdout
    )  # the new round the second check found
    assert "1 queued, 1 sent" in run.stdout
    subject = next(line for line in run.stdout.splitlines() if "Subject:" in line)
    assert f"round #{newest['drawNumber']}" in subject and f"cut-off {newest['drawCRS']}" in subject
    alert = (tmp_path / "kept" / "alert.txt").read_text()
    assert alert.splitlines()[0] == subject.split("Subject: ", 1)[1]
    assert (tmp_path / "kept" / "demo.db").is_file()
    assert not (tmp_path / "real.db").exists()
    assert not (tmp_path / "data").exists()  # no default database either


def test_demo_without_keep_leaves_no_directory_behind(tmp_path: Path) -> None:
    env = offline_env(tmp_path) | {"TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    run = drawwatch("demo", env=env)
    assert run.code == 0, run.stdout + run.stderr
    assert "Subject: You qualify: round" in run.stdout
    assert list((tmp_path / "tmp").iterdir()) == []


def test_demo_refuses_a_keep_directory_that_holds_files(tmp_path: Path) -> None:
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "notes.txt").write_text("mine")
    run = drawwatch("demo", "--keep", str(tmp_path / "kept"), env=offline_env(tmp_path))
    assert run.code == 2 and "is not empty" in run.stderr
    assert [p.name for p in (tmp_path / "kept").iterdir()] == ["notes.txt"]


def test_an_unreachable_feed_says_what_to_try_next(tmp_path: Path) -> None:
    run = drawwatch("check", env=offline_env(tmp_path) | {"DRAWWATCH_RETRY_TIMES": "0"})
    assert run.code == 1
    hint = run.stderr
    assert f"could not be reached at {UNREACHABLE}" in hint
    assert "DRAWWATCH_FEED_URL=file://" in hint and "ee_rounds_123_en.json" in hint
    assert "drawwatch demo" in hint
    bundled = hint.split("DRAWWATCH_FEED_URL=", 1)[1].split()[0]
    assert bundled.startswith("file://") and Path(bundled.removeprefix("file://")).is_file()
