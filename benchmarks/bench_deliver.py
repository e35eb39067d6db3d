"""Delivery throughput against plain apprise: the same messages, the same webhook, the same concurrency.

    .venv/bin/python benchmarks/bench_deliver.py [--alerts 10000] [--concurrency 8] [--repeats 3]
                                                 [--latency-ms 0] [--postgres URL | --no-postgres]
                                                 [--drawwatch-python /tmp/before/.venv/bin/python]

The webhook (the test suite's ``json://`` receiver) runs in a process of its own, so its CPU never counts
against a sender. For each database — SQLite, and PostgreSQL at ``--postgres`` (default: the test server at
127.0.0.1:5432 when it accepts connections) — a fresh database gets N subscribers eligible for one new PNP
round and their N alerts queued the way a check does (what the earlier version of this benchmark did); then,
side by side in the same run, alternating which goes first:
- drawwatch: ``deliver_due`` until the outbox is empty, ``delivery_concurrency`` = --concurrency;
- apprise alone: the very messages drawwatch sent (title and body as the webhook received them), each to its
  own URL with a fresh ``Apprise`` object and ``async_notify``, --concurrency at a time.
Each side's wall time and CPU time (this process's, ``time.process_time``: every thread; the PostgreSQL
server's own CPU is not in it) give messages/s and CPU ms per message; the ratios drawwatch/apprise are the
issue's targets: ≥ 80% of apprise's throughput and ≤ 1.5× its CPU per message (issue 17).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import (  # noqa: E402
    PG_DEFAULT,
    Figures,
    add_python_option,
    describe_target,
    load_line,
    pg_reachable,
    run_under,
    scratch_database,
)

Message = tuple[str, str, str]  # (path, title, body)


# --- the webhook, in its own process ---------------------------------------------------------------------


def serve_webhook(latency: float) -> None:
    """The receiver process: prints its port, then answers commands on stdin, one a line:
    ``dump FILE`` writes the JSON documents received since the last dump (one a line, with their path) and
    prints how many; ``quit`` prints its own CPU seconds and stops."""
    from tests.support.webhook import WebhookServer

    with WebhookServer() as hook:
        hook.latency = latency
        print(hook.port, flush=True)
        dumped = 0
        for line in sys.stdin:
            command, _, arg = line.strip().partition(" ")
            if command == "dump":
                received = hook.requests.snapshot()[dumped:]
                dumped += len(received)
                with open(arg, "w") as out:
                    for request in received:
                        out.write(json.dumps({"path": request.path, "body": request.body}) + "\n")
                print(len(received), flush=True)
            elif command == "quit":
                print(time.process_time(), flush=True)
                return


class Webhook:
    def __init__(self, latency: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--webhook-only", str(latency)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.port = int(self._line())
        self._dumps = tempfile.TemporaryDirectory()

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("the webhook process stopped")
        return line.strip()

    def _ask(self, command: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._line()

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def received(self) -> list[Message]:
        """What arrived since the last call: (path, title, body) per message."""
        path = Path(self._dumps.name) / "dump.jsonl"
        self._ask(f"dump {path}")
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        return [(r["path"], r["body"]["title"], r["body"]["message"]) for r in rows]

    def close(self) -> float:
        """Stop the receiver; its CPU seconds."""
        cpu = float(self._ask("quit"))
        self.proc.wait(timeout=30)
        self._dumps.cleanup()
        return cpu


# --- the two senders -----------------------------------------------------------------------------------


def prepare(url: str, hook: Webhook, count: int) -> int:
    """N subscribers eligible for one new PNP round (#437 after #434), their alerts queued as a check does."""
    from drawwatch.scrapers.feed import parse_feed
    from drawwatch.storage.checks import finish_check, start_check
    from drawwatch.storage.db import make_engine, session_scope
    from drawwatch.storage.matching import queue_round_alerts
    from drawwatch.storage.migrate import init_schema
    from drawwatch.storage.rounds import rounds_by_ids, sync_rounds
    from drawwatch.storage.subscribers import SubscriberInput, import_subscribers
    from tests.support.feeds import feed_bytes

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


def timed(send: Callable[[], int]) -> tuple[int, float, float]:
    """(messages sent, wall s, CPU s of this process)."""
    cpu, started = time.process_time(), time.perf_counter()
    sent = send()
    return sent, time.perf_counter() - started, time.process_time() - cpu


def drawwatch_sends(url: str, concurrency: int) -> int:
    from drawwatch.app.deliver import deliver_due
    from drawwatch.config import Settings
    from drawwatch.storage.db import make_engine

    engine = make_engine(url)
    settings = Settings(database_url=url, delivery_concurrency=concurrency, delivery_timeout=10)
    try:
        stats = asyncio.run(deliver_due(engine, settings))
    finally:
        engine.dispose()
    return stats.sent


def apprise_sends(hook: Webhook, messages: list[Message], concurrency: int) -> int:
    """Plain apprise: one Apprise object per message, ``concurrency`` sends in flight."""
    from apprise import Apprise

    async def run() -> int:
        limit = asyncio.Semaphore(concurrency)

        async def one(path: str, title: str, body: str) -> bool:
            async with limit:
                apobj = Apprise()
                apobj.add(hook.url(path))
                with await apobj.async_notify(body=body, title=title, timeout=10) as result:
                    return bool(result)

        return sum(await asyncio.gather(*(one(*m) for m in messages)))

    return asyncio.run(run())


def bench_backend(
    label: str, server: str | None, hook: Webhook, opts: argparse.Namespace, figures: Figures
) -> None:
    messages: list[Message] = []
    for i in range(opts.repeats):
        with scratch_database(server, f"deliver{i}") as url:
            queued = prepare(url, hook, opts.alerts)
            assert queued == opts.alerts, (queued, opts.alerts)
            hook.received()  # nothing yet; resets the dump mark
            sides: list[tuple[str, Callable[[], int]]] = [
                ("drawwatch", lambda url=url: drawwatch_sends(url, opts.concurrency)),
                ("apprise", lambda: apprise_sends(hook, messages, opts.concurrency)),
            ]
            if i % 2 and messages:  # alternate who goes first once apprise has drawwatch's messages
                sides.reverse()
            for side, send in sides:
                sent, wall, cpu = timed(send)
                received = hook.received()
                assert sent == len(received) == opts.alerts, (side, sent, len(received))
                if side == "drawwatch":
                    messages[:] = received  # what apprise sends next
                figures.note(f"{label} {side} msg/s", sent / wall)
                figures.note(f"{label} {side} wall s", wall)
                figures.note(f"{label} {side} cpu s", cpu)
                figures.note(f"{label} {side} cpu ms/msg", 1000 * cpu / sent)
            print(
                f"  {label} repeat {i + 1}: "
                + ", ".join(
                    f"{side} {figures.values[f'{label} {side} msg/s'][-1]:.0f}/s"
                    f" ({figures.values[f'{label} {side} cpu ms/msg'][-1]:.2f} ms CPU/msg)"
                    for side in ("drawwatch", "apprise")
                ),
                flush=True,
            )


def summarise(label: str, figures: Figures) -> str:
    def med(side: str, what: str) -> float:
        return statistics.median(figures.values[f"{label} {side} {what}"])

    def cell(side: str, what: str, digits: int) -> str:
        values = figures.values[f"{label} {side} {what}"]
        low, mid, high = min(values), statistics.median(values), max(values)
        return f"{mid:.{digits}f} ({low:.{digits}f}–{high:.{digits}f})"

    print(f"{label}:")
    print(f"  {'':<16} {'drawwatch':>24} {'apprise alone':>24} {'ratio':>6}")
    for what, digits in (("msg/s", 1), ("wall s", 2), ("cpu s", 2), ("cpu ms/msg", 3)):
        ratio = med("drawwatch", what) / med("apprise", what)
        print(
            f"  {what:<16} {cell('drawwatch', what, digits):>24} {cell('apprise', what, digits):>24} {ratio:>5.2f}x"
        )
    throughput = med("drawwatch", "msg/s") / med("apprise", "msg/s")
    cpu = med("drawwatch", "cpu ms/msg") / med("apprise", "cpu ms/msg")
    verdict = "met" if throughput >= 0.8 and cpu <= 1.5 else "NOT met"
    return (
        f"{label}: drawwatch {med('drawwatch', 'msg/s'):.0f} msg/s vs apprise {med('apprise', 'msg/s'):.0f}"
        f" ({100 * throughput:.0f}%), CPU/msg {cpu:.2f}x; target ≥ 80% and ≤ 1.5x: {verdict}"
    )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--webhook-only":
        serve_webhook(float(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8, help="drawwatch's default delivery_concurrency")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--latency-ms", type=float, default=0, help="webhook answer delay, like a provider's round trip"
    )
    parser.add_argument("--postgres", metavar="URL", help=f"a PostgreSQL server (default {PG_DEFAULT} if up)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    add_python_option(parser)
    opts = parser.parse_args()
    run_under(opts)

    backends: list[tuple[str, str | None]] = [("SQLite", None)]
    postgres = opts.postgres or (PG_DEFAULT if pg_reachable(PG_DEFAULT) else None)
    if postgres and not opts.no_postgres:
        backends.append(("PostgreSQL", postgres))
    print(
        f"delivery: {opts.alerts} alerts, concurrency {opts.concurrency}, webhook latency {opts.latency_ms:g} ms"
        f" (separate process), {opts.repeats} repeats, median (min–max)"
    )
    print(f"  {describe_target()}")
    print(f"  databases: {', '.join(label for label, _ in backends)}; {load_line()}")
    figures = Figures()
    hook = Webhook(opts.latency_ms / 1000)
    try:
        for label, server in backends:
            bench_backend(label, server, hook, opts, figures)
    finally:
        receiver_cpu = hook.close()
    summaries = [summarise(label, figures) for label, _ in backends]
    print(
        f"  (the webhook process used {receiver_cpu:.1f} s CPU, counted against neither side; {load_line()})"
    )
    print("summary: " + " | ".join(summaries))


if __name__ == "__main__":
    main()
