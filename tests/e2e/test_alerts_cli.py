"""Alerts end to end: the real command line, real feed copies, and real local peers (an aiosmtpd SMTP
server, a json:// webhook, a fake Telegram Bot API), on SQLite and PostgreSQL.

From the #434 copy to the #437 copy three rounds are new: #435 PNP (cut-off 760), #436 CEC (523, tie-break
2026-08-17 22:09:00 UTC) and #437 French (382).
"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import update

from drawwatch.domain.clock import utcnow
from drawwatch.storage.db import make_engine, session_scope
from drawwatch.storage.models import Alert
from tests.e2e.stack import Stack
from tests.support.commands import ROOT
from tests.support.databases import SQLITE_ONLY
from tests.support.feeds import feed_bytes
from tests.support.ports import free_port
from tests.support.smtp import SmtpServer
from tests.support.telegram import TELEGRAM_TOKEN

pytestmark = pytest.mark.slow


def delivered(sent: int = 0, failed: int = 0, dead: int = 0) -> dict[str, int]:
    """``deliver --json`` output when nothing waited, went unanswered or was cancelled."""
    return {"sent": sent, "failed": failed, "dead": dead, "ambiguous": 0, "deferred": 0, "cancelled": 0}


HOOK_PASSWORD = "hook-pass-8d1f"


@SQLITE_ONLY
def test_new_rounds_alert_exactly_the_eligible_once(stack: Stack) -> None:
    stack.feed.serve(feed_bytes(434))
    assert stack.run("check").code == 0  # baseline: history, no alerts

    hook_url = stack.hook.url("/hook", userinfo=f"drawwatch:{HOOK_PASSWORD}")
    stack.add("Amira", 390, "--category", "french", "--url", stack.smtp.url(to="amira@example.org"))
    stack.add("Bo", 523, "--category", "cec", "--url", hook_url)  # at the cut-off, submission time unknown
    stack.add("Chen", 523, "--category", "cec", "--url", hook_url, "--submitted-at", "2026-08-18T00:00:00Z")
    stack.add("Dee", 900, "--category", "pnp", "--category", "stem", "--url", stack.tg.url("555"))
    stack.add("Eve", 380, "--category", "french", "--url", hook_url)  # 2 points short
    stack.add("Fay", 800, "--category", "stem", "--url", hook_url)  # no STEM round
    gone = stack.add("Gus", 900, "--category", "pnp", "--category", "cec", "--url", hook_url)
    assert stack.run("subscribers", "remove", str(gone)).code == 0

    stack.feed.serve(feed_bytes(437))
    run = stack.run("check", "--json")
    assert run.code == 0, run.stderr
    summary = run.json()
    assert {r["number"] for r in summary["new_rounds"]} == {"435", "436", "437"}
    assert summary["alerts"] == {
        "queued": 3,
        "corrections": 0,
        "sent": 3,
        "failed": 0,
        "dead": 0,
        "ambiguous": 0,
    }

    (mail,) = stack.smtp.wait_for(1)
    assert mail["To"] == "amira@example.org"
    assert "#437" in mail["Subject"]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "382" in body and "390" in body and "8 points" in body

    (hook,) = stack.hook.wait_for(1)
    text = str(hook)
    assert "#436" in text and "523" in text
    assert "tie" in text.lower()  # the caveat at exactly the cut-off

    (tg,) = stack.tg.wait_for(1)
    assert tg.token == TELEGRAM_TOKEN and tg.payload["chat_id"] in ("555", 555)
    assert "#435" in tg.payload["text"] and "760" in tg.payload["text"]

    # Again: nothing new, nothing re-sent.
    again = stack.run("check", "--json")
    assert again.json()["alerts"] == {
        "queued": 0,
        "corrections": 0,
        "sent": 0,
        "failed": 0,
        "dead": 0,
        "ambiguous": 0,
    }
    assert stack.received() == (1, 1, 1)

    alerts = stack.run("alerts", "list", "--json").json()
    assert sorted((a["round"], a["status"], a["attempts"]) for a in alerts) == [
        ("435", "sent", 1),
        ("436", "sent", 1),
        ("437", "sent", 1),
    ]

    # CDN flapping: an older copy without the three rounds, then the newer one again: no alert twice.
    stack.feed.serve(feed_bytes(434))
    assert stack.run("check").code == 0
    stack.feed.serve(feed_bytes(437))
    flap = stack.run("check", "--json").json()
    assert flap["new_rounds"] == [] and flap["alerts"]["queued"] == 0
    assert stack.received() == (1, 1, 1)

    listed = stack.run("subscribers", "list", "--json").json()
    assert len(listed) == 7
    stack.run("-vv", "deliver")
    for result in stack.runs:  # no secret in any output, even at debug verbosity
        for secret in (HOOK_PASSWORD, TELEGRAM_TOKEN, TELEGRAM_TOKEN.split(":")[1]):
            assert secret not in result.stdout and secret not in result.stderr


@SQLITE_ONLY
def test_smtp_down_then_up_is_retried_and_delivered_once(stack: Stack) -> None:
    port = free_port()
    stack.feed.serve(feed_bytes(434))
    stack.run("check")
    down = f"mailto://127.0.0.1:{port}?mode=insecure&from=drawwatch@example.org&to=amira@example.org"
    stack.add("Amira", 390, "--category", "french", "--url", down)
    stack.feed.serve(feed_bytes(437))
    first = stack.run("check", "--json").json()
    assert first["alerts"] == {
        "queued": 1,
        "corrections": 0,
        "sent": 0,
        "failed": 1,
        "dead": 0,
        "ambiguous": 0,
    }

    with SmtpServer(port=port) as smtp:
        retry = stack.run("deliver", "--json")
        assert retry.json() == delivered(sent=1, failed=0, dead=0)
        assert stack.run("deliver", "--json").json() == delivered(sent=0, failed=0, dead=0)
        assert len(smtp.wait_for(1)) == 1 and len(smtp.messages) == 1
    (alert,) = stack.run("alerts", "list", "--json").json()
    assert (alert["status"], alert["attempts"]) == ("sent", 2)


@SQLITE_ONLY
def test_failing_webhook_goes_dead_and_the_operator_is_told(stack: Stack) -> None:
    env = {"DRAWWATCH_DELIVERY_MAX_ATTEMPTS": "3", "DRAWWATCH_ADMIN_URLS": stack.hook.url("/admin")}
    stack.feed.serve(feed_bytes(434))
    stack.run("check", **env)
    stack.add("Amira", 390, "--category", "french", "--url", stack.hook.url("/broken"))
    stack.hook.status_for["/broken"] = 500
    stack.feed.serve(feed_bytes(437))
    assert stack.run("check", "--json", **env).json()["alerts"]["failed"] == 1
    assert stack.run("deliver", "--json", **env).json() == delivered(sent=0, failed=1, dead=0)
    assert stack.run("deliver", "--json", **env).json() == delivered(sent=0, failed=0, dead=1)
    assert stack.run("deliver", "--json", **env).json() == delivered(sent=0, failed=0, dead=0)

    requests = stack.hook.requests.snapshot()
    admin = [r for r in requests if r.path == "/admin"]
    assert len(admin) == 1 and "undeliverable" in str(admin[0].body)
    assert len([r for r in requests if r.path == "/broken"]) == 3
    (alert,) = stack.run("alerts", "list", "--status", "dead", "--json").json()
    assert alert["attempts"] == 3 and "500" in (alert["last_error"] or "")


def test_killed_sender_claim_is_delivered_after_the_lease_not_twice(stack: Stack) -> None:
    stack.feed.serve(feed_bytes(434))
    stack.run("check")
    stack.add("Amira", 390, "--category", "french", "--url", stack.smtp.url())
    stack.feed.serve(feed_bytes(437))
    assert stack.run("check", "--no-deliver", "--json").json()["alerts"]["queued"] == 1

    # A real sender process claims the alert and is killed before it sends or marks anything.
    script = (
        "import os, signal\n"
        "from drawwatch.storage.db import make_engine, session_scope\n"
        "from drawwatch.storage.outbox import claim_due\n"
        f"engine = make_engine({stack.database_url!r})\n"
        "with session_scope(engine) as s:\n"
        "    assert len(claim_due(s, worker='doomed', lease_seconds=300)) == 1\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env={"PYTHONPATH": str(ROOT)}, check=False
    )
    assert killed.returncode == -9

    assert stack.run("deliver", "--json").json()["sent"] == 0  # still leased to the dead process
    engine = make_engine(stack.database_url)
    try:
        with session_scope(engine) as session:  # the lease runs out
            session.exec(update(Alert).values(lease_until=utcnow() - timedelta(seconds=1)))  # type: ignore[call-overload]
    finally:
        engine.dispose()
    assert stack.run("deliver", "--json").json()["sent"] == 1
    assert stack.run("deliver", "--json").json()["sent"] == 0
    assert len(stack.smtp.wait_for(1)) == 1 and len(stack.smtp.messages) == 1


def test_two_checks_at_once_send_no_duplicates(stack: Stack) -> None:
    stack.feed.serve(feed_bytes(434))
    stack.run("check")
    for i in range(20):
        stack.add(f"p{i}", 800, "--category", "pnp", "--url", stack.hook.url(f"/p{i}"))
    stack.feed.serve(feed_bytes(437))
    env = {**stack.env, "PYTHONPATH": str(ROOT), "DRAWWATCH_CONFIG": ""}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "drawwatch", "check", "--json"],
            env=env,
            cwd=ROOT,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    stack.hook.wait_for(20)
    paths = sorted(r.path for r in stack.hook.requests.snapshot())
    assert paths == sorted(f"/p{i}" for i in range(20))  # each subscriber exactly once
    alerts = stack.run("alerts", "list", "--limit", "0", "--json").json()
    assert len(alerts) == 20 and {a["status"] for a in alerts} == {"sent"}
