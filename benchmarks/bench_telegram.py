"""Telegram pacing: 5,000 chats and one round, sent the way the bot paces (``TelegramPacer`` + its aiohttp
client) to the fake Bot API on 127.0.0.1, and what the fake saw.

    .venv/bin/python benchmarks/bench_telegram.py [--chats 5000] [--per-second 25] [--latency-ms 0] [--outbox]

With ``--outbox`` the alerts take the real path instead: 5,000 subscribers, each with a ``tgram://`` channel
to the fake, in a SQLite database; one round queued (``queue_round_alerts``) and sent by ``deliver_due``
(claims, rendering, apprise, the pacer, outcomes recorded), as a check sends them.

Prints the time to deliver every message, the most messages the fake received in one second of its clock
(integer seconds, and any sliding one-second window; Telegram allows 30), the smallest gap between two
messages to one chat (a chat gets one here), and how many chats got other than exactly one. The floor is
chats / per-second seconds (200 s for 5,000 at 25/s): pacing, not the machine, sets the figure. It measures
the pacing and the client, not the outbox: ``drawwatch.app.deliver`` sends alerts through apprise.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


async def send_all(base_url: str, token: str, chats: int, per_second: float) -> float:
    from drawwatch.bot.client import BotApi
    from drawwatch.notify.pacing import TelegramPacer, wait_for_slot

    pacer = TelegramPacer(per_second=per_second)
    started = time.monotonic()
    async with BotApi(token, base_url=base_url, timeout=30) as api:

        async def one(chat: int) -> None:
            await wait_for_slot(pacer, token, chat)
            await api.call("sendMessage", {"chat_id": chat, "text": f"Round 600: cut-off 468 (chat {chat})"})

        await asyncio.gather(*(one(100_000 + chat) for chat in range(chats)))
    return time.monotonic() - started


def send_through_outbox(base_url: str, token: str, chats: int, per_second: float) -> float:
    """The alerts of one round to ``chats`` Telegram subscribers, through the outbox; seconds to send them."""
    import tempfile
    from datetime import timedelta

    from drawwatch.app.deliver import deliver_due
    from drawwatch.config import Settings
    from drawwatch.domain.clock import utcnow
    from drawwatch.notify.pacing import TelegramPacer
    from drawwatch.notify.sending import use_telegram_api
    from drawwatch.storage.db import make_engine, session_scope
    from drawwatch.storage.matching import queue_round_alerts
    from drawwatch.storage.migrate import init_schema
    from drawwatch.storage.subscribers import SubscriberInput, import_subscribers
    from tests.support.rows import new_round

    use_telegram_api(base_url)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/telegram.db"
        engine = make_engine(url)
        init_schema(engine)
        rows = [
            SubscriberInput(
                name=f"chat {c}", crs=500, categories=["stem"], urls=[f"tgram://{token}/{100_000 + c}"]
            )
            for c in range(chats)
        ]
        with session_scope(engine) as session:
            import_subscribers(session, rows)
            queue_round_alerts(
                session, [new_round(session, "600", crs=468, first_seen_at=utcnow() + timedelta(seconds=1))]
            )
        settings = Settings(database_url=url, telegram_api_url=base_url)
        started = time.monotonic()
        stats = asyncio.run(
            deliver_due(
                engine,
                settings,
                now=utcnow() + timedelta(seconds=2),
                pacer=TelegramPacer(per_second=per_second),
            )
        )
        seconds = time.monotonic() - started
        engine.dispose()
    assert stats.sent == chats, stats
    return seconds


def sliding_max(times: list[float]) -> int:
    ordered, best, left = sorted(times), 0, 0
    for right, at in enumerate(ordered):
        while ordered[left] <= at - 1.0:
            left += 1
        best = max(best, right - left + 1)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chats", type=int, default=5000)
    parser.add_argument("--per-second", type=float, default=25.0)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="the fake's answer delay")
    parser.add_argument("--outbox", action="store_true", help="send through the outbox (deliver_due)")
    opts = parser.parse_args()

    from tests.support.telegram_bot import FakeBotApi

    with FakeBotApi() as fake:
        fake.latency = opts.latency_ms / 1000
        if opts.outbox:
            wall = send_through_outbox(fake.base_url, fake.token, opts.chats, opts.per_second)
        else:
            wall = asyncio.run(send_all(fake.base_url, fake.token, opts.chats, opts.per_second))
        calls = fake.of("sendMessage")
    times = [call.at for call in calls]
    per_chat = Counter(str(call.payload["chat_id"]) for call in calls)
    per_second = Counter(int(at) for at in times)
    wrong = sum(1 for chat in range(opts.chats) if per_chat.get(str(100_000 + chat)) != 1)
    path = "through the outbox (deliver_due, apprise)" if opts.outbox else "the bot's client"
    print(
        f"telegram pacing, {path}: {opts.chats} chats, {opts.per_second:g} messages/s, "
        f"fake latency {opts.latency_ms:g} ms"
    )
    print(
        f"  delivered {len(calls)} in {wall:.1f} s ({len(calls) / wall:.1f}/s; "
        f"floor {opts.chats / opts.per_second:.1f} s)"
    )
    print(
        f"  most in one second of the fake's clock: {max(per_second.values())} (sliding window: {sliding_max(times)})"
    )
    gaps = {}
    for call in sorted(calls, key=lambda c: c.at):
        gaps.setdefault(str(call.payload["chat_id"]), []).append(call.at)
    closest = min((b - a for ats in gaps.values() for a, b in itertools.pairwise(ats)), default=None)
    print(f"  chats without exactly one message: {wrong}; closest two to one chat: {closest}")


if __name__ == "__main__":
    main()
