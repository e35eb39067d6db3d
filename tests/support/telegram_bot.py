"""A fake Bot API for the drawwatch bot: :class:`FakeTelegram` plus the bot's side of the API.

``getUpdates`` serves queued updates with Telegram's offset rule (an offset confirms every update below it;
the ones at or above it come again until confirmed) and long-polls (waits up to the request's ``timeout``
for an update to be queued). ``sendMessage``, ``editMessageText`` and ``answerCallbackQuery`` answer like
Telegram; :meth:`FakeBotApi.forbid` makes a chat answer 403 "bot was blocked by the user",
:meth:`FakeBotApi.throttle_method` makes a method answer 429 with ``retry_after``, and
:meth:`FakeBotApi.hold_sends` keeps every ``sendMessage`` answer back (the request is recorded: the test
waits for it, then kills the bot) until :meth:`FakeBotApi.release_sends`.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from tests.support.http_peer import HOLD_LIMIT, Request, Response
from tests.support.recorder import Recorder
from tests.support.telegram import TELEGRAM_TOKEN, FakeTelegram, TelegramCall

SENDING_METHODS = ("sendMessage", "editMessageText")


class FakeBotApi(FakeTelegram):
    def __init__(self, token: str = TELEGRAM_TOKEN) -> None:
        super().__init__(token)
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1000
        self._next_message_id = 1
        self._cond = threading.Condition()
        self.confirmed = 0  # the highest offset a getUpdates asked with
        self._forbidden: set[str] = set()
        self._throttled: dict[str, tuple[int, int]] = {}  # method → (times left, retry_after)
        self._sends_held = threading.Event()
        self._sends_held.set()
        self._closing = False
        self.answered_updates: Recorder[list[int]] = (
            Recorder()
        )  # update ids of each non-empty getUpdates answer

    # --- what a test does -------------------------------------------------------------------------------

    def _queue(self, update: dict[str, Any]) -> int:
        with self._cond:
            update_id = self._next_update_id
            self._next_update_id += 1
            self._updates.append({"update_id": update_id, **update})
            self._cond.notify_all()
            return update_id

    def send_text(
        self, chat_id: int, text: str, *, language_code: str = "en", chat_type: str = "private"
    ) -> int:
        """A user in ``chat_id`` sends ``text``; the update's id."""
        message = {
            "message_id": self._message_id(),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": chat_type},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Test", "language_code": language_code},
            "text": text,
        }
        return self._queue({"message": message})

    def press(self, chat_id: int, message_id: int, data: str, *, language_code: str = "en") -> int:
        """A user taps the inline button ``data`` on message ``message_id``; the update's id."""
        callback = {
            "id": f"cb{self._next_update_id}",
            "from": {"id": chat_id, "is_bot": False, "first_name": "Test", "language_code": language_code},
            "message": {"message_id": message_id, "chat": {"id": chat_id, "type": "private"}, "text": "…"},
            "chat_instance": "1",
            "data": data,
        }
        return self._queue({"callback_query": callback})

    def forbid(self, chat_id: int | str) -> None:
        """Messages to ``chat_id`` answer 403 from now on (the user blocked the bot)."""
        with self._cond:
            self._forbidden.add(str(chat_id))

    def throttle_method(self, method: str, times: int, retry_after: int) -> None:
        with self._cond:
            self._throttled[method] = (times, retry_after)

    def hold_sends(self) -> None:
        self._sends_held.clear()

    def release_sends(self) -> None:
        self._sends_held.set()

    def pending_updates(self) -> int:
        """Updates not yet confirmed by an offset."""
        with self._cond:
            return len(self._updates)

    def wait_confirmed(self, update_id: int, timeout: float = 20.0) -> None:
        """Block until a getUpdates confirmed ``update_id`` (asked with a higher offset)."""
        with self._cond:
            if not self._cond.wait_for(lambda: self.confirmed > update_id, timeout):
                raise AssertionError(f"update {update_id} not confirmed within {timeout}s")

    # --- reading what the bot did -----------------------------------------------------------------------

    def of(self, method: str, chat_id: int | None = None) -> list[TelegramCall]:
        return [
            call
            for call in self.calls.snapshot()
            if call.method == method and (chat_id is None or str(call.payload.get("chat_id")) == str(chat_id))
        ]

    def texts(self, chat_id: int) -> list[str]:
        """What ``chat_id`` was sent or shown (sendMessage and editMessageText texts), in order."""
        return [
            str(call.payload.get("text"))
            for call in self.calls.snapshot()
            if call.method in SENDING_METHODS and str(call.payload.get("chat_id")) == str(chat_id)
        ]

    def wait_texts(self, chat_id: int, count: int, timeout: float = 20.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.texts(chat_id)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"chat {chat_id}: expected {count} message(s), got {found}")
            self.calls.reached(len(self.calls) + 1, min(0.5, max(0.01, deadline - time.monotonic())))

    # --- serving ----------------------------------------------------------------------------------------

    def _message_id(self) -> int:
        with self._cond:
            self._next_message_id += 1
            return self._next_message_id

    def respond(self, request: Request, recorded: TelegramCall | None) -> Response:
        if recorded is None or recorded.token != self.token:
            return super().respond(request, recorded)
        method, payload = recorded.method, recorded.payload
        if method == "getUpdates":
            return self._get_updates(payload)
        with self._cond:
            times, retry_after = self._throttled.get(method, (0, 0))
            if times > 0:
                self._throttled[method] = (times - 1, retry_after)
        if times > 0:
            return Response.json(
                429,
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after}",
                    "parameters": {"retry_after": retry_after},
                },
            )
        if method in SENDING_METHODS and str(payload.get("chat_id")) in self._forbidden:
            return Response.json(
                403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
            )
        if method == "sendMessage":
            self._sends_held.wait(timeout=HOLD_LIMIT)
            answer = super().respond(request, recorded)
            return answer
        if method == "answerCallbackQuery":
            return Response.json(200, {"ok": True, "result": True})
        if method == "editMessageText":
            message = {
                "message_id": payload.get("message_id"),
                "date": int(time.time()),
                "chat": {"id": payload.get("chat_id"), "type": "private"},
                "text": payload.get("text", ""),
            }
            return Response.json(200, {"ok": True, "result": message})
        return super().respond(request, recorded)

    def _get_updates(self, payload: dict[str, Any]) -> Response:
        offset = int(payload.get("offset") or 0)
        timeout = min(float(payload.get("timeout") or 0), 30.0)
        limit = int(payload.get("limit") or 100)
        deadline = time.monotonic() + timeout
        with self._cond:
            self.confirmed = max(self.confirmed, offset)
            self._updates = [update for update in self._updates if update["update_id"] >= offset]
            self._cond.notify_all()
            while not self._updates and not self._closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            result = list(self._updates[:limit])
        return Response.json(200, {"ok": True, "result": result})

    def sent(self, request: Request, response: Response) -> None:
        """A getUpdates answer with updates was written whole: the bot has them (see :attr:`answered_updates`)."""
        if request.path.endswith("/getUpdates") and response.status == 200:
            import json

            result = json.loads(response.body).get("result") or []
            if result:
                self.answered_updates.append([update["update_id"] for update in result])

    def __exit__(self, *exc: Any) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self.release_sends()
        super().__exit__(*exc)
