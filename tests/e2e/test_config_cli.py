"""Configuration mistakes through the real command line: exit status 2 and one line naming the setting, never a
traceback; the note a command prints when it creates a database; ``run --report-dir`` writing a report at start.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from drawwatch.storage.db import redact_url
from tests.support.commands import Run, daemon, drawwatch
from tests.support.databases import reset_pg_schema
from tests.support.feeds import feed_path

pytestmark = pytest.mark.slow


def refused(run: Run, message: str) -> None:
    """Exit 2, nothing on stdout, and exactly ``message`` as the one line on stderr."""
    assert "Traceback" not in run.stderr, run.stderr
    assert (run.code, run.stdout, run.stderr) == (2, "", message + "\n")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "DRAWWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'dw.db'}",
        "DRAWWATCH_FEED_URL": feed_path(434).as_uri(),
        "DRAWWATCH_JITTER": "0",
    }


def test_a_bad_schedule_stops_run_before_the_reactor_starts(env: dict[str, str], tmp_path: Path) -> None:
    run = drawwatch("run", env={**env, "DRAWWATCH_SCHEDULE": "bad cron"}, timeout=60)
    assert "Traceback" not in run.stderr, run.stderr
    assert run.code == 2, run.stderr
    assert run.stderr.startswith("error: DRAWWATCH_SCHEDULE: 'bad cron' is not a crontab expression: ")
    assert run.stderr.count("\n") == 1, run.stderr
    assert not (tmp_path / "dw.db").exists()  # refused before the database was touched


def test_an_empty_schedule_is_refused_too(env: dict[str, str]) -> None:
    refused(
        drawwatch("run", env={**env, "DRAWWATCH_SCHEDULE": " ; "}, timeout=60),
        "error: DRAWWATCH_SCHEDULE is empty: give at least one crontab expression or an interval",
    )


@pytest.mark.parametrize("command", [["check"], ["health"], ["run"], ["subscribers", "list"], ["deliver"]])
def test_a_missing_templates_dir_is_a_setting_error_for_every_command(
    command: list[str], env: dict[str, str], tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-templates"
    refused(
        drawwatch(*command, env={**env, "DRAWWATCH_TEMPLATES_DIR": str(missing)}, timeout=60),
        f"error: invalid setting DRAWWATCH_TEMPLATES_DIR: '{missing}' does not exist: "
        "give the folder that holds the template overrides",
    )


def test_a_templates_dir_that_is_a_file_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    a_file = tmp_path / "templates.txt"
    a_file.write_text("not a folder")
    refused(
        drawwatch("check", env={**env, "DRAWWATCH_TEMPLATES_DIR": str(a_file)}),
        f"error: invalid setting DRAWWATCH_TEMPLATES_DIR: '{a_file}' is not a directory: "
        "give the folder that holds the template overrides",
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "DRAWWATCH_DATABSE_URL",
            "error: unknown setting DRAWWATCH_DATABSE_URL (did you mean DRAWWATCH_DATABASE_URL?)",
        ),
        (
            "DRAWWATCH_SCHEDUEL",
            "error: unknown setting DRAWWATCH_SCHEDUEL (did you mean DRAWWATCH_SCHEDULE?)",
        ),
        ("DRAWWATCH_XYZZY", "error: unknown setting DRAWWATCH_XYZZY"),
    ],
)
def test_a_misspelt_environment_variable_is_refused(
    name: str, message: str, env: dict[str, str], tmp_path: Path
) -> None:
    refused(drawwatch("subscribers", "list", env={**env, name: "x"}), message)
    assert not (tmp_path / "dw.db").exists()


def test_the_config_path_and_the_test_suites_variables_are_allowed(env: dict[str, str]) -> None:
    run = drawwatch(
        "subscribers",
        "list",
        "--json",
        env={**env, "DRAWWATCH_CONFIG": "", "DRAWWATCH_TEST_PG_URL": "postgresql+psycopg://x@127.0.0.1/t"},
    )
    assert (run.code, run.stdout.strip()) == (0, "[]"), run.stderr


def test_an_unknown_key_in_the_settings_file_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "drawwatch.toml"
    config.write_text('databse_url = "sqlite:///elsewhere.db"\n', encoding="utf-8")
    refused(
        drawwatch("subscribers", "list", env={**env, "DRAWWATCH_CONFIG": str(config)}),
        f"error: unknown setting databse_url (did you mean database_url?) in the configuration file {config}",
    )


def test_known_keys_in_the_settings_file_still_work(tmp_path: Path) -> None:
    config = tmp_path / "drawwatch.toml"
    config.write_text(f'database_url = "sqlite:///{tmp_path / "from-toml.db"}"\n', encoding="utf-8")
    run = drawwatch("subscribers", "list", "--json", env={"DRAWWATCH_CONFIG": str(config)})
    assert run.code == 0, run.stderr
    assert (tmp_path / "from-toml.db").is_file()


def test_a_missing_sqlite_directory_is_refused_and_not_created(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'typo-dir' / 'x.db'}"
    refused(
        drawwatch("subscribers", "list", env={"DRAWWATCH_DATABASE_URL": url}),
        f"error: DRAWWATCH_DATABASE_URL: the directory {tmp_path / 'typo-dir'} of '{url}' does not exist "
        "(check the path, or create the directory first)",
    )
    assert not (tmp_path / "typo-dir").exists()


def test_the_default_location_is_created_and_the_new_database_announced_once(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}  # platformdirs' user data dir on Linux
    path = tmp_path / "data" / "drawwatch" / "drawwatch.db"
    first = drawwatch("subscribers", "list", "--json", env=env)
    assert (first.code, first.stdout.strip()) == (0, "[]"), first.stderr
    assert first.stderr == f"drawwatch: created a new database at {path}\n"
    again = drawwatch("subscribers", "list", "--json", env=env)
    assert (again.code, again.stderr) == (0, "")


def test_a_new_sqlite_database_is_announced_once(env: dict[str, str], tmp_path: Path) -> None:
    first = drawwatch("health", env=env)
    assert first.code == 1  # no check yet
    assert first.stderr == f"drawwatch: created a new database at {tmp_path / 'dw.db'}\n"
    assert "created a new database" not in drawwatch("health", env=env).stderr


def test_an_existing_empty_sqlite_file_is_not_announced(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "dw.db").touch()  # exists before the command: nothing was created
    run = drawwatch("subscribers", "list", "--json", env=env)
    assert (run.code, run.stderr) == (0, "")


def test_an_empty_postgresql_database_is_announced_once(pg_server_url: str) -> None:
    reset_pg_schema(pg_server_url)
    env = {"DRAWWATCH_DATABASE_URL": pg_server_url}
    first = drawwatch("subscribers", "list", "--json", env=env)
    assert first.code == 0, first.stderr
    assert first.stderr == f"drawwatch: initialised an empty database at {redact_url(pg_server_url)}\n"
    assert drawwatch("subscribers", "list", "--json", env=env).stderr == ""


def test_run_writes_the_report_at_start_when_the_folder_has_none(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "site"
    index = out / "index.html"
    with daemon(env, "--report-dir", str(out)) as proc:
        deadline = time.monotonic() + 60
        while not index.is_file() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert index.is_file(), "no report after the first check (a baseline check finds no *new* rounds)"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
