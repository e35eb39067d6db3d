"""Every try of one alert carries one key, so a receiver can drop the copy a crash can cause: a webhook's
``Idempotency-Key`` header, an e-mail's ``Message-ID``, checked at real peers (a local HTTP receiver, aiosmtpd).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from drawwatch.app.deliver import deliver_due, idempotency_key
from drawwatch.config import Settings
from drawwatch.domain.clock import utcnow
from drawwatch.notify.message import RenderedMessage
from drawwatch.notify.sending import IDEMPOTENCY_HEADER, send_sync
from drawwatch.storage.db import session_scope
from drawwatch.storage.matching import queue_round_alerts
from drawwatch.storage.models import Alert
from tests.support.rows import new_round, new_subscriber
from tests.support.smtp import SmtpServer
from tests.support.webhook import WebhookServer

KEY = "drawwatch-alert-17-3f9a2c1b0d4e"
MESSAGE = RenderedMessage(
    subject="Round #437", text="Round #437: you were invited.", html="<p>Round #437</p>"
)


@pytest.mark.parametrize(
    ("scheme", "query"),
    [
        ("json", ""),
        ("form", ""),
        ("xml", ""),
        ("json", "?+X-Team=ops"),  # the URL's own headers stay and the key joins them
    ],
)
def test_a_webhook_post_carries_the_key_header(hook: WebhookServer, scheme: str, query: str) -> None:
    url = f"{scheme}://127.0.0.1:{hook.port}/in{query}"

    [result] = send_sync([url], MESSAGE, timeout=5, key=KEY)

    assert result.ok, result.error
    [request] = hook.requests.wait_for(1)
    assert request.headers[IDEMPOTENCY_HEADER.lower()] == KEY
    assert KEY not in result.url  # not part of the URL the logs show
    if query:
        assert request.headers["x-team"] == "ops"


def test_a_header_the_url_sets_itself_is_left_alone(hook: WebhookServer) -> None:
    [result] = send_sync([hook.url("/in") + "?+Idempotency-Key=mine"], MESSAGE, timeout=5, key=KEY)
    assert result.ok, result.error
    assert hook.requests.wait_for(1)[0].headers["idempotency-key"] == "mine"


def test_without_a_key_no_header_is_added(hook: WebhookServer) -> None:
    [result] = send_sync([hook.url("/in")], MESSAGE, timeout=5)
    assert result.ok, result.error
    assert "idempotency-key" not in hook.requests.wait_for(1)[0].headers


@pytest.mark.parametrize(
    ("sender", "message_id"),
    [
        ("drawwatch@example.org", f"<{KEY}@example.org>"),
        ("alerts@mail.example.net", f"<{KEY}@mail.example.net>"),
    ],
)
def test_an_email_carries_the_key_as_its_message_id_on_every_try(
    smtp: SmtpServer, sender: str, message_id: str
) -> None:
    url = smtp.url(sender=sender)
    first = send_sync([url], MESSAGE, timeout=5, key=KEY)
    again = send_sync([url], MESSAGE, timeout=5, key=KEY)
    other = send_sync([url], MESSAGE, timeout=5)

    assert all(r.ok for r in first + again + other)
    mails = smtp.wait_for(3)
    assert [m.get_all("Message-ID") for m in mails[:2]] == [[message_id], [message_id]]
    assert (
        len(mails[2].get_all("Message-ID") or []) == 1 and mails[2]["Message-ID"] != message_id
    )  # apprise's own


@pytest.mark.parametrize(
    ("alert_id", "created_at", "same_as_first"),
    [
        (17, datetime(2026, 8, 19, 15, 4, 5, 123456, tzinfo=UTC), True),
        (17, datetime(2026, 8, 19, 15, 4, 5, 123456), True),  # read back naive: taken as UTC
        (17, datetime(2026, 8, 19, 11, 4, 5, 123456, tzinfo=UTC) + timedelta(hours=4), True),
        (17, datetime(2026, 8, 19, 15, 4, 5, 123457, tzinfo=UTC), False),  # another database's alert 17
        (18, datetime(2026, 8, 19, 15, 4, 5, 123456, tzinfo=UTC), False),
    ],
)
def test_the_key_depends_on_the_alert_only(alert_id: int, created_at: datetime, same_as_first: bool) -> None:
    first = idempotency_key(17, datetime(2026, 8, 19, 15, 4, 5, 123456, tzinfo=UTC))
    key = idempotency_key(alert_id, created_at)
    assert (key == first) is same_as_first
    assert key.startswith(f"drawwatch-alert-{alert_id}-") and key.replace("-", "").isalnum()


def test_a_retried_alert_posts_the_same_key_as_its_first_try(engine: Engine, hook: WebhookServer) -> None:
    hook.status_for["/retry"] = 500
    with session_scope(engine) as session:
        new_subscriber(session, urls=[hook.url("/retry")])
        queue_round_alerts(session, [new_round(session, first_seen_at=utcnow() + timedelta(hours=1))])
    settings = Settings(database_url="sqlite://", delivery_timeout=5, delivery_backoff_seconds=60)
    now = utcnow() + timedelta(seconds=1)

    assert asyncio.run(deliver_due(engine, settings, now=now)).failed == 1
    del hook.status_for["/retry"]
    assert asyncio.run(deliver_due(engine, settings, now=now + timedelta(seconds=61))).sent == 1

    with session_scope(engine) as session:
        alert = session.exec(select(Alert)).one()
        expected = idempotency_key(alert.id or 0, alert.created_at)
    assert [r.headers["idempotency-key"] for r in hook.requests.wait_for(2)] == [expected, expected]
