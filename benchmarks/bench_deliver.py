"""Delivery throughput: 2,000 alerts to a local json:// webhook, sequential vs concurrent sends.

    .venv/bin/python benchmarks/bench_deliver.py [--alerts 2000] [--concurrency 1 8 32] [--latency-ms 50]

For each concurrency it builds a fresh database with N subscribers eligible for one new PNP round, queues
their alerts the way a check does, then times ``deliver_due`` until the outbox is empty. Prints alerts per
second per setting and the ratio to sequential.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import reset_pg  # noqa: E402
from drawwatch.app.deliver import deliver_due  # noqa: E402
from drawwatch.config import Settings  # noqa: E402
from drawwatch.scrapers.feed import parse_feed  # noqa: E402
from drawwatch.storage.checks import finish_check, start_check  # noqa: E402
from drawwatch.storage.db import make_engine, session_scope  # noqa: E402
from drawwatch.storage.matching import queue_round_alerts  # noqa: E402
from drawwatch.storage.migrate import init_schema  # noqa: E402
from drawwatch.storage.rounds import rounds_by_ids, sync_rounds  # noqa: E402
from drawwatch.storage.subscribers import SubscriberInput, import_subscribers  # noqa: E402
from tests.support.feeds import feed_bytes  # noqa: E402
from tests.support.webhook import WebhookServer  # noqa: E402


def prepare(url: str, hook: WebhookServer, count: int) -> int:
    engine = make_engine(url)
    init_schema(engine)
    old, new = parse_feed(feed_bytes(434)).rounds, parse_feed(feed_bytes(437)).rounds
    with session_scope(engine) as s:
        check = start_check(s, "bench")
        sync_rounds(s, old, check=check)
        finish_check(s, check, outcome="ok")
    rows = [SubscriberInput(f"s{i}", 800, ["pnp"], [hook.url(f"/s{i}")]) for i in range(count)]
    with session_scope(engine) as s:
        import_subscribers(s, rows)
    with session_scope(engine) as s:
        check = start_check(s, "bench")
        result = sync_rounds(s, new, check=check)
        queued = queue_round_alerts(s, rounds_by_ids(s, result.new_ids))
        finish_check(s, check, outcome="ok")
    engine.dispose()
    return queued


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--alerts", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--database-url", help="default: a fresh SQLite file per setting")
    parser.add_argument(
        "--latency-ms", type=float, default=50, help="webhook answer delay, like a real provider's round trip"
    )
    opts = parser.parse_args()

    rates: dict[int, float] = {}
    with WebhookServer() as hook, tempfile.TemporaryDirectory() as tmp:
        hook.latency = opts.latency_ms / 1000
        print(f"{opts.alerts} alerts, webhook latency {opts.latency_ms:g} ms")
        for concurrency in opts.concurrency:
            url = opts.database_url or f"sqlite:///{tmp}/deliver{concurrency}.db"
            if opts.database_url:
                reset_pg(url)
            queued = prepare(url, hook, opts.alerts)
            engine = make_engine(url)
            settings = Settings(database_url=url, delivery_concurrency=concurrency, delivery_timeout=10)
            before = len(hook.requests.snapshot())
            started = time.perf_counter()
            stats = asyncio.run(deliver_due(engine, settings))
            seconds = time.perf_counter() - started
            received = len(hook.requests.snapshot()) - before
            engine.dispose()
            assert stats.sent == queued == received == opts.alerts, (stats, queued, received)
            rates[concurrency] = stats.sent / seconds
            rate = rates[concurrency]
            print(f"concurrency {concurrency:>3}: {stats.sent} alerts in {seconds:6.2f} s = {rate:7.1f}/s")
    base = rates.get(1)
    if base:
        for concurrency, rate in rates.items():
            print(f"  ratio concurrency {concurrency} / sequential: {rate / base:.2f}x")


if __name__ == "__main__":
    main()
