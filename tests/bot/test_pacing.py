"""Telegram pacing with an injected clock (no sleeps): at most N starts per bot in any second, one per chat per
second, a chat's wait never holding other chats back, ``retry_after`` pushing slots out; and the 403 test."""

from __future__ import annotations

import asyncio
from collections import Counter
from itertools import pairwise

import pytest

from drawwatch.notify import pacing
from drawwatch.notify.outcomes import ChannelResult
from drawwatch.notify.pacing import TelegramPacer, chat_blocked, telegram_target, wait_for_slot

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
OTHER = "987654321:BBHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def pacer(per_second: float = 30, clock: Clock | None = None) -> TelegramPacer:
    return TelegramPacer(per_second=per_second, clock=clock or Clock())


def max_in_window(starts: list[float], width: float = 1.0) -> int:
    """The most starts in any half-open window [t, t + width)."""
    ordered = sorted(starts)
    best, left = 0, 0
    for right, start in enumerate(ordered):
        while ordered[left] <= start - width + 1e-9:
            left += 1
        best = max(best, right - left + 1)
    return best


@pytest.mark.parametrize(
    ("sends", "expected"),
    [
        # (chat, now) → start, at 10 a second (slots 0.1 apart) from t=1000
        ([("a", 1000.0)], [1000.0]),
        ([("a", 1000.0), ("b", 1000.0), ("c", 1000.0)], [1000.0, 1000.1, 1000.2]),
        ([("a", 1000.0), ("a", 1000.0)], [1000.0, 1001.0]),  # one per chat per second
        ([("a", 1000.0), ("a", 1000.0), ("b", 1000.0)], [1000.0, 1001.0, 1000.1]),  # b is not held back
        ([("a", 1000.05)], [1000.1]),  # the next slot of the grid
        ([("a", 1000.0), ("b", 1005.0)], [1000.0, 1005.0]),  # idle time is not saved up
    ],
)
def test_starts(sends: list[tuple[str, float]], expected: list[float]) -> None:
    paced = pacer(per_second=10)
    got = [paced.reserve(TOKEN, chat, now=now) for chat, now in sends]
    assert got == pytest.approx(expected)


def test_bots_are_paced_apart() -> None:
    paced = pacer(per_second=10)
    assert paced.reserve(TOKEN, "a", now=0) == 0
    assert paced.reserve(OTHER, "a", now=0) == 0  # another bot, the same chat id: its own budget
    assert paced.reserve(TOKEN, "b", now=0) == pytest.approx(0.1)


def test_five_thousand_chats_one_round() -> None:
    clock = Clock(50.0)
    paced = pacer(per_second=25, clock=clock)
    starts = {chat: paced.reserve(TOKEN, chat) for chat in range(5000)}
    assert max_in_window(list(starts.values())) <= 25
    assert max(starts.values()) - 50.0 == pytest.approx(4999 / 25)  # no slot wasted
    # In every second of the clock (integer buckets, as the fake counts), at most 30.
    assert max(Counter(int(start) for start in starts.values()).values()) <= 30


def test_a_mix_of_chats_keeps_both_limits() -> None:
    clock = Clock(0.0)
    paced = pacer(per_second=30, clock=clock)
    starts: dict[int, list[float]] = {}
    for step in range(3000):
        clock.now = step * 0.01  # sends asked for over 30 s, ten chats, some much busier
        chat = step % 10 if step % 3 else 0
        starts.setdefault(chat, []).append(paced.reserve(TOKEN, chat))
    everything = [start for chat_starts in starts.values() for start in chat_starts]
    assert max_in_window(everything) <= 30
    for chat_starts in starts.values():
        gaps = [b - a for a, b in pairwise(chat_starts)]
        assert min(gaps) >= 1.0 - 1e-9


def test_retry_after_for_the_bot_and_for_a_chat() -> None:
    paced = pacer(per_second=10)
    assert paced.retry_after(TOKEN, None, 5, now=100) == 105
    assert paced.reserve(TOKEN, "a", now=100) == pytest.approx(105)
    assert paced.reserve(TOKEN, "b", now=100) == pytest.approx(105.1)
    assert paced.retry_after(TOKEN, "c", 30, now=100) == 130
    assert paced.reserve(TOKEN, "c", now=100) == pytest.approx(130)
    assert paced.reserve(TOKEN, "d", now=100) == pytest.approx(105.2)  # other chats go on


def test_delay_uses_the_clock() -> None:
    clock = Clock(10.0)
    paced = pacer(per_second=10, clock=clock)
    assert paced.delay(TOKEN, "a") == 0
    assert paced.delay(TOKEN, "a") == pytest.approx(1.0)
    clock.now = 10.5
    assert paced.delay(TOKEN, "b") == 0


def test_memory_stays_bounded() -> None:
    clock = Clock(0.0)
    paced = pacer(per_second=30, clock=clock)
    for step in range(20_000):
        clock.now = step / 30
        paced.reserve(TOKEN, step)
    slots = paced._bots[TOKEN.split(":")[0]]
    assert len(slots.taken) < 2100 and len(paced._chats) < 2100


@pytest.mark.parametrize("per_second", [0, -1, 31])
def test_limits_are_checked(per_second: float) -> None:
    with pytest.raises(ValueError, match="per_second"):
        TelegramPacer(per_second=per_second)


@pytest.mark.parametrize(
    ("url", "target"),
    [
        (f"tgram://{TOKEN}/42", (TOKEN, "42")),
        (f"tgram://bot{TOKEN}/-1001234/", (TOKEN, "-1001234")),
        (f"tgram://{TOKEN}/42/43", None),  # several chats
        (f"tgram://{TOKEN}", None),
        ("json://127.0.0.1/x", None),
        ("mailto://a:b@example.org", None),
    ],
)
def test_telegram_target(url: str, target: tuple[str, str] | None) -> None:
    assert telegram_target(url) == target


FAILED = "Failed to send Telegram notification to 42: "
BLOCKED = FAILED + "Forbidden: bot was blocked by the user, error=403."


@pytest.mark.parametrize(
    ("url", "result", "blocked"),
    [
        (f"tgram://{TOKEN}/42", ChannelResult("tgram://…/42", False, "failure", BLOCKED), True),
        (
            f"tgram://{TOKEN}/42",
            ChannelResult(
                "u",
                False,
                "failure",
                FAILED + "Forbidden: user is deactivated, error=403.",
            ),
            True,
        ),
        (
            f"tgram://{TOKEN}/42",
            ChannelResult(
                "u",
                False,
                "failure",
                FAILED + "Too Many Requests: retry after 3, error=429.",
            ),
            False,
        ),
        (
            f"tgram://{TOKEN}/42",
            ChannelResult("u", False, "failure", "Bad Request: chat not found, error=400."),
            False,
        ),
        (f"tgram://{TOKEN}/42", ChannelResult("u", True, "success", None), False),
        ("json://127.0.0.1/x", ChannelResult("u", False, "failure", "error=403."), False),  # not Telegram
    ],
)
def test_chat_blocked(url: str, result: ChannelResult, blocked: bool) -> None:
    assert chat_blocked(url, result) is blocked


def test_wait_for_slot_gives_up_a_slot_it_woke_too_late_for(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(0.0)
    paced = pacer(per_second=10, clock=clock)
    oversleep = [0.5, 0.0, 0.0]  # the first sleep wakes half a second late (a busy loop), the others on time

    async def sleep(seconds: float) -> None:
        clock.now += seconds + oversleep.pop(0)

    monkeypatch.setattr(pacing.asyncio, "sleep", sleep)
    assert paced.reserve(TOKEN, "a", now=0.0) == 0.0
    start = asyncio.run(wait_for_slot(paced, TOKEN, "b"))
    assert start == pytest.approx(0.6) and clock.now == pytest.approx(0.6)  # slot 0.1 given up at 0.6
    assert asyncio.run(wait_for_slot(paced, TOKEN, "c")) == pytest.approx(0.7)
    assert paced.reserve(TOKEN, "b", now=0.6) == pytest.approx(1.6)  # b's second a second after 0.6


def test_note_result() -> None:
    clock = Clock(100.0)
    paced = pacer(per_second=10, clock=clock)
    url = f"tgram://{TOKEN}/42"
    limited = ChannelResult(
        "u", False, "failure", FAILED + "Too Many Requests: retry after 7, error=429.", 7.0, rate_limited=True
    )
    assert not pacing.note_result(paced, url, limited)
    assert paced.reserve(TOKEN, "99") == pytest.approx(107.0)  # the whole bot waits
    assert pacing.note_result(paced, url, ChannelResult("u", False, "failure", BLOCKED))
    assert not pacing.note_result(paced, "json://127.0.0.1/x", limited)  # not Telegram: nothing
    assert paced.reserve(OTHER, "1") == pytest.approx(100.0)
