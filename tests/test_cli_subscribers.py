"""Subscriber settings of issue 7 through the command line: quiet hours, unsubscribe codes, alert retries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from drawwatch import cli as cli_module
from drawwatch.cli import cli
from drawwatch.domain.vocabulary import ALERT_STATUSES
from drawwatch.domain.vocabulary import SUBSCRIBABLE_KEYS as SUBSCRIBABLE_CATEGORIES


@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {"DRAWWATCH_CONFIG": "", "DRAWWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'dw.db'}"}

    def invoke(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, list(args), env=env)
        return result.exit_code, result.output

    # The first command creates the database and says so on stderr: do it here, so outputs are the commands'.
    assert "created a new database" in CliRunner().invoke(cli, ["subscribers", "list"], env=env).output
    return invoke


HOOK = "json://127.0.0.1:9/hook"


@pytest.mark.parametrize(
    ("options", "code", "expected"),
    [
        (
            ["--quiet-hours", "22:00-07:00", "--timezone", "America/Toronto"],
            0,
            "22:00-07:00 (America/Toronto)",
        ),
        (["--quiet-hours", "7:30-9:00", "--timezone", "Asia/Kolkata"], 0, "07:30-09:00 (Asia/Kolkata)"),
        (["--timezone", "Europe/Paris"], 0, "Quiet hours:  none"),
        ([], 0, "Quiet hours:  none"),
        (["--quiet-hours", "22:00-07:00"], 2, "quiet hours need the subscriber's time zone"),
        (["--quiet-hours", "22h-7h", "--timezone", "UTC"], 2, "quiet hours must look like 22:00-07:00"),
        (["--quiet-hours", "22:00-07:00", "--timezone", "Toronto"], 2, "unknown time zone 'Toronto'"),
    ],
)
def test_quiet_hours_on_add(run, options: list[str], code: int, expected: str) -> None:  # type: ignore[no-untyped-def]
    added, out = run("subscribers", "add", "Ana", "--crs", "480", "--url", HOOK, *options)
    assert added == code, out
    if code:
        assert expected in out and "Traceback" not in out
        assert run("subscribers", "list", "--json")[1].strip() == "[]"  # nothing stored
        return
    assert expected in run("subscribers", "show", out.strip())[1]


def test_quiet_hours_on_edit(run) -> None:  # type: ignore[no-untyped-def]
    _, new_id = run(
        "subscribers", "add", "Ana", "--crs", "480", "--url", HOOK, "--timezone", "America/Toronto"
    )
    sid = new_id.strip()
    assert run("subscribers", "edit", sid, "--quiet-hours", "23:00-06:30")[0] == 0  # the saved zone is used
    shown = json.loads(run("subscribers", "show", sid, "--json")[1])
    assert (shown["quiet_hours"], shown["timezone"]) == ("23:00-06:30", "America/Toronto")
    code, out = run("subscribers", "edit", sid, "--timezone", "")
    assert code == 2 and "quiet hours need the subscriber's time zone" in out
    assert run("subscribers", "edit", sid, "--quiet-hours", "")[0] == 0
    shown = json.loads(run("subscribers", "show", sid, "--json")[1])
    assert (shown["quiet_hours"], shown["timezone"]) == (None, "America/Toronto")


def test_show_gives_the_unsubscribe_command(run) -> None:  # type: ignore[no-untyped-def]
    _, new_id = run("subscribers", "add", "Ana", "--crs", "480", "--url", HOOK)
    token = json.loads(run("subscribers", "show", new_id.strip(), "--json")[1])["unsubscribe_token"]
    assert len(token) >= 32
    assert f"drawwatch subscribers unsubscribe {token}" in run("subscribers", "show", new_id.strip())[1]
    assert token not in run("subscribers", "list", "--json")[1]  # listings do not spread it around


def test_retrying_an_unknown_alert_says_so(run) -> None:  # type: ignore[no-untyped-def]
    code, out = run("alerts", "retry", "41")
    assert code == 1 and "Left alone: 41" in out


def _choices(command: click.Command, option: str) -> tuple[str, ...]:
    param = next(p for p in command.params if p.name == option)
    assert isinstance(param.type, click.Choice)
    return tuple(param.type.choices)


def test_the_cli_knows_every_outbox_status() -> None:
    alerts = cli_module.cli.commands["alerts"]
    assert isinstance(alerts, click.Group)
    assert _choices(alerts.commands["list"], "status") == ALERT_STATUSES


def test_the_cli_offers_exactly_the_subscribable_categories() -> None:
    subscribers = cli_module.cli.commands["subscribers"]
    assert isinstance(subscribers, click.Group)
    assert _choices(subscribers.commands["backtest"], "categories") == SUBSCRIBABLE_CATEGORIES


def test_starting_the_cli_does_not_load_the_orm() -> None:
    """Every command pays for what ``drawwatch.cli`` imports: storage loads when a command needs it."""
    probe = "import sys, drawwatch.cli; print(sorted(m for m in ('sqlmodel', 'drawwatch.storage') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_edit_replaces_occupations_and_the_french_level(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    code, out = run("subscribers", "add", "Dana", "--crs", "480", "--noc", "21231:14", "--url", HOOK)
    assert code == 0, out
    subscriber_id = out.strip()
    code, out = run("subscribers", "edit", subscriber_id, "--noc", "31100:24", "--nclc-french", "8")
    assert code == 0, out
    with sqlite3.connect(tmp_path / "dw.db") as db:
        occupations = db.execute("SELECT noc, months FROM subscriber_occupation").fetchall()
        (nclc,) = db.execute("SELECT nclc_french FROM subscriber WHERE id = ?", (subscriber_id,)).fetchone()
    assert occupations == [("31100", 24)] and nclc == 8
