"""Fixtures of the bot tests: the fake Bot API, and a bot handling updates in-process."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from drawwatch.bot.runner import Bot
from drawwatch.notify.pacing import TelegramPacer
from drawwatch.storage.db import session_scope
from drawwatch.storage.models import (
    BotChat,
    BotReply,
    Subscriber,
    SubscriberCategory,
    SubscriberChannel,
    SubscriberOccupation,
)
from tests.support.databases import open_engine
from tests.support.telegram import TELEGRAM_TOKEN
from tests.support.telegram_bot import FakeBotApi


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        yield server


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    with open_engine(f"sqlite:///{tmp_path / 'drawwatch.db'}", schema=True) as engine:
        yield engine


class Update:
    """Updates built like Telegram's, with increasing ids."""

    def __init__(self) -> None:
        self.next_id = 1

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def text(
        self, chat_id: int, text: str, *, language_code: str = "en", chat_type: str = "private"
    ) -> dict[str, Any]:
        return {
            "update_id": self._id(),
            "message": {
                "message_id": 1,
                "chat": {"id": chat_id, "type": chat_type},
                "from": {"id": chat_id, "is_bot": False, "language_code": language_code},
                "text": text,
            },
        }

    def press(self, chat_id: int, data: str, message_id: int = 7) -> dict[str, Any]:
        return {
            "update_id": self._id(),
            "callback_query": {
                "id": f"cb{self.next_id}",
                "from": {"id": chat_id, "language_code": "en"},
                "message": {"message_id": message_id, "chat": {"id": chat_id, "type": "private"}},
                "data": data,
            },
        }


class OfflineBot:
    """A :class:`Bot` whose updates a test hands over one by one (no HTTP): what each queued as replies."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.bot = Bot(engine, TELEGRAM_TOKEN, api_url="http://127.0.0.1:9", holder="test")
        assert self.bot._lease() is not None
        self.updates = Update()

    def send(self, chat_id: int, text: str, **kwargs: Any) -> list[dict[str, Any]]:
        return self.handle(self.updates.text(chat_id, text, **kwargs))

    def press(self, chat_id: int, data: str, message_id: int = 7) -> list[dict[str, Any]]:
        return self.handle(self.updates.press(chat_id, data, message_id))

    def handle(self, update: dict[str, Any]) -> list[dict[str, Any]]:
        """Handle ``update``; the replies it queued, as ``{"method": …, **payload}``."""
        with session_scope(self.engine) as session:
            before = max([r.id or 0 for r in session.exec(select(BotReply)).all()] or [0])
        assert self.bot.handle_now(update)
        with session_scope(self.engine) as session:
            rows = session.exec(
                select(BotReply).where(col(BotReply.id) > before).order_by(col(BotReply.id))
            ).all()
            return [{"method": row.method, **json.loads(row.payload)} for row in rows]

    def text(self, chat_id: int, text: str, **kwargs: Any) -> str:
        """The text of the one message that answers ``text``."""
        replies = self.send(chat_id, text, **kwargs)
        assert len(replies) == 1, replies
        return str(replies[0]["text"])


@pytest.fixture
def offline(sqlite_engine: Engine) -> OfflineBot:
    return OfflineBot(sqlite_engine)


def stored_state(engine: Engine) -> list[Any]:
    """Every row a command can change (subscribers, their categories, channels, occupations, chats)."""
    with session_scope(engine) as session:
        rows: list[Any] = []
        for model in (Subscriber, SubscriberCategory, SubscriberChannel, SubscriberOccupation, BotChat):
            rows.append(
                sorted(repr(sorted(r.model_dump().items())) for r in session.exec(select(model)).all())
            )
        return rows


class RunningBot:
    """A :class:`Bot` polling the fake in a thread of its own until the end of the ``with`` block."""

    def __init__(self, engine: Engine, base_url: str, **kwargs: Any) -> None:
        kwargs.setdefault("pacer", TelegramPacer())  # not the process's shared one: each test on its own
        self.bot = Bot(engine, TELEGRAM_TOKEN, api_url=base_url, poll_timeout=2, **kwargs)
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.error: BaseException | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def main() -> None:
            self._stop = asyncio.Event()
            self._ready.set()
            await self.bot.run(self._stop)

        try:
            self._loop.run_until_complete(main())
        except BaseException as exc:
            self.error = exc
        finally:
            self._loop.close()

    def __enter__(self) -> RunningBot:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        stop = self._stop
        if stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(stop.set)
        self._thread.join(30)
        assert not self._thread.is_alive(), "the bot did not stop"
        if self.error is not None:
            raise self.error
