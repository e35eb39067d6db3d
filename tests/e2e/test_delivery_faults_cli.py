"""Slow and throttling services end to end: Telegram's 429 ``retry_after`` is waited out by the daemon and
the message arrives once; a webhook that accepts a request but answers after the timeout is *ambiguous*:
never resent by drawwatch itself, reported to the operator, resent only on ``alerts retry``; and a lease
that cannot cover a batch is refused before anything is touched (the faults themselves: test_delivery_kills).
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.e2e.stack import Stack
from tests.support.commands import daemon, drawwatch
from tests.support.feeds import feed_bytes

# What is tested here is the channel and delivery layers; the outbox rows they move are tested on both
# databases in tests/storage and tests/notify, so these slow subprocess tests run on SQLite only.
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
RETRY_AFTER = 3


def test_the_daemon_waits_out_telegrams_retry_after_and_sends_once(stack: Stack) -> None:
    stack.feed.serve(feed_bytes(434))
    assert stack.run("check").code == 0
    stack.add("Dee", 900, "--category", "pnp", "--url", stack.tg.url("555"))
    stack.tg.throttle(1, retry_after=RETRY_AFTER)
    env = {**stack.env, "DRAWWATCH_JITTER": "0", "DRAWWATCH_DELIVERY_INTERVAL": "0.5"}

    with daemon(env) as proc:
        stack.feed.serve(feed_bytes(437))
        throttled, delivered = stack.tg.wait_for(2, timeout=60)
        # More checks and delivery passes go by: nothing is sent again.
        stack.feed.wait_for_requests(len(stack.feed.requests) + 3)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err

    assert stack.tg.answered_429 == 1
    assert delivered.at - throttled.at >= RETRY_AFTER
    assert throttled.payload["text"] == delivered.payload["text"] and "#435" in delivered.payload["text"]
    assert len(stack.tg.calls.snapshot()) == 2
    (alert,) = stack.run("alerts", "list", "--json").json()
    assert (alert["status"], alert["attempts"]) == ("sent", 1)  # waiting was not a failed try


def test_an_answer_after_the_timeout_is_ambiguous_and_not_resent(stack: Stack) -> None:
    stack.feed.serve(feed_bytes(434))
    assert stack.run("check").code == 0
    stack.add("Bo", 530, "--category", "cec", "--url", stack.hook.url("/bo"))
    env = {"DRAWWATCH_DELIVERY_TIMEOUT": "1", "DRAWWATCH_ADMIN_URLS": stack.smtp.url(to="ops@example.org")}
    stack.feed.serve(feed_bytes(437))

    stack.hook.hold()  # the webhook takes the request, then answers only after drawwatch stopped waiting
    summary = stack.run("check", "--json", **env).json()
    stack.hook.release()

    assert summary["alerts"]["ambiguous"] == 1 and summary["alerts"]["sent"] == 0
    assert len(stack.hook.requests.wait_for(1)) == 1  # it did arrive
    (told,) = stack.smtp.wait_for(1)
    assert "may not have arrived" in told["Subject"]
    (alert,) = stack.run("alerts", "list", "--status", "ambiguous", "--json").json()
    assert "no answer" in alert["last_error"]

    # Later runs, a delivery and a check, leave it alone.
    assert stack.run("deliver", "--json", **env).json()["sent"] == 0
    assert stack.run("check", "--json", **env).json()["alerts"]["sent"] == 0
    assert len(stack.hook.requests.snapshot()) == 1
    assert len(stack.smtp.messages) == 1  # the operator was told once

    # The operator learns it did not arrive after all, and resends it.
    retry = stack.run("alerts", "retry", str(alert["id"]))
    assert retry.code == 0, retry.stderr
    assert stack.run("deliver", "--json").json()["sent"] == 1
    assert len(stack.hook.requests.wait_for(2)) == 2
    assert stack.run("alerts", "retry", str(alert["id"])).code == 1  # sent now: nothing to retry


@pytest.mark.parametrize("command", [("deliver",), ("run", "--interval", "60"), ("check", "--json")])
def test_a_lease_too_short_for_a_batch_is_refused_at_start(
    database_url: str, command: tuple[str, ...]
) -> None:
    env = {
        "DRAWWATCH_DATABASE_URL": database_url,
        "DRAWWATCH_FEED_URL": "file:///nonexistent/feed.json",
        "DRAWWATCH_DELIVERY_LEASE_SECONDS": "120",  # 100 alerts, 8 at a time: 13 x 20 s + 30 s = 290 s
    }
    refused = drawwatch(*command, env=env, timeout=60)

    assert refused.code == 2
    assert refused.stdout == ""
    assert refused.stderr.splitlines() == [
        "error: DRAWWATCH_DELIVERY_LEASE_SECONDS (120) is too short for a batch: 100 alert(s) "
        "(DRAWWATCH_DELIVERY_BATCH) sent 8 at a time (DRAWWATCH_DELIVERY_CONCURRENCY) take up to 13 x 20 s "
        "(DRAWWATCH_DELIVERY_TIMEOUT), plus 30 s margin: set it above 290, or send smaller batches"
    ]
    assert not database_url.startswith("sqlite:///") or not Path(database_url[10:]).exists()  # untouched
