"""A fake Telegram Bot API on the HTTP peer base, which apprise's Telegram plugin is pointed at."""

from __future__ import annotations

import html
import json
import re
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from tests.support.http_peer import HttpPeer, Request, Response
from tests.support.recorder import Recorder

TELEGRAM_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
TELEGRAM_MAX_LENGTH = 4096  # characters of a message's text after entity parsing, in UTF-16 code units
_TAG = re.compile(r"<[^>]*>")


def telegram_text(text: str, parse_mode: str | None) -> str:
    """What a reader sees of a message: the text after entity parsing (HTML: tags dropped, entities decoded)."""
    return html.unescape(_TAG.sub("", text)) if (parse_mode or "").upper() == "HTML" else text


def telegram_length(text: str, parse_mode: str | None) -> int:
    """How the Bot API counts a message: :func:`telegram_text` in UTF-16 code units."""
    return len(telegram_text(text, parse_mode).encode("utf-16-le")) // 2


@dataclass(frozen=True)
class TelegramCall:
    token: str
    method: str
    payload: dict[str, Any]
    at: float = field(default_factory=time.monotonic)  # when the fake received it (monotonic seconds)


class FakeTelegram(HttpPeer[TelegramCall]):
    """A Bot API on 127.0.0.1 that apprise's Telegram plugin is pointed at while the ``with`` block runs.

    ``throttle(times, retry_after)`` makes the next ``times`` calls answer 429 the way Telegram does
    (``parameters.retry_after``), to see what apprise makes of it. Like the real API, a message longer
    than 4,096 characters after entity parsing is refused with 400 "Bad Request: message is too long"
    (recorded in ``calls`` and counted in ``too_long``). Requests outside ``/bot<token>/<method>`` are
    answered 404 and not recorded.
    """

    _path = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>\w+)$")

    def __init__(self, token: str = TELEGRAM_TOKEN) -> None:
        super().__init__()
        self.token = token
        self._too_long = 0
        self._count_lock = threading.Lock()
        self._saved_notify_url: str | None = None

    @property
    def calls(self) -> Recorder[TelegramCall]:
        """The calls received (the peer's ``requests``)."""
        return self.requests

    @property
    def answered_429(self) -> int:
        return self.answered_next

    @property
    def too_long(self) -> int:
        with self._count_lock:
            return self._too_long

    def throttle(self, times: int, retry_after: int) -> None:
        description = f"Too Many Requests: retry after {retry_after}"
        answer = {
            "ok": False,
            "error_code": 429,
            "description": description,
            "parameters": {"retry_after": retry_after},
        }
        self.answer_next(Response.json(429, answer), times)

    def record(self, request: Request) -> TelegramCall | None:
        match = self._path.match(request.path)
        if match is None:
            return None
        try:
            payload = json.loads(request.body)
        except ValueError:
            payload = {"_raw": request.body.decode("utf-8", "replace")}
        return TelegramCall(match["token"], match["method"], payload, at=request.at)

    def respond(self, request: Request, recorded: TelegramCall | None) -> Response:
        if recorded is None:
            return Response.json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        payload = recorded.payload
        text = str(payload.get("text") or "")
        if (
            recorded.method == "sendMessage"
            and telegram_length(text, payload.get("parse_mode")) > TELEGRAM_MAX_LENGTH
        ):
            with self._count_lock:
                self._too_long += 1
            return Response.json(
                400, {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"}
            )
        message = {
            "message_id": len(self.requests),
            "date": int(time.time()),
            "chat": {"id": payload.get("chat_id"), "type": "private"},
            "text": payload.get("text", ""),
        }
        return Response.json(200, {"ok": True, "result": message})

    def wait_for(self, count: int, timeout: float = 10.0) -> list[TelegramCall]:
        return self.requests.wait_for(count, timeout)

    def url(self, chat_id: str | int = "987654321") -> str:
        return f"tgram://{self.token}/{chat_id}"

    def __enter__(self) -> Self:
        from apprise.plugins.telegram import NotifyTelegram

        super().__enter__()
        self._saved_notify_url = NotifyTelegram.notify_url
        NotifyTelegram.notify_url = f"{self.base_url}/bot"
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        from apprise.plugins.telegram import NotifyTelegram

        if self._saved_notify_url is not None:
            NotifyTelegram.notify_url = self._saved_notify_url
        super().__exit__(exc_type, exc, tb)
