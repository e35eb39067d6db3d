"""Commands import only what their path needs: ``drawwatch --help`` and a command's ``--help`` load neither the
database nor the crawler nor the senders, and an unchanged check loads no report or migration machinery.

Each case runs the real command line in a fresh interpreter and lists, at exit, which of the heavy packages
it imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.commands import ROOT, clean_env, drawwatch
from tests.support.feed_server import FeedServer
from tests.support.feeds import feed_bytes

HEAVY = ("apprise", "scrapy", "twisted", "sqlalchemy", "sqlmodel", "alembic", "jinja2", "matplotlib")

# Runs ``drawwatch ARGS`` as ``python -m drawwatch`` does, then prints (at exit, whatever the exit status)
# the heavy top-level packages in sys.modules as JSON on the last line of stderr.
PROBE = """
import atexit, json, runpy, sys
heavy = set(sys.argv[1].split(","))
atexit.register(lambda: print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & heavy)), file=sys.stderr))
sys.argv = ["drawwatch", *sys.argv[2:]]
runpy.run_module("drawwatch", run_name="__main__", alter_sys=True)
"""


def imported_by(*args: str, env: dict[str, str] | None = None) -> tuple[int, list[str], str]:
    """(exit status, heavy packages imported, stdout) of ``drawwatch ARGS``."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(HEAVY), *args],
        env=clean_env({"DRAWWATCH_CONFIG": "", **(env or {})}),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    return proc.returncode, json.loads(proc.stderr.strip().splitlines()[-1]), proc.stdout


@pytest.mark.parametrize("args", [("--help",), ("check", "--help"), ("run", "--help"), ("--version",)])
def test_help_and_version_import_no_database_crawler_or_sender(args: tuple[str, ...]) -> None:
    code, heavy, stdout = imported_by(*args)
    assert code == 0
    assert stdout  # the help or the version was printed
    assert heavy == []


def test_the_group_help_still_lists_every_command() -> None:
    code, _, stdout = imported_by("--help")
    assert code == 0
    for command in ("check", "run", "health", "deliver", "subscribers", "alerts", "db", "report", "demo"):
        assert f"  {command} " in stdout


@pytest.mark.slow
def test_an_unchanged_check_imports_no_report_or_migration_machinery(tmp_path: Path) -> None:
    with FeedServer() as server:
        server.serve(feed_bytes(434))
        env = {"DRAWWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'dw.db'}", "DRAWWATCH_FEED_URL": server.url}
        assert drawwatch("check", "--no-deliver", env=env).code == 0  # the first check creates the schema

        code, heavy, stdout = imported_by("check", "--json", env=env)

    assert code == 0
    assert json.loads(stdout)["outcome"] == "not_modified"
    assert "matplotlib" not in heavy  # only a report draws charts
    assert "alembic" not in heavy  # the database is at the head revision: one SELECT, no Alembic
    assert "apprise" not in heavy and "jinja2" not in heavy  # nothing was due: nothing rendered or sent
    assert {"scrapy", "sqlalchemy"} <= set(heavy)  # what a check does need
