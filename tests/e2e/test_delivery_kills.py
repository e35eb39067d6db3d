"""Faults in the middle of a delivery: no alert is lost, and duplicates stay within the sends in flight.

- 20 SIGKILLs of a delivering ``drawwatch deliver`` at random points (the k-th post reaching the webhook, k
  random from a seeded generator), then a last run. Each killed process is a child of the test suite's fork
  server (:mod:`tests.support.forkserver`): the command line's own entry point, the same code as
  ``python -m drawwatch deliver``, without paying its second of imports twenty times;
- PostgreSQL "stopped" under ``drawwatch run`` (a TCP proxy in front of it, cut and restored);
- another connection holding SQLite's write lock, and a full disk (a small tmpfs), during delivery.

Each counts the posts per alert at the webhook, prints the figures (``pytest -rP`` shows them), and checks
that every alert arrived, that the duplicates are at most the sends in flight at the fault, that no send
started after a failed record, and that every copy of one alert carried its one ``Idempotency-Key``.

A lease's end is brought forward with an UPDATE instead of being waited for (the default lease is five
minutes): it is what the clock would do, and the run after it finds the rows as it would then.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, make_url, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from drawwatch.app.deliver import deliver_due, idempotency_key
from drawwatch.config import Settings
from drawwatch.domain.clock import utcnow
from drawwatch.storage.db import make_engine, session_scope
from drawwatch.storage.matching import queue_round_alerts
from drawwatch.storage.migrate import init_schema
from drawwatch.storage.models import Alert
from drawwatch.storage.sql import ALERT, CHANNEL
from tests.support.commands import ROOT, background, clean_env, drawwatch
from tests.support.databases import open_engine
from tests.support.disks import fill, small_tmpfs
from tests.support.forkserver import fork_server
from tests.support.recorder import Recorder
from tests.support.rows import new_round, new_subscriber
from tests.support.smtp import SmtpServer
from tests.support.tcp_proxy import TcpProxy
from tests.support.webhook import WebhookServer

pytestmark = pytest.mark.slow

CONCURRENCY = 3  # the sends in flight at most, so the bound on duplicates per fault
KILLS = 20
SEED = 16


def delivery_env(database_url: str) -> dict[str, str]:
    return {
        "DRAWWATCH_DATABASE_URL": database_url,
        "DRAWWATCH_FEED_URL": "file:///nonexistent/drawwatch-feed.json",  # the daemon's checks fail at once
        "DRAWWATCH_DELIVERY_CONCURRENCY": str(CONCURRENCY),
        "DRAWWATCH_DELIVERY_BATCH": str(2 * CONCURRENCY),
        "DRAWWATCH_DELIVERY_TIMEOUT": "5",
        "DRAWWATCH_DELIVERY_BACKOFF_SECONDS": "0",
    }


@pytest.fixture
def hook() -> Iterator[WebhookServer]:
    with WebhookServer() as server:
        yield server


def queue_alerts(engine: Engine, urls: list[str]) -> dict[str, str]:
    """One subscriber per URL and one round that alerts them all: URL -> the key every copy sent to that URL
    must carry."""
    with session_scope(engine) as session:
        for n, url in enumerate(urls):
            new_subscriber(session, f"S{n}", urls=[url])
        queue_round_alerts(session, [new_round(session)])
    with session_scope(engine) as session:
        rows = session.exec(  # type: ignore[call-overload]  # a Core select
            sa_select(ALERT.c.id, ALERT.c.created_at, CHANNEL.c.url).join(
                CHANNEL, CHANNEL.c.id == ALERT.c.channel_id
            )
        ).all()
    return {url: idempotency_key(alert, created) for alert, created, url in rows}


def hooks(hook: WebhookServer, count: int) -> list[str]:
    return [hook.url(f"/s{n}") for n in range(count)]


def end_leases(engine: Engine) -> None:
    """Bring every lease's end to the past, as the clock would once it passed (no sender is running)."""
    with session_scope(engine) as session:
        session.exec(
            update(Alert)
            .where(Alert.lease_until.is_not(None))  # type: ignore[union-attr]
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )


def sent_count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(Alert).where(Alert.status == "sent")).one()


def tally(hook: WebhookServer, keys: dict[str, str]) -> tuple[int, int]:
    """(posts, duplicates); fails unless every alert arrived and each post carried its alert's key."""
    posts = hook.requests.snapshot()
    per_url = Counter(hook.url(post.path) for post in posts)
    assert set(per_url) == set(keys), f"never arrived: {sorted(set(keys) - set(per_url))}"
    for post in posts:
        assert post.headers.get("idempotency-key") == keys[hook.url(post.path)], post.path
    return len(posts), len(posts) - len(keys)


def tally_mail(smtp: SmtpServer, keys: dict[str, str]) -> tuple[int, int]:
    """:func:`tally` for e-mail: each copy's ``Message-ID`` is ``<key@example.org>`` (the sender's domain)."""
    mails = smtp.envelopes.snapshot()
    per_url = Counter(smtp.url(to=mail.rcpt_tos[0]) for mail in mails)
    assert set(per_url) == set(keys), f"never arrived: {sorted(set(keys) - set(per_url))}"
    for mail in mails:
        key = keys[smtp.url(to=mail.rcpt_tos[0])]
        assert mail.message.get_all("Message-ID") == [f"<{key}@example.org>"], mail.rcpt_tos
    return len(mails), len(mails) - len(keys)


def wait_for_all(hook: WebhookServer, keys: dict[str, str], timeout: float = 30) -> None:
    """Block until every alert's URL was posted to at least once."""
    while {hook.url(r.path) for r in hook.requests.snapshot()} != set(keys):
        assert hook.requests.reached(len(hook.requests) + 1, timeout), "not every alert arrived in time"


class HeldSmtp(SmtpServer):
    """An SMTP server that, while held, takes a message and keeps its answer back until :meth:`release`."""

    def __init__(self) -> None:
        super().__init__()
        self._answering = threading.Event()
        self._answering.set()

    def hold(self) -> None:
        self._answering.clear()

    def release(self) -> None:
        self._answering.set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)  # recorded now
        await asyncio.to_thread(self._answering.wait, 60)
        return reply


def delivering(env: dict[str, str], *args: str) -> AbstractContextManager[subprocess.Popen[str]]:
    """``drawwatch ARGS`` (``deliver`` by default) in the background; killed if still running at the end."""
    return background(env, *(args or ("deliver",)), stdout=subprocess.DEVNULL)


def report(what: str, **figures: Any) -> None:
    print(f"{what}: " + ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in figures.items()))


# ------------------------------------------------------------------------------------------------- kills


def test_twenty_kills_mid_delivery_lose_nothing_and_duplicate_at_most_the_sends_in_flight(
    tmp_path: Path, hook: WebhookServer
) -> None:
    rng = random.Random(SEED)
    url = f"sqlite:///{tmp_path / 'drawwatch.db'}"
    env = delivery_env(url)
    hook.latency = 0.02  # a provider's round trip, so that kills land while sends are in flight
    per_kill: list[int] = []
    with open_engine(url, schema=True) as engine:
        keys = queue_alerts(engine, hooks(hook, 100))  # at most 4 + 3 marked per run: every run finds work
        server, stderr = fork_server(), tmp_path / "stderr.txt"
        full_env = clean_env({"DRAWWATCH_CONFIG": "", **env})
        for _ in range(KILLS):
            end_leases(engine)
            posts_before, sent_before = len(hook.requests), sent_count(engine)
            k = rng.randint(1, 4)
            stderr.write_text("")
            pid = server.start(["deliver"], full_env, ROOT, Path(os.devnull), stderr)
            reached = hook.requests.reached(posts_before + k, timeout=30)
            os.kill(pid, signal.SIGKILL)
            code = server.wait(pid, timeout=30)
            assert reached and code == -signal.SIGKILL, stderr.read_text()
            assert hook.settle(), "the killed process's last posts were never handled"
            # Posts of this run that were not recorded as sent: each goes out once more later.
            per_kill.append(len(hook.requests) - posts_before - (sent_count(engine) - sent_before))
        left = len(keys) - sent_count(engine)
        end_leases(engine)
        last = drawwatch("deliver", "--json", env=env)  # a last run, to its end
        assert last.code == 0, last.stderr
        assert sent_count(engine) == len(keys)

    posts, duplicates = tally(hook, keys)
    report(
        "20 kills",
        alerts=len(keys),
        left_for_the_last_run=left,
        posts=posts,
        duplicates=duplicates,
        duplicates_per_kill=per_kill,
        most_in_one_kill=max(per_kill),
    )
    assert duplicates == sum(per_kill)
    assert max(per_kill) <= CONCURRENCY


# ----------------------------------------------------------------------------- PostgreSQL under the daemon


class Lines:
    """A process's stderr, line by line, read in a thread (so the pipe never fills) for tests to wait on."""

    def __init__(self, stream: Any) -> None:
        self.lines: Recorder[str] = Recorder()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float = 30) -> str:
        seen = 0
        while True:
            lines = self.lines.snapshot()
            for line in lines[seen:]:
                if text in line:
                    return line
            seen = len(lines)
            assert self.lines.reached(seen + 1, timeout), f"no line with {text!r}: {''.join(lines)[-2000:]}"


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_postgresql_stopped_under_the_daemon_stops_the_batch(database_url: str, hook: WebhookServer) -> None:
    target = make_url(database_url)
    with (
        open_engine(database_url, schema=True) as direct,
        TcpProxy(target.host or "", target.port or 5432) as proxy,
    ):
        keys = queue_alerts(direct, hooks(hook, 8))
        proxied = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        env = {**delivery_env(proxied), "DRAWWATCH_JITTER": "0", "DRAWWATCH_DELIVERY_INTERVAL": "0.5"}
        hook.hold()  # the first sends wait at the webhook while the database goes away
        with delivering(env, "run", "--interval", "1") as proc:
            err = Lines(proc.stderr)
            hook.requests.wait_for(CONCURRENCY, timeout=30)
            proxy.cut()
            hook.release()
            stopped = err.wait_for("delivery stopped")
            at_fault = len(hook.requests)  # every send of the batch has ended: none started after the fault
            end_leases(direct)  # straight to the server, while the daemon cannot reach it
            proxy.restore()
            wait_for_all(hook, keys)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0, "".join(err.lines.snapshot())[-3000:]
        assert sent_count(direct) == len(keys)

    posts, duplicates = tally(hook, keys)
    report("PostgreSQL stopped under the daemon", alerts=len(keys), posts=posts, duplicates=duplicates)
    assert "3 send(s) unrecorded" in stopped and "3 alert(s) not sent" in stopped
    assert at_fault == CONCURRENCY
    assert duplicates <= CONCURRENCY


# ----------------------------------------------------------------------------------- SQLite locked or full


def settings_of(env: dict[str, str]) -> Settings:
    """The settings a process run with ``env`` reads, for an in-process delivery."""
    return Settings(**{name.removeprefix("DRAWWATCH_").lower(): value for name, value in env.items()})  # type: ignore[arg-type]


def short_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
    """Wait 0.3 s for a lock instead of drawwatch's own (10 s): the same failure, sooner."""
    dbapi_connection.execute("PRAGMA busy_timeout=300")


@pytest.mark.parametrize("channel", ["webhook", "e-mail"])
def test_a_sqlite_write_lock_during_delivery_stops_the_batch(
    tmp_path: Path, hook: WebhookServer, channel: str
) -> None:
    path = tmp_path / "drawwatch.db"
    engine = make_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", short_busy_timeout)
    init_schema(engine)
    settings = settings_of(delivery_env(f"sqlite:///{path}"))
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(deliver_due(engine, settings))
        except BaseException as exc:  # the failure is what is tested
            failure.append(exc)

    with HeldSmtp() as smtp:
        if channel == "webhook":
            keys, peer, received = queue_alerts(engine, hooks(hook, 8)), hook, hook.requests
        else:
            urls = [smtp.url(to=f"s{n}@example.org") for n in range(8)]
            keys, peer, received = queue_alerts(engine, urls), smtp, smtp.envelopes  # type: ignore[assignment]
        peer.hold()
        sender = threading.Thread(target=run)
        sender.start()
        received.wait_for(CONCURRENCY, timeout=30)
        locker = sqlite3.connect(path, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")  # another process's write transaction, held through the marks
        peer.release()
        sender.join(timeout=60)
        at_fault = len(received)
        locker.execute("ROLLBACK")
        locker.close()
        try:
            assert len(failure) == 1 and isinstance(failure[0], OperationalError), failure
            assert "locked" in str(failure[0])
            end_leases(engine)
            again = asyncio.run(deliver_due(engine, settings))
            assert sent_count(engine) == len(keys)
        finally:
            engine.dispose()
        copies, duplicates = tally(hook, keys) if channel == "webhook" else tally_mail(smtp, keys)

    report(f"SQLite write lock ({channel})", alerts=len(keys), copies=copies, duplicates=duplicates)
    assert at_fault == CONCURRENCY  # no send started after the first failed record
    assert again.sent == len(keys)  # none was recorded before the lock: the rerun sends them all
    assert duplicates == CONCURRENCY  # each send in flight, once more, with the same key


def test_a_full_disk_during_delivery_stops_the_batch(tmp_path: Path, hook: WebhookServer) -> None:
    with small_tmpfs(tmp_path / "disk", size="4m") as disk:
        url = f"sqlite:///{disk / 'drawwatch.db'}"
        env = delivery_env(url)
        with open_engine(url, schema=True) as engine:
            keys = queue_alerts(engine, hooks(hook, 8))
        hook.hold()
        with delivering(env) as proc:
            hook.requests.wait_for(CONCURRENCY, timeout=30)
            filler = fill(disk)
            hook.release()
            _, err = proc.communicate(timeout=60)
        at_fault = len(hook.requests)
        assert proc.returncode not in (0, None) and "Traceback" not in err, err
        assert "full" in err and "delivery stopped" in err, err
        filler.unlink()
        with open_engine(url) as engine:
            end_leases(engine)
            assert asyncio.run(deliver_due(engine, settings_of(env))).sent == len(keys)
            assert sent_count(engine) == len(keys)

    posts, duplicates = tally(hook, keys)
    report("disk full", alerts=len(keys), posts=posts, duplicates=duplicates)
    assert at_fault == CONCURRENCY
    assert duplicates <= CONCURRENCY
