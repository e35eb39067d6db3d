"""``drawwatch run`` as a real subprocess: new rounds alert while it runs, SIGTERM during a check exits 0
with the check completed, feed outages are survived and told to the operator once, and two daemons on one
PostgreSQL database deliver each alert once.
"""

from __future__ import annotations

import signal

import pytest
from sqlmodel import select

from drawwatch.storage.db import session_scope
from drawwatch.storage.models import CheckRun
from tests.support.commands import daemon, drawwatch
from tests.support.databases import SQLITE_ONLY, open_engine, reset_pg_schema
from tests.support.feed_server import FeedServer
from tests.support.feeds import feed_bytes
from tests.support.webhook import WebhookServer

pytestmark = pytest.mark.slow


def base_env(database_url: str, feed: FeedServer) -> dict[str, str]:
    return {
        "DRAWWATCH_DATABASE_URL": database_url,
        "DRAWWATCH_FEED_URL": feed.url,
        "DRAWWATCH_JITTER": "0",
        "DRAWWATCH_DELIVERY_INTERVAL": "1",
        "DRAWWATCH_DELIVERY_BACKOFF_SECONDS": "0",
        "DRAWWATCH_DOWNLOAD_TIMEOUT": "10",
        "DRAWWATCH_RETRY_TIMES": "0",
    }


def checks(database_url: str) -> list[CheckRun]:
    with open_engine(database_url) as engine, session_scope(engine) as session:
        return list(session.exec(select(CheckRun).order_by(CheckRun.id)).all())  # type: ignore[arg-type]


@SQLITE_ONLY
def test_alert_arrives_while_running_and_sigterm_finishes_the_check(database_url: str) -> None:
    with FeedServer() as feed, WebhookServer() as hook:
        env = base_env(database_url, feed)
        feed.serve(feed_bytes(434))
        assert drawwatch("check", env=env).code == 0
        assert (
            drawwatch(
                "subscribers",
                "add",
                "Amira",
                "--crs",
                "390",
                "--category",
                "french",
                "--url",
                hook.url("/amira"),
                env=env,
            ).code
            == 0
        )
        with daemon(env) as proc:
            feed.wait_for_requests(2)  # the daemon is checking
            feed.serve(feed_bytes(437))
            (alert,) = hook.wait_for(1, timeout=60)
            assert "#437" in str(alert)

            # SIGTERM while a check is in flight: the feed answers slowly, the check completes, exit 0.
            feed.state.stall = 3
            seen = len(feed.requests)
            feed.wait_for_requests(seen + 1)
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
        rows = checks(database_url)
        assert all(r.outcome != "running" and r.finished_at is not None for r in rows), [
            r.outcome for r in rows
        ]
        assert rows[-1].outcome in ("unchanged", "not_modified")
        assert len(hook.requests.snapshot()) == 1
        assert "daemon stopped" in err


@SQLITE_ONLY
def test_daemon_survives_outages_and_tells_the_operator_once(database_url: str) -> None:
    with FeedServer() as feed, WebhookServer() as hook:
        env = base_env(database_url, feed) | {
            "DRAWWATCH_ADMIN_URLS": hook.url("/admin"),
            "DRAWWATCH_ADMIN_FAILURE_THRESHOLD": "2",
            "DRAWWATCH_DOWNLOAD_TIMEOUT": "1",
        }
        feed.serve(feed_bytes(434))
        assert drawwatch("check", env=env).code == 0
        drawwatch(
            "subscribers",
            "add",
            "Dee",
            "--crs",
            "900",
            "--category",
            "pnp",
            "--url",
            hook.url("/dee"),
            env=env,
        )
        with daemon(env) as proc:
            feed.wait_for_requests(2)
            seen = len(feed.requests)
            feed.serve(b"busy", status=503)
            feed.wait_for_requests(seen + 2)
            feed.serve(feed_bytes("invalid"))
            feed.wait_for_requests(seen + 4)
            feed.state.stall = 5  # slower than the download timeout: the check gives up and fails
            feed.wait_for_requests(seen + 6)
            assert proc.poll() is None  # still running
            feed.state.stall = 0
            feed.serve(feed_bytes(437))
            hook.wait_for(3, timeout=60)  # outage notice, recovery notice, Dee's alert
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
        paths = [r.path for r in hook.requests.snapshot()]
        assert paths.count("/admin") == 2 and paths.count("/dee") == 1
        admin = [str(r.body) for r in hook.requests.snapshot() if r.path == "/admin"]
        assert "failed 2 checks in a row" in admin[0] and "back" in admin[1]


def test_two_daemons_on_one_postgres_deliver_each_alert_once(request: pytest.FixtureRequest) -> None:
    database_url = request.getfixturevalue("pg_server_url")
    reset_pg_schema(database_url)
    with FeedServer() as feed, WebhookServer() as hook:
        env = base_env(database_url, feed)
        feed.serve(feed_bytes(434))
        assert drawwatch("check", env=env).code == 0
        for i in range(15):
            drawwatch(
                "subscribers",
                "add",
                f"p{i}",
                "--crs",
                "800",
                "--category",
                "pnp",
                "--url",
                hook.url(f"/p{i}"),
                env=env,
            )
        with daemon(env) as one, daemon(env) as two:
            feed.wait_for_requests(3)
            feed.serve(feed_bytes(437))
            hook.wait_for(15, timeout=60)
            seen = len(feed.requests)
            feed.wait_for_requests(seen + 4)  # both daemons have checked again since
            for proc in (one, two):
                proc.send_signal(signal.SIGTERM)
            for proc in (one, two):
                proc.communicate(timeout=60)
                assert proc.returncode == 0
        paths = sorted(r.path for r in hook.requests.snapshot())
        assert paths == sorted(f"/p{i}" for i in range(15))
