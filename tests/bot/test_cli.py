"""``drawwatch bot`` on the command line: its help loads nothing heavy, a missing token is a usage error that
names the setting, and the daemon's entry point refuses to start without one."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine

from drawwatch.bot.runner import bot_task, run_bot
from drawwatch.config import Settings
from drawwatch.domain.errors import ConfigError
from tests.cli.test_lazy_imports import imported_by
from tests.support.commands import drawwatch


def test_help_imports_nothing_heavy() -> None:
    code, heavy, stdout = imported_by("bot", "--help")
    assert code == 0 and "Telegram bot" in stdout
    assert heavy == []


def test_bot_is_listed() -> None:
    code, _, stdout = imported_by("--help")
    assert code == 0 and "  bot " in stdout


def test_a_missing_token_is_a_usage_error(tmp_path: object) -> None:
    run = drawwatch("bot", env={"DRAWWATCH_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert run.code == 2
    assert "DRAWWATCH_TELEGRAM_BOT_TOKEN is not set" in run.stderr


def test_the_daemon_entry_point_needs_a_token(sqlite_engine: Engine) -> None:
    with pytest.raises(ConfigError, match="DRAWWATCH_TELEGRAM_BOT_TOKEN"):
        bot_task(Settings(telegram_bot_token=None), sqlite_engine)
    with pytest.raises(ConfigError):
        asyncio.run(run_bot(Settings(telegram_bot_token="  "), sqlite_engine, stop=asyncio.Event()))


def test_the_token_is_a_secret() -> None:
    settings = Settings(telegram_bot_token="123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
    assert "AAHdq" not in repr(settings) and "AAHdq" not in str(settings.model_dump())
