"""A feed server and the three notification peers, with the environment that points drawwatch at them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.commands import Run, drawwatch
from tests.support.feed_server import FeedServer
from tests.support.smtp import SmtpServer
from tests.support.telegram import FakeTelegram
from tests.support.webhook import WebhookServer


class Stack:
    """A feed server, the three peers, and the environment that points drawwatch at them."""

    def __init__(
        self, database_url: str, feed: FeedServer, smtp: SmtpServer, hook: WebhookServer, tg: FakeTelegram
    ):
        self.feed, self.smtp, self.hook, self.tg = feed, smtp, hook, tg
        self.database_url = database_url
        self.env = {
            "DRAWWATCH_DATABASE_URL": database_url,
            "DRAWWATCH_FEED_URL": feed.url,
            "DRAWWATCH_TELEGRAM_API_URL": tg.base_url,
            "DRAWWATCH_DELIVERY_BACKOFF_SECONDS": "0",
            "DRAWWATCH_DELIVERY_TIMEOUT": "5",
        }
        self.runs: list[Run] = []

    def run(self, *args: str, **env: str) -> Run:
        result = drawwatch(*args, env={**self.env, **env})
        self.runs.append(result)
        return result

    def add(self, name: str, crs: int, *options: str) -> int:
        result = self.run("subscribers", "add", name, "--crs", str(crs), *options)
        assert result.code == 0, result.stderr
        return int(result.stdout.strip())

    def received(self) -> tuple[int, int, int]:
        return len(self.smtp.messages), len(self.hook.requests.snapshot()), len(self.tg.calls.snapshot())


@pytest.fixture
def stack(database_url: str) -> Iterator[Stack]:
    with FeedServer() as feed, SmtpServer() as smtp, WebhookServer() as hook, FakeTelegram() as tg:
        yield Stack(database_url, feed, smtp, hook, tg)
