"""Pacing Telegram sends in advance within the Bot API's limits, and recognising a chat that blocked the bot.

Telegram allows a bot about 30 messages a second overall and one a second to a chat; beyond that it answers
429 with ``parameters.retry_after``. :class:`TelegramPacer` hands out start times (on a monotonic clock)
instead of reacting to 429s: each bot has a grid of slots ``1 / per_second`` apart, and a send takes the
first free slot at or after both "now" and its chat's next allowed time. So no window of one second holds
more than ``per_second`` starts of one bot (slots are that far apart), no chat gets two starts within
``chat_interval``, and a chat's wait never holds other chats back (they take the free slots before it).
:meth:`TelegramPacer.retry_after` pushes the bot's (or only the chat's) next start out when a 429 came anyway.

Pure and synchronous, with the clock injected: callers ``await asyncio.sleep(start - clock())``, or
``await wait_for_slot(pacer, token, chat)``, which also gives up a slot the event loop woke too late for. One
lock makes it safe from several threads; on one event loop no call awaits, so it is safe there as it is.

:func:`telegram_target` reads bot token and chat id out of an apprise ``tgram://`` URL, and
:func:`chat_blocked` says whether a failed send's :class:`~drawwatch.notify.outcomes.ChannelResult` is
Telegram's 403 (the user blocked the bot, deleted the account, or the bot was removed from the chat), after
which the channel must never be tried again.
"""

from __future__ import annotations

import asyncio
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import unquote, urlsplit

from drawwatch.notify.outcomes import ChannelResult

TELEGRAM_PER_SECOND: Final = 30  # messages a bot may send per second (all chats together)
# A little under the limit by default: requests leave on time but reach Telegram with jitter.
DEFAULT_PER_SECOND: Final = 25.0
CHAT_INTERVAL: Final = 1.0  # seconds between two messages to one chat
LATE: Final = 0.1  # seconds after its slot a send may still start
# Slot indices are kept per bot while they are in the future (or just past), so memory stays bounded.
_PRUNE_EVERY: Final = 1024


@dataclass
class _BotSlots:
    taken: set[int] = field(default_factory=set)
    blocked_until: float = 0.0  # a 429 for the whole bot: nothing starts before this
    reservations: int = 0


class TelegramPacer:
    """When each Telegram send may start; see the module docstring.

    ``per_second`` (at most Telegram's 30) spaces one bot's sends; ``chat_interval`` one chat's. ``clock``
    is a monotonic clock in seconds (``time.monotonic`` unless a test injects one)."""

    def __init__(
        self,
        *,
        per_second: float = DEFAULT_PER_SECOND,
        chat_interval: float = CHAT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 < per_second <= TELEGRAM_PER_SECOND:
            raise ValueError(
                f"per_second must be above 0 and at most {TELEGRAM_PER_SECOND}, got {per_second}"
            )
        if chat_interval < 0:
            raise ValueError("chat_interval must not be negative")
        self.interval = 1.0 / per_second
        self.chat_interval = chat_interval
        self.clock = clock
        self._lock = threading.Lock()
        self._bots: dict[str, _BotSlots] = {}
        self._chats: dict[tuple[str, str], float] = {}  # (bot, chat) → earliest next start

    def reserve(self, token: str, chat_id: str | int, *, now: float | None = None) -> float:
        """Reserve the next start for a message from bot ``token`` to ``chat_id``: the clock time at which it
        may start (``now`` or later). Every call reserves a slot: call it once per message actually sent."""
        bot, chat = bot_key(token), str(chat_id)
        with self._lock:
            now = self.clock() if now is None else now
            slots = self._bots.setdefault(bot, _BotSlots())
            earliest = max(now, slots.blocked_until, self._chats.get((bot, chat), now))
            index = math.ceil(earliest / self.interval - 1e-9)
            while index in slots.taken:
                index += 1
            slots.taken.add(index)
            start = max(index * self.interval, earliest)
            self._chats[(bot, chat)] = start + self.chat_interval
            slots.reservations += 1
            if slots.reservations % _PRUNE_EVERY == 0:
                self._prune(bot, slots, now)
            return start

    def delay(self, token: str, chat_id: str | int) -> float:
        """:meth:`reserve` as seconds to wait from now (0 when the send may start at once)."""
        now = self.clock()
        return max(0.0, self.reserve(token, chat_id, now=now) - now)

    def retry_after(
        self, token: str, chat_id: str | int | None, seconds: float, *, now: float | None = None
    ) -> float:
        """Telegram answered 429 with ``retry_after`` = ``seconds``: nothing more to ``chat_id`` (or, when
        ``chat_id`` is None, from the bot at all) before then. Returns the time the wait ends. Slots already
        handed out are not taken back: their senders should reserve again before retrying."""
        bot = bot_key(token)
        with self._lock:
            now = self.clock() if now is None else now
            until = now + max(0.0, seconds)
            if chat_id is None:
                slots = self._bots.setdefault(bot, _BotSlots())
                slots.blocked_until = max(slots.blocked_until, until)
            else:
                key = (bot, str(chat_id))
                self._chats[key] = max(self._chats.get(key, until), until)
            return until

    def missed(self, token: str, chat_id: str | int, start: float) -> None:
        """The send reserved at ``start`` did not go (it woke too late): its chat need not wait a second
        after it. Its bot slot stays taken (it is in the past anyway)."""
        key = (bot_key(token), str(chat_id))
        with self._lock:
            if abs(self._chats.get(key, -1.0) - (start + self.chat_interval)) < 1e-9:
                self._chats[key] = start

    def _prune(self, bot: str, slots: _BotSlots, now: float) -> None:
        floor = math.floor((now - 1.0) / self.interval)
        slots.taken = {index for index in slots.taken if index >= floor}
        stale = [key for key, at in self._chats.items() if key[0] == bot and at < now]
        for key in stale:
            del self._chats[key]


_SHARED: TelegramPacer | None = None
_SHARED_LOCK = threading.Lock()


def shared_pacer() -> TelegramPacer:
    """The process's one pacer (default limits, monotonic clock): what the bot's replies and the delivery
    loop's Telegram alerts both use, so that together they stay within one bot's limits."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = TelegramPacer()
        return _SHARED


async def wait_for_slot(pacer: TelegramPacer, token: str, chat_id: str | int, *, late: float = LATE) -> float:
    """Reserve a start for a message to ``chat_id`` and sleep until it; the start. A start more than ``late``
    seconds past by the time this wakes (a busy event loop) is given up for a fresh one: late starts would
    bunch up with the next slots' messages. Call it right before the request, with nothing awaited between
    (or check ``pacer.clock() - start <= late`` again, as the bot does after claiming a reply)."""
    while True:
        start = pacer.reserve(token, chat_id)
        delay = start - pacer.clock()
        if delay > 0:
            await asyncio.sleep(delay)
        if pacer.clock() - start <= late:
            return start
        pacer.missed(token, chat_id, start)


def bot_key(token: str) -> str:
    """A bot's id, the part of its token before ":" (not a secret); the token itself when it has none."""
    return token.split(":", 1)[0]


# --- Telegram channels -----------------------------------------------------------------------------------

_TELEGRAM_SCHEMES: Final = frozenset({"tgram", "telegram"})


def telegram_target(url: str) -> tuple[str, str] | None:
    """``(bot token, chat id)`` of an apprise ``tgram://TOKEN/CHAT`` URL with exactly one chat; None for
    any other URL (several chats, another service, unparseable)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in _TELEGRAM_SCHEMES:
        return None
    # apprise also accepts tgram://bot123:ABC/… ; the host part then lacks the token's colon and the port
    # holds nothing, so the netloc is read as text.
    token = unquote(parts.netloc)
    if token.lower().startswith("bot"):
        token = token[3:]
    chats = [part for part in parts.path.split("/") if part]
    if not token or len(chats) != 1:
        return None
    return token, unquote(chats[0])


# apprise's Telegram plugin: "Failed to send Telegram notification to 42: Forbidden: bot was blocked by the
# user, error=403." Telegram answers 403 only when the bot may not write to that chat (blocked, account
# deleted, bot kicked from a group): trying again will never help.
_FORBIDDEN_RE: Final = re.compile(
    r"\berror=403\b|\bForbidden: (?:bot was blocked|user is deactivated|bot was kicked)"
)


def chat_blocked(url: str, result: ChannelResult) -> bool:
    """Whether ``result`` (a failed send to ``url``) is Telegram's 403: the chat blocked the bot (or is
    gone), so the channel must be deactivated and never retried."""
    if result.ok or telegram_target(url) is None:
        return False
    return bool(result.error) and _FORBIDDEN_RE.search(result.error or "") is not None


def note_result(pacer: TelegramPacer, url: str, result: ChannelResult) -> bool:
    """After a send to ``url`` (any channel): a Telegram 429 with ``retry_after`` pushes the bot's next slot
    out (flood limits are the bot's); returns :func:`chat_blocked` (True: deactivate the channel, never
    retry). Nothing to do for other channels."""
    target = telegram_target(url)
    if target is None:
        return False
    if result.rate_limited and result.retry_after:
        pacer.retry_after(target[0], None, result.retry_after)
    return chat_blocked(url, result)


__all__ = [
    "CHAT_INTERVAL",
    "DEFAULT_PER_SECOND",
    "LATE",
    "TELEGRAM_PER_SECOND",
    "TelegramPacer",
    "bot_key",
    "chat_blocked",
    "note_result",
    "shared_pacer",
    "telegram_target",
    "wait_for_slot",
]
