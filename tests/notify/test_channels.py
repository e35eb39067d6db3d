"""Sending through apprise to real local peers: SMTP, a JSON webhook, a fake Telegram Bot API (127.0.0.1)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
from apprise import Apprise, AppriseResultStatus, NotifyFormat

from drawwatch.notify import sending
from drawwatch.notify.fitting import ChannelLimits, cut_keeping_link, cut_words, fit_message, text_length
from drawwatch.notify.message import RenderedMessage
from drawwatch.notify.outcomes import ChannelResult, classify, is_evidence, may_be_evidence
from drawwatch.notify.render import Renderer
from drawwatch.notify.sending import send, send_sync
from drawwatch.notify.urls import ChannelError, body_for, body_format_for, redact, url_secrets, validate_url
from tests.support.messages import URL_437, make_ctx
from tests.support.ports import closed_port
from tests.support.recorder import Recorder
from tests.support.smtp import SmtpServer
from tests.support.telegram import (
    TELEGRAM_MAX_LENGTH,
    TELEGRAM_TOKEN,
    FakeTelegram,
    telegram_length,
    telegram_text,
)
from tests.support.webhook import WebhookServer

BOT_SECRET = TELEGRAM_TOKEN.split(":", 1)[1]
SMTP_PASSWORD = "smtp-Pa55word"
HOOK_PASSWORD = "hook-s3cret-pw"


@pytest.fixture(scope="module")
def message() -> RenderedMessage:
    return Renderer().render_alert(make_ctx(390, "clear", subscriber_name="<script>Ana</script>"))


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
    message = message.replace(short=None)  # with a short form Telegram gets that (test below)
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
    assert (hung.ok, hung.status, hung.ambiguous, hung.rate_limited) == (False, "timeout", True, False)
    assert hung.error
    assert (delivered.ok, delivered.status) == (True, "success")
    hook.requests.wait_for(1)
    smtp.wait_for(1)


def test_an_apprise_object_is_reused_only_after_a_send_that_finished(
    hook: WebhookServer, message: RenderedMessage
) -> None:
    """Sends share idle ``Apprise`` objects (making one reads translations from disk). One whose send timed
    out may still be used by the worker thread apprise left running, so it is never handed out again."""
    sending._MANAGERS._idle.clear()
    [done] = run([hook.url()], message)
    assert done.ok
    idle = list(sending._MANAGERS._idle)
    assert len(idle) == 1 and len(idle[0]) == 0  # given back emptied: no plugin of the last send is kept
    hook.hold()
    [hung] = run([hook.url("/slow")], message, timeout=1)
    assert hung.status == "timeout"
    assert sending._MANAGERS._idle == []  # the one taken for it stayed out
    hook.requests.wait_for(2)


def test_telegram_429_is_reported_with_retry_after_and_not_retried(
    telegram: FakeTelegram, message: RenderedMessage
) -> None:
    telegram.throttle(times=1, retry_after=7)
    [result] = run([telegram.url()], message)
    assert (result.ok, result.status, result.retry_after) == (False, "failure", 7.0)
    assert result.rate_limited and not result.ambiguous
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


# --------------------------------------------------------------------------- failures: ambiguous, rate limited


class HangingSmtp(SmtpServer):
    """Reads a whole message (DATA and its final dot), then holds its answer until the ``with`` block ends:
    a slow mail server, without any sleep. ``data`` records each message whose content arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.data: Recorder[str] = Recorder()
        self._gate = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data.append(envelope.mail_from)
        await asyncio.get_running_loop().run_in_executor(None, self._gate.wait, 60)
        return await super().handle_DATA(server, session, envelope)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._gate.set()
        super().__exit__(exc_type, exc, tb)


@contextlib.contextmanager
def silent_listener() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never says a word: no SMTP greeting."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


# Each builds a peer in the stack and returns (URL, timeout, a wait for proof that the request arrived).
Peer = Callable[[contextlib.ExitStack], tuple[str, float, Callable[[], object] | None]]


def held_hook(query: str = "", timeout: float = 10) -> Peer:
    def build(stack: contextlib.ExitStack) -> tuple[str, float, Callable[[], object] | None]:
        hook = stack.enter_context(WebhookServer())
        hook.hold()
        return hook.url() + query, timeout, lambda: hook.requests.wait_for(1)

    return build


def answering_hook(status: int, payload: Any = None) -> Peer:
    def build(stack: contextlib.ExitStack) -> tuple[str, float, Callable[[], object] | None]:
        hook = stack.enter_context(WebhookServer(status=status, payload=payload))
        return hook.url(), 10, lambda: hook.requests.wait_for(1)

    return build


def throttled_telegram(stack: contextlib.ExitStack) -> tuple[str, float, Callable[[], object] | None]:
    telegram = stack.enter_context(FakeTelegram())
    telegram.throttle(times=1, retry_after=3)
    return telegram.url(), 10, lambda: telegram.wait_for(1)


def hanging_smtp(query: str = "", timeout: float = 10) -> Peer:
    def build(stack: contextlib.ExitStack) -> tuple[str, float, Callable[[], object] | None]:
        smtp = stack.enter_context(HangingSmtp())
        return smtp.url() + query, timeout, lambda: smtp.data.wait_for(1)

    return build


def silent_smtp(stack: contextlib.ExitStack) -> tuple[str, float, Callable[[], object] | None]:
    port = stack.enter_context(silent_listener())
    return f"mailto://127.0.0.1:{port}?mode=insecure&from=a@example.org&to=b@example.org&cto=0.5", 10, None


def refused(scheme: str) -> Peer:
    def build(stack: contextlib.ExitStack) -> tuple[str, float, Callable[[], object] | None]:
        port = closed_port()
        if scheme == "json":
            return f"json://127.0.0.1:{port}/hook", 10, None
        return f"mailto://127.0.0.1:{port}?mode=insecure&from=a@example.org&to=b@example.org", 10, None

    return build


FAILURE_CASES = [
    # (peer, status, ambiguous, rate_limited, retry_after)
    pytest.param(held_hook(timeout=1), "timeout", True, False, None, id="webhook-held-past-apprise-timeout"),
    pytest.param(held_hook("?rto=0.5"), "failure", True, False, None, id="webhook-held-past-read-timeout"),
    pytest.param(refused("json"), "failure", False, False, None, id="webhook-connection-refused"),
    pytest.param(answering_hook(500), "failure", False, False, None, id="webhook-500"),
    pytest.param(answering_hook(429), "failure", False, True, None, id="webhook-429"),
    pytest.param(
        answering_hook(429, {"ok": False, "retry_after": 2.5}),
        "failure",
        False,
        True,
        2.5,
        id="webhook-429-saying-how-long",
    ),
    pytest.param(throttled_telegram, "failure", False, True, 3.0, id="telegram-429-retry-after"),
    pytest.param(hanging_smtp("&cto=1"), "failure", True, False, None, id="smtp-no-answer-to-data"),
    pytest.param(hanging_smtp(timeout=1), "timeout", True, False, None, id="smtp-data-past-apprise-timeout"),
    pytest.param(silent_smtp, "failure", False, False, None, id="smtp-no-greeting"),
    pytest.param(refused("mailto"), "failure", False, False, None, id="smtp-connection-refused"),
]


@pytest.mark.parametrize(("peer", "status", "ambiguous", "rate_limited", "retry_after"), FAILURE_CASES)
def test_failures_are_classified(
    peer: Peer,
    status: str,
    ambiguous: bool,
    rate_limited: bool,
    retry_after: float | None,
    message: RenderedMessage,
) -> None:
    with contextlib.ExitStack() as stack:
        url, timeout, arrived = peer(stack)
        [result] = run([url], message, timeout=timeout)
        assert (result.ok, result.status) == (False, status), result.error
        assert (result.ambiguous, result.rate_limited, result.retry_after) == (
            ambiguous,
            rate_limited,
            retry_after,
        ), result.error
        assert result.error
        assert result.error.startswith("sent, no answer") == ambiguous
        if arrived is not None:
            arrived()  # the request did reach the peer: "ambiguous" is real, not a guess


def test_our_own_words_are_not_evidence(message: RenderedMessage) -> None:
    """A message that quotes a timeout or a 429 (an operator message about the feed) does not make its own
    failed send look ambiguous or rate limited: payload lines are not read."""
    quoting = message.replace(
        text="The feed failed: Read timed out. (read timeout=30) then 429 Too Many Requests, retry after 60\n",
    )
    with WebhookServer(status=500) as broken:
        [result] = run([broken.url()], quoting)
        assert len(broken.wait_for(1)) == 1
    assert (result.ok, result.ambiguous, result.rate_limited, result.retry_after) == (
        False,
        False,
        False,
        None,
    )


JSON_WARNING = "A Connection error occurred sending JSON notification to 127.0.0.1."
SMTP_CONNECT_WARNING = 'Connection error while submitting email to "127.0.0.1"'
SMTP_SEND_WARNING = 'Sending email to "b@example.org" failed.'

CLASSIFY_CASES = [
    # What apprise 2.3 logs (checked against the peers above, or urllib3's wording for a connect timeout).
    pytest.param(
        "timeout", ["Service 'JSON' did not finish within 1.102s."], (True, False, None), id="outer"
    ),
    pytest.param(
        "failure",
        [
            JSON_WARNING,
            "Socket Exception: HTTPConnectionPool(host='127.0.0.1', port=45077): Read timed out. "
            "(read timeout=1.0)",
        ],
        (True, False, None),
        id="read-timeout",
    ),
    pytest.param(
        "failure",
        [
            JSON_WARNING,
            "Socket Exception: HTTPSConnectionPool(host='hooks.example.org', port=443): Max retries exceeded "
            "with url: /h (Caused by ReadTimeoutError(\"HTTPSConnectionPool(host='hooks.example.org', "
            'port=443): Read timed out. (read timeout=4)"))',
        ],
        (True, False, None),
        id="read-timeout-after-retries",
    ),
    pytest.param(
        "failure",
        [
            JSON_WARNING,
            "Socket Exception: HTTPConnectionPool(host='10.255.255.1', port=80): Max retries exceeded with "
            "url: /h (Caused by ConnectTimeoutError(<urllib3.connection.HTTPConnection object at 0x7f>, "
            "'Connection to 10.255.255.1 timed out. (connect timeout=1.0)'))",
        ],
        (False, False, None),
        id="connect-timeout",
    ),
    pytest.param(
        "failure",
        [
            JSON_WARNING,
            "Socket Exception: HTTPConnectionPool(host='127.0.0.1', port=53605): Max retries exceeded with url: "
            "/h (Caused by NewConnectionError(\"HTTPConnection(host='127.0.0.1', port=53605): Failed to "
            'establish a new connection: [Errno 111] Connection refused"))',
        ],
        (False, False, None),
        id="refused",
    ),
    pytest.param(
        "failure",
        [
            "A Connection error occurred sending JSON notification to no-such-host.invalid.",
            "Socket Exception: HTTPConnectionPool(host='no-such-host.invalid', port=80): Max retries exceeded "
            "with url: /h (Caused by NameResolutionError(\"HTTPConnection(host='no-such-host.invalid', "
            "port=80): Failed to resolve 'no-such-host.invalid' ([Errno -2] Name or service not known)\"))",
        ],
        (False, False, None),
        id="dns",
    ),
    pytest.param(
        "failure",
        [
            JSON_WARNING,
            "Socket Exception: HTTPSConnectionPool(host='127.0.0.1', port=38069): Max retries exceeded with "
            "url: /h (Caused by SSLError(SSLError(1, '[SSL: WRONG_VERSION_NUMBER] wrong version number "
            "(_ssl.c:1006)')))",
        ],
        (False, False, None),
        id="tls",
    ),
    pytest.param(
        "failure",
        ["Failed to send JSON POST notification: Internal server error., error=500."],
        (False, False, None),
        id="http-500",
    ),
    pytest.param(
        "failure",
        ["Failed to send JSON POST notification: error=429.", "Response Details:\r\nb'{\"ok\": false}'"],
        (False, True, None),
        id="http-429",
    ),
    pytest.param(
        "failure",
        [
            "Failed to send Telegram notification to 987654321: Too Many Requests: retry after 3, error=429.",
            'Response Details:\r\nb\'{"ok": false, "error_code": 429, "description": "Too Many Requests: '
            'retry after 3", "parameters": {"retry_after": 3}}\'',
        ],
        (False, True, 3.0),
        id="telegram-429",
    ),
    pytest.param(
        "failure",
        ["Failed to send Discord notification: Too Many Requests.", "Response Details: Retry-After: 1.5"],
        (False, True, 1.5),
        id="retry-after-header-wording",
    ),
    pytest.param(
        "failure",
        ["Failed to send JSON POST notification: error=500.", "Response Details:\r\nb'{\"retry_after\": 9}'"],
        (False, False, None),
        id="retry-after-without-429-is-ignored",
    ),
    pytest.param(
        "failure",
        ["Socket Exception: Connection unexpectedly closed: timed out", SMTP_SEND_WARNING],
        (True, False, None),
        id="smtp-timeout-after-data",
    ),
    pytest.param(
        "failure",
        [SMTP_CONNECT_WARNING, "Socket Exception: Connection unexpectedly closed: timed out"],
        (False, False, None),
        id="smtp-timeout-before-login",
    ),
    pytest.param(
        "failure",
        [SMTP_CONNECT_WARNING, "Socket Exception: [Errno 111] Connection refused"],
        (False, False, None),
        id="smtp-refused",
    ),
    pytest.param(
        "failure",
        ["SMTP recipient b@example.org was refused: 550 b'no such user'", SMTP_SEND_WARNING],
        (False, False, None),
        id="smtp-recipient-refused",
    ),
    pytest.param("failure", [], (False, False, None), id="nothing-logged"),
]


@pytest.mark.parametrize(("status", "lines", "expected"), CLASSIFY_CASES)
def test_classify(status: str, lines: list[str], expected: tuple[bool, bool, float | None]) -> None:
    assert tuple(classify(status, lines)) == expected
    assert tuple(classify(AppriseResultStatus[status.upper()], lines)) == expected


def test_evidence_is_exceptions_answers_and_warnings_only() -> None:
    records = [
        (logging.DEBUG, "JSON POST URL: http://127.0.0.1:8080/hook (cert_verify=True)"),
        (logging.DEBUG, "JSON Payload: {'message': 'Read timed out, Too Many Requests'}"),
        (logging.DEBUG, "Telegram Payload: {'text': 'error=429'}"),
        (logging.INFO, "Notifying 1 service(s)."),
        (logging.DEBUG, "Socket Exception: Connection unexpectedly closed: timed out"),
        (logging.DEBUG, "Response Details:\r\nb'{}'"),
        (logging.WARNING, SMTP_SEND_WARNING),
        (logging.ERROR, "Service 'JSON' did not finish within 1.102s."),
    ]
    assert [message for level, message in records if is_evidence(level, message)] == [
        "Socket Exception: Connection unexpectedly closed: timed out",
        "Response Details:\r\nb'{}'",
        SMTP_SEND_WARNING,
        "Service 'JSON' did not finish within 1.102s.",
    ]


@pytest.mark.parametrize("apprise_level", [logging.WARNING, logging.NOTSET], ids=["WARNING", "inherited"])
def test_debug_capture_stays_out_of_the_process_logs(
    apprise_level: int, hook: WebhookServer, message: RenderedMessage
) -> None:
    """The DEBUG lines classify() reads are captured for the send only: the process's handlers get what
    the apprise logger's own level lets through (WARNING, as the CLI sets it below -vv), and that level is
    back afterwards, with several sends overlapping."""
    apprise_logger, root = logging.getLogger("apprise"), logging.getLogger()
    saved = apprise_logger.level, root.level
    seen: list[logging.LogRecord] = []
    handler = logging.Handler(logging.NOTSET)
    handler.emit = seen.append  # type: ignore[method-assign]
    apprise_logger.setLevel(apprise_level)
    root.setLevel(logging.WARNING)
    root.addHandler(handler)
    try:
        hook.hold()
        with WebhookServer(status=500) as broken, WebhookServer() as fine:
            results = run([hook.url() + "?rto=0.5", broken.url(), fine.url(), hook.url()], message, timeout=1)
        assert apprise_logger.level == apprise_level
    finally:
        root.removeHandler(handler)
        apprise_logger.setLevel(saved[0])
        root.setLevel(saved[1])
    assert [(r.status, r.ambiguous) for r in results] == [
        ("failure", True),  # known from a DEBUG line only
        ("failure", False),
        ("success", False),
        ("timeout", True),
    ]
    from_apprise = [r for r in seen if r.name.split(".")[0] == "apprise"]
    assert from_apprise  # the warnings did reach the handler,
    assert all(r.levelno >= logging.WARNING for r in from_apprise)  # and nothing below them
    assert not any("Read timed out" in r.getMessage() for r in seen)


# (msg, args) as apprise logs them: whether may_be_evidence() must say so. For every one, a line that is
# evidence once formatted is never skipped; where the text before the first placeholder decides, the answer
# is exact.
EVIDENCE_LINES = [
    ("Socket Exception: %s", ("HTTPConnectionPool(host='x'): Read timed out.",), True),
    ("Socket Exception: Connection unexpectedly closed: timed out", (), True),
    ("Response Details:\r\n%r", (b"{}",), True),
    ("JSON Payload: %s", ({"message": "Read timed out. Socket Exception: x"},), False),  # our own words
    ("JSON POST URL: %s (cert_verify=%r)", ("http://127.0.0.1/hook", True), False),
    ("%s send() completed in %.2fs.", ("JSON", 0.01), False),
    ("%s Exception: %s", ("SMTP", "timed out"), True),  # nothing before the placeholder: formatted to decide
    ("%s", ("Socket Exception: refused",), True),
    ("%s", ("Sent JSON notification.",), False),
    ("Notifying %d service(s).", (1,), False),
    ("Error sending %s", ("x",), False),  # no colon: not evidence
]


@pytest.mark.parametrize(("msg", "args", "evidence"), EVIDENCE_LINES)
def test_may_be_evidence_never_skips_an_evidence_line(
    msg: str, args: tuple[object, ...], evidence: bool
) -> None:
    assert is_evidence(logging.DEBUG, msg % args if args else msg) is evidence
    assert may_be_evidence(msg, args) is evidence


def test_a_capture_makes_records_only_of_lines_that_may_be_evidence(
    hook: WebhookServer, message: RenderedMessage
) -> None:
    """The apprise logger keeps its level while sends capture: a successful send makes no DEBUG or INFO
    record at all (its payload, URL and timing lines cannot be evidence), a failed one only its evidence."""
    apprise_logger = logging.getLogger("apprise")
    saved = apprise_logger.level
    made: list[logging.LogRecord] = []

    class Count(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            made.append(record)
            return True

    counter = Count()
    apprise_logger.setLevel(logging.WARNING)
    apprise_logger.filters.insert(0, counter)  # before the scrubber, which drops evidence-only records
    try:
        [ok] = run([hook.url()], message)
        assert ok.ok and apprise_logger.level == logging.WARNING
        assert [r for r in made if r.levelno < logging.WARNING] == []
        with WebhookServer(status=500) as broken:
            [failed] = run([broken.url()], message)
    finally:
        apprise_logger.removeFilter(counter)
        apprise_logger.setLevel(saved)
    assert not failed.ok
    below = [r.getMessage() for r in made if r.levelno < logging.WARNING]
    assert below and all(is_evidence(logging.DEBUG, line) for line in below), below


# ------------------------------------------------------------------------------------------ message length

PACKAGED = Renderer().render_alert(make_ctx(390, "clear"))
SUBJECT = PACKAGED.subject
SHORT_LINK = "https://ircc.ca/r437"
WORDS = " ".join(
    f"Paragraph {i}: the operator explains the rules of this round at length, for everyone."
    for i in range(80)
)  # long plain ASCII text, about 7,000 characters
LONG_HTML = PACKAGED.replace(html=f"<p>{WORDS}</p>\n")
LONG_TEXT = PACKAGED.replace(text=WORDS + "\n")
LONG_SHORT = LONG_HTML.replace(text=WORDS + "\n", short=f"{WORDS}\n{URL_437}")
NO_SHORT = RenderedMessage(
    subject="drawwatch: the rounds feed failed 3 checks in a row",
    text=f"{WORDS}\nSee {URL_437}\n",
    html=f"<p>{WORDS}<br>See {URL_437}</p>\n",
)
NO_SHORT_SMALL = NO_SHORT.replace(
    text=f"The feed failed. See {SHORT_LINK}\n", html="<p>The feed failed.</p>\n"
)
NO_SHORT_SMS = NO_SHORT.replace(
    text=f"The feed failed 3 checks in a row; the stored rounds are untouched, you hear when it is back. {SHORT_LINK}",
)
SMS_SIZED = PACKAGED.replace(  # fits 160 alone, not with the subject in front of it
    short=(
        "#437 French-language proficiency: cut-off 382, your CRS 390 clears it by 8 points. Check IRCC. "
        + SHORT_LINK
    ),
)
SMS_TITLED = RenderedMessage(subject="Round 437", text=WORDS, html=WORDS, short=f"Cut-off 382. {SHORT_LINK}")

TELEGRAM = ChannelLimits(body_maxlen=4096, title_maxlen=0, body_format=NotifyFormat.HTML)
EMAIL = ChannelLimits(body_maxlen=32768, title_maxlen=250, body_format=NotifyFormat.HTML)
DISCORD = ChannelLimits(body_maxlen=2000, title_maxlen=250)
SMS = ChannelLimits(body_maxlen=160, title_maxlen=0)
NO_LIMIT = ChannelLimits(body_maxlen=0, title_maxlen=0)
SHORT_TITLES = ChannelLimits(body_maxlen=32768, title_maxlen=30)


def exactly(html_length: int) -> RenderedMessage:
    """The packaged alert with an HTML body of ``html_length`` characters, whole words."""
    body = ("word " * html_length)[: html_length - 1] + "."
    return PACKAGED.replace(html=body)


# Telegram folds the title into its 4,096 characters: "<b>" + title + "</b><br />\r\n" at most.
TELEGRAM_ROOM = 4096 - text_length(SUBJECT) - 15

FIT_CASES = [
    # (limits, message, expected title, expected body: "html" | "text" | "short" | "cut" | "cut+link", format)
    pytest.param(TELEGRAM, PACKAGED, SUBJECT, "html", NotifyFormat.HTML, id="telegram-packaged-alert"),
    pytest.param(TELEGRAM, LONG_HTML, SUBJECT, "short", NotifyFormat.TEXT, id="telegram-long-operator-html"),
    pytest.param(TELEGRAM, LONG_SHORT, "", "cut+link", NotifyFormat.TEXT, id="telegram-long-short-too"),
    pytest.param(TELEGRAM, NO_SHORT, "", "cut+link", NotifyFormat.TEXT, id="telegram-no-short-form"),
    pytest.param(
        TELEGRAM, exactly(TELEGRAM_ROOM), SUBJECT, "html", NotifyFormat.HTML, id="telegram-exactly-full"
    ),
    pytest.param(
        TELEGRAM, exactly(TELEGRAM_ROOM + 1), SUBJECT, "short", NotifyFormat.TEXT, id="telegram-one-over"
    ),
    pytest.param(EMAIL, LONG_HTML, SUBJECT, "html", NotifyFormat.HTML, id="email-long-operator-html"),
    pytest.param(DISCORD, PACKAGED, SUBJECT, "text", NotifyFormat.TEXT, id="2000-packaged-alert"),
    pytest.param(DISCORD, LONG_TEXT, SUBJECT, "short", NotifyFormat.TEXT, id="2000-long-operator-text"),
    pytest.param(DISCORD, LONG_SHORT, SUBJECT, "cut+link", NotifyFormat.TEXT, id="2000-keeps-its-title"),
    pytest.param(DISCORD, NO_SHORT_SMALL, NO_SHORT.subject, "text", NotifyFormat.TEXT, id="no-short-fits"),
    pytest.param(SMS, PACKAGED, "", "cut", NotifyFormat.TEXT, id="sms-link-longer-than-the-limit"),
    pytest.param(SMS, SMS_SIZED, "", "short", NotifyFormat.TEXT, id="sms-short-fits-without-the-title"),
    pytest.param(
        SMS, SMS_TITLED, "Round 437", "short", NotifyFormat.TEXT, id="sms-short-fits-with-the-title"
    ),
    pytest.param(
        SMS, NO_SHORT_SMALL, NO_SHORT.subject, "text", NotifyFormat.TEXT, id="sms-no-short-form-fits"
    ),
    pytest.param(SMS, NO_SHORT_SMS, "", "text", NotifyFormat.TEXT, id="sms-no-short-form-fits-alone"),
    pytest.param(NO_LIMIT, LONG_SHORT, SUBJECT, "text", NotifyFormat.TEXT, id="no-limit"),
    pytest.param(
        SHORT_TITLES,
        PACKAGED,
        "You qualify: round #437…",
        "text",
        NotifyFormat.TEXT,
        id="title-cut-at-a-word",
    ),
]


@pytest.mark.parametrize(("limits", "message", "title", "choice", "fmt"), FIT_CASES)
def test_fit_message(
    limits: ChannelLimits, message: RenderedMessage, title: str, choice: str, fmt: NotifyFormat
) -> None:
    got_title, body, got_fmt = fit_message(limits, message)
    assert (got_title, got_fmt) == (title, fmt)
    assert limits.fits(got_title, body)
    if limits.title_maxlen:
        assert text_length(got_title) <= limits.title_maxlen
    source = message.short if message.short is not None else message.text
    expected = {"html": message.html, "text": message.text, "short": source}.get(choice)
    if expected is not None:
        assert body == expected
        return
    assert body.endswith(SHORT_LINK) or body.endswith(URL_437) or body.endswith("…")
    link = URL_437 if URL_437 in source else None
    if choice == "cut+link":
        assert link and body.endswith(" " + link)
        body = body.removesuffix(" " + link)
        source = " ".join(source.replace(link, " ").split())
    assert_cut_at_a_word(body, source)


def assert_cut_at_a_word(cut: str, source: str) -> None:
    """``cut`` is a whole-word beginning of ``source`` (whitespace aside) followed by "…"."""
    assert cut.endswith("…") and not cut.endswith(" …")
    kept = " ".join(cut.removesuffix("…").split())
    flat = " ".join(source.split())
    assert kept and flat.startswith(kept)
    assert flat[len(kept)] in " .,;:", f"cut inside a word: {kept[-20:]!r}|{flat[len(kept) :][:20]!r}"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short enough", 12, "short enough"),
        ("short enough", 11, "short…"),
        ("one two three", 9, "one two…"),
        ("one two, three", 10, "one two…"),  # no dangling comma
        ("one two. three", 10, "one two…"),
        ("antidisestablishmentarianism is long", 10, "…"),  # never half a word
        ("one\ntwo three", 9, "one\ntwo…"),
        ("x", 0, ""),
    ],
)
def test_cut_words(text: str, limit: int, expected: str) -> None:
    assert cut_words(text, limit) == expected
    assert text_length(expected) <= limit


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        (f"Round 437 cut-off 382 {SHORT_LINK}", 100, f"Round 437 cut-off 382 {SHORT_LINK}"),
        (f"Round 437 cut-off 382 {SHORT_LINK}", 35, f"Round 437… {SHORT_LINK}"),
        (f"Round 437 {SHORT_LINK}\nReply STOP to stop", 35, f"Round 437… {SHORT_LINK}"),
        (f"Round 437 cut-off 382 {SHORT_LINK}", 24, "Round 437 cut-off 382…"),  # no room for the link
        ("no link at all here", 12, "no link at…"),
    ],
)
def test_cut_keeping_link(text: str, limit: int, expected: str) -> None:
    assert cut_keeping_link(text, limit) == expected
    assert text_length(expected) <= limit


def test_length_counts_utf16_units_like_telegram() -> None:
    assert text_length("cut-off — 382") == 13
    assert text_length("🇨🇦") == 4  # two code points outside the BMP: four units for Telegram
    assert cut_words("go 🇨🇦 now", 6) == "go…"


LONG_ALERT_HTML = (
    "{% for i in range(60) %}<p>Paragraph {{ i }}: {{ subscriber_name }}, here is round #{{ round.number }} "
    "explained at length by your operator, with every rule spelled out.</p>\n{% endfor %}"
    '<p><a href="{{ round.url }}">{{ round.url }}</a></p>\n'
)
LONG_SHORT_TEMPLATE = (
    "{% for i in range(600) %}word{{ i }} {% endfor %}\nround #{{ round.number }}: {{ round.url }}\n"
)


@pytest.mark.parametrize("long_short", [False, True], ids=["short-form-fits", "short-form-cut-too"])
def test_long_operator_template_sends_telegram_the_short_form(
    long_short: bool, tmp_path: Path, telegram: FakeTelegram, smtp: SmtpServer
) -> None:
    (tmp_path / "alert.html.j2").write_text(LONG_ALERT_HTML)
    if long_short:
        (tmp_path / "alert_short.txt.j2").write_text(LONG_SHORT_TEMPLATE)
    message = Renderer(tmp_path).render_alert(make_ctx(390, "clear"))
    assert message.short is not None
    assert telegram_length(message.html, "HTML") > TELEGRAM_MAX_LENGTH  # Telegram would refuse the full one
    assert (telegram_length(message.short, None) > TELEGRAM_MAX_LENGTH) == long_short

    sent_telegram, sent_mail = run([telegram.url(), smtp.url()], message)
    assert sent_telegram.ok and sent_mail.ok
    assert telegram.too_long == 0
    [call] = telegram.wait_for(1)
    text = telegram_text(call.payload["text"], call.payload.get("parse_mode")).strip()
    assert telegram_length(call.payload["text"], call.payload.get("parse_mode")) <= TELEGRAM_MAX_LENGTH
    assert text.endswith(URL_437)
    assert "Paragraph" not in text
    if long_short:
        head = text.removesuffix(URL_437).rstrip()
        assert_cut_at_a_word(head, message.short)
    else:
        # apprise folds blank lines on Telegram, so drawwatch keeps each one with a zero-width space
        assert text.replace("\r\n", "\n").replace("\u200b", "") == message.short
        assert text.startswith(message.subject.split(":")[0])  # the short form opens with the verdict
        assert "…" not in text

    [mail] = smtp.wait_for(1)  # e-mail has room: the whole operator template
    rich = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Paragraph 0:" in rich and "Paragraph 59:" in rich


def test_fake_telegram_refuses_what_telegram_refuses(tmp_path: Path, telegram: FakeTelegram) -> None:
    """The peer is only useful if it refuses a too long message the way the Bot API does."""
    (tmp_path / "alert.html.j2").write_text(LONG_ALERT_HTML)
    message = Renderer(tmp_path).render_alert(make_ctx(390, "clear"))
    apobj = Apprise()
    apobj.add(telegram.url())
    assert not apobj.notify(body=message.html, title=message.subject, body_format=NotifyFormat.HTML)
    assert telegram.too_long == 1
