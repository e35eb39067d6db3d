"""Progress bars on long work, end to end: ``subscribers import`` and the first ``check`` (which records the whole
history of rounds) draw one on stderr when it is a terminal (a pseudo-terminal here), and print nothing extra
when stderr is piped or ``--json`` is given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.commands import drawwatch, run_on_terminal
from tests.support.databases import SQLITE_ONLY
from tests.support.feeds import feed_path
from tests.support.rows import PEOPLE_CSV

pytestmark = [pytest.mark.slow, SQLITE_ONLY]

IMPORT_TEXT = ("Checking", "Storing", "%")
CHECK_TEXT = ("Recording the history of rounds", "%")


def test_import_draws_a_bar_on_a_terminal_only(tmp_path: Path, database_url: str) -> None:
    env = {"DRAWWATCH_DATABASE_URL": database_url}
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE_CSV, encoding="utf-8")

    code, out, err = run_on_terminal("subscribers", "import", str(path), env=env)
    assert code == 0, err
    assert out == f"imported {path}: 3 added, 0 updated, 0 unchanged\n"
    assert "Checking people.csv" in err and "Storing" in err and "100%" in err

    code, out, err = run_on_terminal("subscribers", "import", "--json", str(path), env=env)
    assert code == 0, err
    assert json.loads(out)["unchanged"] == 3
    assert not any(text in err for text in IMPORT_TEXT), err

    piped = drawwatch("subscribers", "import", str(path), env=env)
    assert piped.stdout == f"imported {path}: 0 added, 0 updated, 3 unchanged\n"
    assert not any(text in piped.stderr for text in IMPORT_TEXT), piped.stderr


def test_the_first_check_draws_a_bar_on_a_terminal_and_later_checks_do_not(
    tmp_path: Path, database_url: str
) -> None:
    env = {"DRAWWATCH_DATABASE_URL": database_url, "DRAWWATCH_FEED_URL": feed_path(434).as_uri()}

    code, out, err = run_on_terminal("check", "--no-deliver", env=env)
    assert code == 0, err
    assert "Recording the history of rounds" in err and "100%" in err
    assert "First check" in out + err  # the summary still follows, after the bar

    env["DRAWWATCH_FEED_URL"] = feed_path(437).as_uri()  # newer rounds: a normal check
    code, _, err = run_on_terminal("check", "--no-deliver", env=env)
    assert code == 0, err
    assert not any(text in err for text in CHECK_TEXT), err


@pytest.mark.parametrize("on_terminal", [False, True], ids=["piped", "terminal-json"])
def test_the_first_check_piped_or_with_json_prints_no_progress(
    tmp_path: Path, database_url: str, on_terminal: bool
) -> None:
    env = {"DRAWWATCH_DATABASE_URL": database_url, "DRAWWATCH_FEED_URL": feed_path(437).as_uri()}

    if on_terminal:
        code, out, err = run_on_terminal("check", "--no-deliver", "--json", env=env)
    else:
        run = drawwatch("check", "--no-deliver", "--json", env=env)
        code, out, err = run.code, run.stdout, run.stderr
        piped = drawwatch("check", "--no-deliver", env={**env, "DRAWWATCH_DATABASE_URL": database_url + "-2"})
        assert piped.code == 0 and not any(text in piped.stdout + piped.stderr for text in CHECK_TEXT)

    assert code == 0, err
    assert json.loads(out)["baseline"] is True
    assert not any(text in err for text in CHECK_TEXT), err
