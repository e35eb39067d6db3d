"""A small Telegram Bot API client over aiohttp: ``getUpdates`` long polling and the few methods the bot uses.

Why a client of our own over aiohttp instead of a Bot API library: the bot needs four methods
(``getUpdates``, ``sendMessage``, ``editMessageText``, ``answerCallbackQuery``) and exact control over what a
failure means (429 with ``retry_after``, 403, an answer that never came), which the outbox relies on; a library
would add a dependency and its own retry and update-dispatch loop beside ours. aiohttp is already installed
with Scrapy (a hard requirement of it) and is async, so the long poll runs on the daemon's event loop and is
cancelled at once on stop, with no thread parked in a 25-second request. requests (apprise's) would need one.

The base URL is ``DRAWWATCH_TELEGRAM_API_URL`` (a self-hosted Bot API server, or the tests' fake) or
api.telegram.org. The token is part of every request path: it never appears in an error or log line here
(:meth:`BotApi.redacted`).
"""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any, Final, Self

import aiohttp

DEFAULT_API_URL: Final = "https://api.telegram.org"
UPDATE_TYPES: Final = ("message", "callback_query")


class BotApiError(Exception):
    """The Bot API answered ``ok: false`` (or not JSON): ``status`` is the HTTP status, ``retry_after`` the
    seconds a 429 asked to wait. ``sent`` is False when the request certainly did not reach the chat
    (every error answer); a request that got no answer raises :class:`BotApiUnanswered` instead."""

    def __init__(self, method: str, status: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"{method}: HTTP {status}: {description}")
        self.method = method
        self.status = status
        self.description = description
        self.retry_after = retry_after

    @property
    def forbidden(self) -> bool:
        """403: the chat blocked the bot (or is gone); never retry."""
        return self.status == 403

    @property
    def rate_limited(self) -> bool:
        return self.status == 429


class BotApiUnanswered(Exception):
    """The request may have left and no answer came (timeout, connection lost): it may have arrived."""


class BotApiUnreachable(Exception):
    """The request certainly did not leave (connection refused, DNS failure): safe to retry."""


class BotApi:
    """One bot's Bot API client; ``async with`` it (it owns one aiohttp session)."""

    def __init__(self, token: str, *, base_url: str | None = None, timeout: float = 20.0) -> None:
        self._token = token
        self.base_url = (base_url or DEFAULT_API_URL).rstrip("/")
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def bot_id(self) -> str:
        return self._token.split(":", 1)[0]

    @property
    def token(self) -> str:
        return self._token

    def redacted(self, text: str) -> str:
        """``text`` with the token masked (aiohttp quotes URLs in its errors)."""
        return text.replace(self._token, f"{self.bot_id}:***") if self._token else text

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession(
            headers={"Content-Type": "application/json"}, raise_for_status=False
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, method: str, payload: dict[str, Any], *, timeout: float | None = None) -> Any:
        """Call ``method`` with a JSON body; its ``result``. Raises :class:`BotApiError` for an error answer,
        :class:`BotApiUnanswered` or :class:`BotApiUnreachable` when no answer came."""
        if self._session is None:
            raise RuntimeError("BotApi used outside 'async with'")
        url = f"{self.base_url}/bot{self._token}/{method}"
        limit = aiohttp.ClientTimeout(total=timeout or self.timeout, sock_connect=min(10.0, self.timeout))
        body = json.dumps(payload, ensure_ascii=False).encode()
        try:
            async with self._session.post(url, data=body, timeout=limit) as response:
                raw = await response.read()
                status = response.status
        except (aiohttp.ClientConnectorError, aiohttp.InvalidURL) as exc:
            raise BotApiUnreachable(self.redacted(f"{method}: {type(exc).__name__}: {exc}")) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise BotApiUnanswered(self.redacted(f"{method}: {type(exc).__name__}: {exc}")) from None
        try:
            answer = json.loads(raw)
        except ValueError:
            raise BotApiError(method, status, "the answer is not JSON") from None
        if not isinstance(answer, dict) or not answer.get("ok") or status != 200:
            answer = answer if isinstance(answer, dict) else {}
            parameters = answer.get("parameters") or {}
            retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
            raise BotApiError(
                method,
                int(answer.get("error_code") or status),
                self.redacted(str(answer.get("description") or "no description")),
                float(retry_after) if isinstance(retry_after, (int, float)) else None,
            )
        return answer.get("result")

    async def get_updates(self, offset: int, *, timeout: int = 25, limit: int = 100) -> list[dict[str, Any]]:
        """Long-poll for updates at or above ``offset`` (which confirms every one below it to Telegram),
        waiting up to ``timeout`` seconds for one to come."""
        payload = {
            "offset": offset,
            "timeout": timeout,
            "limit": limit,
            "allowed_updates": list(UPDATE_TYPES),
        }
        result = await self.call("getUpdates", payload, timeout=timeout + self.timeout)
        return [update for update in result or [] if isinstance(update, dict)]


__all__ = [
    "DEFAULT_API_URL",
    "UPDATE_TYPES",
    "BotApi",
    "BotApiError",
    "BotApiUnanswered",
    "BotApiUnreachable",
]
