"""Messages with the sign-up site's links, end to end (real command line, feed server, aiosmtpd, json://
webhook, SQLite and PostgreSQL): an e-mail carries the subscriber's List-Unsubscribe and
List-Unsubscribe-Post headers (RFC 8058) and their manage and one-click links; another channel the manage link
only; each in the subscriber's language; no link or token in the logs."""

from __future__ import annotations

import pytest

from drawwatch.app.links import Purpose, verify
from drawwatch.config import Settings
from tests.e2e.stack import Stack
from tests.support.feeds import feed_body, feed_bytes, with_new_rounds

pytestmark = pytest.mark.slow

PUBLIC = "https://alerts.example.org"
KEYS = "an-old-key-of-32-characters-xxxxx a-new-key-of-32-characters-yyyyyyy"


def test_each_message_carries_its_subscribers_links_in_their_language(stack: Stack) -> None:
    env = {"DRAWWATCH_PUBLIC_URL": PUBLIC, "DRAWWATCH_SECRET_KEYS": KEYS}
    settings = Settings(database_url="sqlite://", public_url=PUBLIC, secret_keys=KEYS)  # type: ignore[arg-type]
    stack.feed.serve(feed_bytes(437))
    assert stack.run("check", **env).code == 0  # baseline
    ana = stack.add(
        "Ana", 999, "--language", "fr", "--category", "french", "--url", stack.smtp.url(to="ana@example.org")
    )
    bo = stack.add("Bo", 999, "--category", "french", "--url", stack.hook.url("/bo"))
    tokens = {
        who: stack.run("subscribers", "show", str(who), "--json").json()["unsubscribe_token"]
        for who in (ana, bo)
    }

    stack.feed.serve(feed_body(with_new_rounds(437, ["438"])))  # a French-language round, as #437
    run = stack.run("-vv", "check", **env)
    assert run.code == 0, run.stderr
    (mail,) = stack.smtp.wait_for(1)
    one_click = mail["List-Unsubscribe"]
    assert one_click.startswith(f"<{PUBLIC}/unsubscribe/") and one_click.endswith(">")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    signed = one_click[1:-1].rsplit("/", 1)[1]
    assert verify(settings, Purpose.UNSUBSCRIBE, signed) == tokens[ana]
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "ronde" in text.lower() and "Vos réglages, votre historique et vos données" in text
    assert one_click[1:-1] in text and f"{PUBLIC}/manage/" in text  # the footer: the same page, and manage

    (hook,) = [r for r in stack.hook.requests.snapshot() if r.path == "/bo"]
    body = str(hook.body)
    assert f"Your settings, backtest and data: {PUBLIC}/manage/" in body
    assert "/unsubscribe/" not in body and "List-Unsubscribe" not in str(hook.headers)
    for secret in (*tokens.values(), signed, *KEYS.split()):
        assert secret not in run.stderr and secret not in run.stdout
