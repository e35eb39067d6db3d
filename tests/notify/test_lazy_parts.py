"""Each channel renders only the parts of a message it reads (issue 17: a webhook's alert never renders its
HTML nor its short form), and a part that fails to render fails only the channels that read it.

Operator templates break one part at a time; one subscriber with an e-mail, a webhook and a Telegram
channel gets the round, through real local servers.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from drawwatch.app.deliver import deliver_due
from drawwatch.config import Settings
from drawwatch.notify.message import RenderedMessage
from drawwatch.notify.render import Renderer
from drawwatch.storage.db import session_scope
from drawwatch.storage.matching import queue_round_alerts
from drawwatch.storage.models import Alert, SubscriberChannel
from tests.support.messages import make_ctx
from tests.support.rows import new_round, new_subscriber
from tests.support.smtp import SmtpServer
from tests.support.telegram import FakeTelegram
from tests.support.webhook import WebhookServer

BROKEN = "{{ no_such_name }}\n"

# The broken template -> what each channel's alert becomes. E-mail reads the HTML (and the text, as its
# plain part), Telegram the short form, a webhook the text alone.
CASES = [
    ("alert.html.j2", {"mailto": "failed", "tgram": "sent", "json": "sent"}),
    ("alert_short.txt.j2", {"mailto": "sent", "tgram": "failed", "json": "sent"}),
    ("alert.txt.j2", {"mailto": "failed", "tgram": "failed", "json": "failed"}),
]


@pytest.mark.parametrize(("broken", "outcomes"), CASES, ids=[case[0] for case in CASES])
def test_a_broken_part_fails_only_the_channels_that_read_it(
    engine: Engine,
    tmp_path: Path,
    smtp: SmtpServer,
    hook: WebhookServer,
    telegram: FakeTelegram,
    broken: str,
    outcomes: dict[str, str],
) -> None:
    (tmp_path / broken).write_text(BROKEN)
    with session_scope(engine) as session:
        new_subscriber(session, urls=[smtp.url(), telegram.url(), hook.url()])
        queue_round_alerts(session, [new_round(session)])
    settings = Settings(
        database_url="sqlite://", templates_dir=tmp_path, delivery_timeout=5, delivery_max_attempts=1
    )
    asyncio.run(deliver_due(engine, settings))
    with session_scope(engine) as session:
        rows = session.exec(
            select(SubscriberChannel.url, Alert.status, Alert.last_error).join(
                SubscriberChannel, SubscriberChannel.id == Alert.channel_id
            )
        ).all()
    got = {url.split("://", 1)[0]: status for url, status, _ in rows}
    assert got == {
        scheme: ("dead" if outcome == "failed" else outcome) for scheme, outcome in outcomes.items()
    }
    for url, status, error in rows:
        if status == "dead":
            assert error is not None and broken in error and "no_such_name" in error, (url, error)
    sent = [scheme for scheme, outcome in outcomes.items() if outcome == "sent"]
    assert len(smtp.messages) == sent.count("mailto")
    assert len(hook.requests.snapshot()) == sent.count("json")
    assert len(telegram.calls) == sent.count("tgram")


def test_a_lazy_message_renders_a_part_once_when_first_read_and_equals_the_eager_one() -> None:
    renderer = Renderer()
    calls: list[str] = []
    render = renderer.render

    def counted(name: str, *args: object, **kwargs: object) -> str:
        calls.append(name)
        return render(name, *args, **kwargs)  # type: ignore[arg-type]

    renderer.render = counted  # type: ignore[method-assign]
    lazy = renderer.render_alert(make_ctx(), lazy=True)
    assert calls == ["alert_subject.txt.j2", "alert.txt.j2"]
    first = lazy.html
    assert lazy.html is first and calls.count("alert.html.j2") == 1
    assert "alert_short.txt.j2" not in calls
    eager = renderer.render_alert(make_ctx())
    assert lazy == eager and repr(lazy) == repr(eager)


def test_a_rendered_message_is_immutable_and_replace_makes_a_copy() -> None:
    message = RenderedMessage("subject", "text", "<p>html</p>", "short")
    with pytest.raises(AttributeError):
        message.text = "changed"  # type: ignore[misc]
    copy = message.replace(short=None)
    assert (copy.subject, copy.text, copy.html, copy.short) == ("subject", "text", "<p>html</p>", None)
    assert message.short == "short"
    with pytest.raises(TypeError, match="no part body"):
        message.replace(body="x")
