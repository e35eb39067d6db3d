"""Configuration mistakes found when the settings load, and the storage rules that go with them: unknown names in
the environment and the TOML file, the templates folder, the SQLite directory, the note about a new database.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from drawwatch.app.check import CheckSummary
from drawwatch.config import Settings, check_config_file, check_environment, load_settings
from drawwatch.domain.errors import ConfigError, StorageError
from drawwatch.scheduler.daemon import check_trigger, report_hook
from drawwatch.storage.db import make_engine, redact_url, sqlite_file
from drawwatch.storage.migrate import NewDatabase, init_schema
from tests.support.databases import reset_pg_schema


@pytest.fixture(autouse=True)
def no_config_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRAWWATCH_CONFIG", "")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "DRAWWATCH_DATABSE_URL",
            "unknown setting DRAWWATCH_DATABSE_URL (did you mean DRAWWATCH_DATABASE_URL?)",
        ),
        ("drawwatch_feed_ulr", "unknown setting drawwatch_feed_ulr (did you mean DRAWWATCH_FEED_URL?)"),
        ("DRAWWATCH_ADMIN_URL", "unknown setting DRAWWATCH_ADMIN_URL (did you mean DRAWWATCH_ADMIN_URLS?)"),
        ("DRAWWATCH_XYZZY", "unknown setting DRAWWATCH_XYZZY"),
        ("DRAWWATCH_DB_PASWORD", "unknown setting DRAWWATCH_DB_PASWORD"),
    ],
)
def test_unknown_environment_variables_are_named(name: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_environment({name: "x", "PATH": "/bin"})
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "name",
    [
        "DRAWWATCH_CONFIG",
        "DRAWWATCH_TEST_PG_URL",
        "DRAWWATCH_TEST_ANYTHING",
        "DRAWWATCH_DATABASE_URL",
        "drawwatch_jitter",
    ],
)
def test_settings_the_config_path_and_test_variables_are_allowed(name: str) -> None:
    check_environment({name: "x", "OTHER_DRAWWATCH_THING": "y"})


def test_load_settings_checks_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRAWWATCH_RETRY_TIME", "3")
    with pytest.raises(ConfigError, match=r"\(did you mean DRAWWATCH_RETRY_TIMES\?\)"):
        load_settings()


def test_unknown_keys_in_the_settings_file_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "drawwatch.toml"
    config.write_text('feed_url = "https://example.org/f.json"\nDelivery_Timout = 3\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        check_config_file(config)
    assert str(caught.value) == (
        f"unknown setting Delivery_Timout (did you mean delivery_timeout?) in the configuration file {config}"
    )
    monkeypatch.setenv("DRAWWATCH_CONFIG", str(config))
    with pytest.raises(ConfigError, match="unknown setting Delivery_Timout"):
        load_settings()


def test_a_settings_file_that_is_not_toml_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "drawwatch.toml"
    config.write_text("database_url = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        check_config_file(config)


def test_a_correct_settings_file_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "drawwatch.toml"
    config.write_text('Retry_Times = 4\nschedule = ["0 * * * *"]\n', encoding="utf-8")
    monkeypatch.setenv("DRAWWATCH_CONFIG", str(config))
    settings = load_settings()
    assert (settings.retry_times, settings.schedule) == (4, ["0 * * * *"])


def test_the_templates_dir_must_be_an_existing_directory(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(templates_dir=tmp_path / "missing")
    (error,) = caught.value.errors()
    assert error["loc"] == ("templates_dir",)
    assert "does not exist" in error["msg"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValidationError, match="is not a directory"):
        Settings(templates_dir=tmp_path / "file")
    assert Settings(templates_dir=tmp_path).templates_dir == tmp_path
    assert Settings(templates_dir=None).templates_dir is None


def test_a_bad_schedule_is_a_config_error_naming_the_setting() -> None:
    with pytest.raises(ConfigError, match=r"^DRAWWATCH_SCHEDULE: 'bad cron' is not a crontab expression"):
        check_trigger(Settings(schedule=["bad cron"]))


def test_sqlite_file() -> None:
    assert sqlite_file("sqlite:////var/lib/dw.db") == Path("/var/lib/dw.db")
    assert sqlite_file("sqlite://") is None
    assert sqlite_file("sqlite:///:memory:") is None
    assert sqlite_file("postgresql+psycopg://u@h/db") is None


def test_a_missing_sqlite_directory_is_refused_unless_asked_to_create_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'typo-dir' / 'x.db'}"
    for create_dir in (False, None):  # None: only the default location is created
        with pytest.raises(StorageError) as caught:
            make_engine(url, create_dir=create_dir)
        assert str(caught.value) == (
            f"DRAWWATCH_DATABASE_URL: the directory {tmp_path / 'typo-dir'} of {url!r} does not exist "
            "(check the path, or create the directory first)"
        )
        assert not (tmp_path / "typo-dir").exists()
    make_engine(url, create_dir=True).dispose()
    assert (tmp_path / "typo-dir").is_dir()


def test_the_default_location_is_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    from drawwatch.config import default_database_url

    engine = make_engine(default_database_url())
    engine.dispose()
    assert (tmp_path / "data" / "drawwatch").is_dir()


def test_init_schema_says_when_it_created_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        assert init_schema(engine) == NewDatabase(url=f"sqlite:///{path}", path=path)
        assert init_schema(engine) is None
    finally:
        engine.dispose()


def test_init_schema_does_not_announce_an_existing_file_or_memory(tmp_path: Path) -> None:
    path = tmp_path / "touched.db"
    path.touch()
    for url in (f"sqlite:///{path}", "sqlite://"):
        engine = make_engine(url)
        try:
            assert init_schema(engine) is None
        finally:
            engine.dispose()


def test_init_schema_says_when_it_initialised_an_empty_postgresql_database(pg_server_url: str) -> None:
    reset_pg_schema(pg_server_url)
    engine = make_engine(pg_server_url)
    try:
        assert init_schema(engine) == NewDatabase(url=redact_url(pg_server_url), path=None)
        assert init_schema(engine) is None
    finally:
        engine.dispose()


def test_the_report_hook_writes_a_report_when_the_folder_has_none(engine: Engine, tmp_path: Path) -> None:
    out = tmp_path / "site"
    hook = report_hook(Settings(), engine, out)

    def after(summary: CheckSummary) -> None:
        async def main() -> None:
            await hook(summary)

        asyncio.run(main())

    nothing_new = CheckSummary(outcome="unchanged", feed_url="https://example.org/f.json")
    after(nothing_new)
    assert (out / "index.html").is_file()
    (out / "index.html").write_text("kept", encoding="utf-8")
    after(nothing_new)  # a report is there and nothing is new: left alone
    assert (out / "index.html").read_text(encoding="utf-8") == "kept"
    after(CheckSummary(outcome="ok", feed_url="x", new_rounds=[{"drawNumber": "1"}]))
    assert (out / "index.html").read_text(encoding="utf-8") != "kept"


@pytest.mark.parametrize(
    ("value", "stored"), [("info", "INFO"), (" warning ", "WARNING"), ("DEBUG", "DEBUG")]
)
def test_log_level_is_a_level_name(value: str, stored: str) -> None:
    assert Settings(log_level=value).log_level == stored


def test_an_unknown_log_level_is_refused() -> None:
    with pytest.raises(ValidationError, match="must be DEBUG, INFO, WARNING or ERROR"):
        Settings(log_level="loud")
