"""Sending through apprise to real local peers: SMTP, a JSON webhook, a fake Telegram Bot API (127.0.0.1)."""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Iterator

import pytest
from apprise import NotifyFormat

from drawwatch.notify.channels import (
    ChannelError,
    ChannelResult,
    body_for,
    body_format_for,
    redact,
    send,
    send_sync,
    url_secrets,
    validate_url,
)
from drawwatch.notify.message import RenderedMessage
from drawwatch.notify.render import Renderer
from tests.notify.test_render import make_ctx
from tests.notify_peers import TELEGRAM_TOKEN, FakeTelegram, SmtpServer, WebhookServer, closed_port

BOT_SECRET = TELEGRAM_TOKEN.split(":", 1)[1]
SMTP_PASSWORD = "smtp-Pa55word"
HOOK_PASSWORD = "hook-s3cret-pw"


@pytest.fixture(scope="module")
def message() -> RenderedMessage:
    return Renderer().render_alert(make_ctx(390, "clear", subscriber_name="<script>Ana</script>"))


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def hook() -> Iterator[WebhookServer]:
    with WebhookServer() as server:
        yield server


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


def run(urls: list[str], message: RenderedMessage, timeout: float = 10) -> list[ChannelResult]:
    return asyncio.run(send(urls, message, timeout=timeout))


# ------------------------------------------------------------------------------------- URL validation


@pytest.mark.parametrize(
    ("url", "expected_start"),
    [
        (
            "mailto://127.0.0.1:2525?mode=insecure&from=drawwatch@example.org&to=a@example.org",
            "mailto://127.0.0.1",
        ),
        (f"mailtos://ana:{SMTP_PASSWORD}@gmail.com", "mailtos://ana:****@gmail.com"),
        (f"tgram://{TELEGRAM_TOKEN}/987654321", "tgram://1...w/987654321/"),
        ("json://127.0.0.1:8080/hook", "json://127.0.0.1:8080/hook"),
        (f"json://user:{HOOK_PASSWORD}@127.0.0.1:8080/hook", "json://user:****@127.0.0.1:8080/hook"),
        ("json://127.0.0.1:8080/hook?+Authorization=Bearer%20abcdef123456", "json://127.0.0.1:8080/hook?"),
    ],
)
def test_validate_accepts_and_redacts(url: str, expected_start: str) -> None:
    redacted = validate_url(url)
    assert redacted.startswith(expected_start)
    assert redacted == redact(url)
    for secret in (SMTP_PASSWORD, BOT_SECRET, HOOK_PASSWORD, "abcdef123456"):
        assert secret not in redacted


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("foo://bar", r"unsupported notification URL scheme 'foo://' \(see apprise's list of services\)"),
        ("https://user:pw@example.org/x", r"unsupported notification URL scheme 'https://'"),
        ("garbage", "not a notification URL"),
        ("", "not a notification URL"),
        ("   ", "not a notification URL"),
        ("tgram://notAtoken123456/1", r"invalid Telegram URL \(scheme 'tgram://'\)"),
        ("json://", r"invalid JSON URL \(scheme 'json://'\)"),
        (f"mailto://user:{SMTP_PASSWORD}@", r"invalid E-Mail URL \(scheme 'mailto://'\)"),
    ],
)
def test_validate_rejects_with_a_message_naming_the_scheme(url: str, match: str) -> None:
    with pytest.raises(ChannelError, match=match) as info:
        validate_url(url)
    assert isinstance(info.value, ValueError)
    for secret in ("notAtoken123456", SMTP_PASSWORD, "user:pw"):
        assert secret not in str(info.value)


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        (
            f"mailto://ana:{SMTP_PASSWORD}@127.0.0.1:2525?mode=insecure&from=a@example.org&to=b@example.org",
            SMTP_PASSWORD,
        ),
        (f"mailtos://ana:{SMTP_PASSWORD}@gmail.com", SMTP_PASSWORD),
        (f"tgram://{TELEGRAM_TOKEN}/987654321", BOT_SECRET),
        (f"tgram://{TELEGRAM_TOKEN}/987654321", TELEGRAM_TOKEN),
        (f"json://user:{HOOK_PASSWORD}@127.0.0.1:8080/hook", HOOK_PASSWORD),
        ("json://127.0.0.1:8080/hook?+X-Token=abcdef123456", "abcdef123456"),
        ("tgram://notAtoken123456/1", "notAtoken123456"),  # unparseable: placeholder
        (f"foo://user:{SMTP_PASSWORD}@host", SMTP_PASSWORD),  # unknown scheme: placeholder
    ],
)
def test_redact_never_shows_the_secret(url: str, secret: str) -> None:
    assert secret not in redact(url)
    if validate_or_none(url):
        assert secret in url_secrets(url)


def validate_or_none(url: str) -> str | None:
    try:
        return validate_url(url)
    except ChannelError:
        return None


@pytest.mark.parametrize(
    ("url", "placeholder"),
    [
        ("foo://secretstuff", "<unparseable apprise URL with scheme 'foo'>"),
        ("tgram://notAtoken123456/1", "<unparseable apprise URL with scheme 'tgram'>"),
        ("no scheme at all", "<unparseable apprise URL>"),
    ],
)
def test_redact_unparseable_gives_placeholder(url: str, placeholder: str) -> None:
    assert redact(url) == placeholder


@pytest.mark.parametrize(
    ("url", "fmt"),
    [
        ("mailto://127.0.0.1?to=a@example.org", NotifyFormat.HTML),
        ("mailtos://a:b@gmail.com", NotifyFormat.HTML),
        (f"tgram://{TELEGRAM_TOKEN}/1", NotifyFormat.HTML),
        ("TGRAM://x/1", NotifyFormat.HTML),
        ("json://127.0.0.1/hook", NotifyFormat.TEXT),
        ("discord://1/2", NotifyFormat.TEXT),
        ("garbage", NotifyFormat.TEXT),
    ],
)
def test_body_format_for(url: str, fmt: NotifyFormat, message: RenderedMessage) -> None:
    assert body_format_for(url) == fmt
    assert body_for(url, message) == (message.html if fmt == NotifyFormat.HTML else message.text)


# ------------------------------------------------------------------------------------------ real sends


def test_email_is_multipart_text_and_html(smtp: SmtpServer, message: RenderedMessage) -> None:
    [result] = run([smtp.url(to="ana@example.org")], message)
    assert result == ChannelResult(
        url=redact(smtp.url(to="ana@example.org")), ok=True, status="success", error=None
    )
    [mail] = smtp.wait_for(1)
    assert mail["Subject"] == message.subject
    assert mail["To"] == "ana@example.org"
    assert mail.get_content_type() == "multipart/alternative"
    plain = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    rich = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Your CRS 390 clears the French cut-off of 382 by 8 points." in " ".join(plain.split())
    assert "https://www.canada.ca/" in plain  # the link survives apprise's HTML-to-text conversion
    assert "&lt;script&gt;Ana&lt;/script&gt;" in rich
    assert "<script>" not in rich


def test_webhook_gets_the_text_rendering(hook: WebhookServer, message: RenderedMessage) -> None:
    [result] = run([hook.url(userinfo=f"user:{HOOK_PASSWORD}")], message)
    assert result.ok and result.status == "success"
    assert "user:****@" in result.url and HOOK_PASSWORD not in result.url
    [request] = hook.requests.wait_for(1)
    assert request.path == "/hook"
    assert request.body["title"] == message.subject
    assert request.body["message"] == message.text.rstrip("\n")  # apprise trims the final newline
    expected_auth = base64.b64encode(f"user:{HOOK_PASSWORD}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {expected_auth}"


def test_telegram_gets_reduced_html(telegram: FakeTelegram, message: RenderedMessage) -> None:
    [result] = run([telegram.url(chat_id=4242)], message)
    assert result.ok and result.retry_after is None
    assert BOT_SECRET not in result.url
    [call] = telegram.wait_for(1)
    assert call.token == TELEGRAM_TOKEN and call.method == "sendMessage"
    assert call.payload["parse_mode"] == "HTML"
    assert str(call.payload["chat_id"]) == "4242"
    text = call.payload["text"]
    assert "<b>Your CRS 390 clears the French cut-off of 382 by 8 points.</b>" in text
    assert "&lt;script&gt;Ana&lt;/script&gt;" in text and "<script>" not in text
    for tag in ("<div", "<p", "style="):  # reduced to what Telegram accepts
        assert tag not in text


def test_one_failing_channel_does_not_stop_the_others(
    smtp: SmtpServer, hook: WebhookServer, telegram: FakeTelegram, message: RenderedMessage
) -> None:
    with WebhookServer(status=500) as broken:
        urls = [smtp.url(), broken.url(), "foo://nothing", hook.url(), telegram.url()]
        results = run(urls, message)
        assert [r.status for r in results] == ["success", "failure", "invalid", "success", "success"]
        assert [r.ok for r in results] == [True, False, False, True, True]
        assert results[1].url == redact(broken.url())
        assert results[1].error is not None and "error=500" in results[1].error
        assert results[2].url == "<unparseable apprise URL with scheme 'foo'>"
        assert (
            results[2].error is not None
            and "unsupported notification URL scheme 'foo://'" in results[2].error
        )
        assert len(broken.requests.wait_for(1)) == 1
    smtp.wait_for(1)
    hook.wait_for(1)
    telegram.wait_for(1)


def test_closed_port_fails_fast(message: RenderedMessage) -> None:
    port = closed_port()
    urls = [
        f"json://127.0.0.1:{port}/hook",
        f"mailto://127.0.0.1:{port}?mode=insecure&from=drawwatch@example.org&to=a@example.org",
    ]
    started = time.monotonic()
    results = run(urls, message, timeout=20)
    assert time.monotonic() - started < 10  # refused at once, not after the timeout
    assert [(r.ok, r.status) for r in results] == [(False, "failure"), (False, "failure")]
    assert all(r.error for r in results)


def test_hanging_channel_times_out_while_others_deliver(
    smtp: SmtpServer, hook: WebhookServer, message: RenderedMessage
) -> None:
    hook.hold()
    hung, delivered = run([hook.url(), smtp.url()], message, timeout=1)
    assert (hung.ok, hung.status) == (False, "timeout")
    assert hung.error
    assert (delivered.ok, delivered.status) == (True, "success")
    hook.requests.wait_for(1)
    smtp.wait_for(1)


def test_telegram_429_is_reported_with_retry_after_and_not_retried(
    telegram: FakeTelegram, message: RenderedMessage
) -> None:
    telegram.throttle(times=1, retry_after=7)
    [result] = run([telegram.url()], message)
    assert (result.ok, result.status, result.retry_after) == (False, "failure", 7.0)
    assert result.error is not None and "429" in result.error
    assert telegram.answered_429 == 1
    assert len(telegram.calls.snapshot()) == 1  # apprise did not retry on its own
    [again] = run([telegram.url()], message)  # the outbox's later retry goes through
    assert again.ok


def test_results_keep_the_order_of_the_urls(hook: WebhookServer, message: RenderedMessage) -> None:
    urls = [hook.url(f"/hook{i}") for i in range(5)]
    results = run(urls, message)
    assert [r.url for r in results] == [redact(u) for u in urls]
    assert sorted(r.path for r in hook.requests.wait_for(5)) == [f"/hook{i}" for i in range(5)]


def test_nothing_to_send(message: RenderedMessage) -> None:
    assert run([], message) == []
    assert send_sync([], message) == []


def test_send_sync(hook: WebhookServer, message: RenderedMessage) -> None:
    [result] = send_sync([hook.url()], message, timeout=5)
    assert result.ok
    assert hook.wait_for(1)[0]["title"] == message.subject


def test_send_sync_refuses_a_running_loop(message: RenderedMessage) -> None:
    async def inside() -> None:
        send_sync([], message)

    with pytest.raises(RuntimeError, match="await send"):
        asyncio.run(inside())


# ------------------------------------------------------------------------------------------ log hygiene


@pytest.mark.parametrize("level", [logging.WARNING, logging.DEBUG], ids=["WARNING", "DEBUG"])
def test_no_secret_reaches_the_logs(
    level: int,
    caplog: pytest.LogCaptureFixture,
    smtp: SmtpServer,
    telegram: FakeTelegram,
    message: RenderedMessage,
) -> None:
    """Failures at drawwatch's default level (WARNING) and even at DEBUG keep tokens and passwords out."""
    caplog.set_level(level)
    port = closed_port()
    token_tail = TELEGRAM_TOKEN[12:]
    mistyped = [
        # apprise: "The Telegram Bot Token specified (…) is invalid."
        f"tgram://{TELEGRAM_TOKEN[:12]} {token_tail}/1",
        "tgram://mistypedsecret99/1",  # apprise: "Unparseable Telegram URL tgram://mistypedsecret99/1"
        f"mailto://ana:{SMTP_PASSWORD}@",
    ]
    telegram.throttle(times=1, retry_after=3)
    with WebhookServer(status=500) as broken:
        urls = [
            telegram.url(),  # one of these two chats gets the 429,
            telegram.url(chat_id=1),  # the other is delivered
            broken.url(userinfo=f"user:{HOOK_PASSWORD}"),  # 500
            f"json://user:{HOOK_PASSWORD}@127.0.0.1:{port}/hook",  # refused
            smtp.url().replace("mailto://", f"mailto://ana:{SMTP_PASSWORD}@"),  # no AUTH on the server
            f"mailto://ana:{SMTP_PASSWORD}@127.0.0.1:{port}?mode=insecure&from=a@example.org&to=b@example.org",
        ]
        results = run(urls, message)
        # and parsing mistyped URLs, which apprise itself quotes at WARNING/ERROR
        for bad in mistyped:
            with pytest.raises(ChannelError):
                validate_url(bad)
            assert redact(bad).startswith("<unparseable")
        assert [r.status for r in run(mistyped, message)] == ["invalid"] * len(mistyped)
    assert [r.ok for r in results].count(False) == 5
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    if level == logging.DEBUG:
        assert "sendMessage" in logged  # the request lines were logged, with the token masked
    for secret in (BOT_SECRET, TELEGRAM_TOKEN, HOOK_PASSWORD, SMTP_PASSWORD, token_tail, "mistypedsecret99"):
        assert secret not in logged
        assert all(secret not in repr(r) for r in results)
