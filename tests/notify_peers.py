"""Real local peers for notification tests: an SMTP server, a JSON webhook and a fake Telegram Bot API.

Each binds 127.0.0.1 on a free port, records what it received (thread-safe: apprise sends from its worker
threads) and lets a test wait for N messages with a deadline instead of sleeping.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import html
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Generic, Self, TypeVar
from urllib.parse import quote

T = TypeVar("T")


def free_port() -> int:
    """A port that was free a moment ago (aiosmtpd's ``Controller(port=0)`` cannot report its port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_port() -> int:
    """A port nothing listens on, so a connection attempt is refused at once."""
    return free_port()


class Recorder(Generic[T]):
    """A thread-safe list that tests can wait on."""

    def __init__(self) -> None:
        self._items: list[T] = []
        self._cond = threading.Condition()

    def append(self, item: T) -> None:
        with self._cond:
            self._items.append(item)
            self._cond.notify_all()

    def snapshot(self) -> list[T]:
        with self._cond:
            return list(self._items)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[T]:
        """Block until at least ``count`` items arrived; fail the test when the deadline passes first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._items) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} message(s) within {timeout}s, got {len(self._items)}"
                    )
                self._cond.wait(remaining)
            return list(self._items)


class _HttpPeer:
    """A ThreadingHTTPServer on 127.0.0.1 run in a daemon thread for the duration of a ``with`` block."""

    handler: Callable[[BaseHTTPRequestHandler], None]

    def __init__(self) -> None:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                peer._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def _handle(self, request: BaseHTTPRequestHandler) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    @staticmethod
    def _read_body(request: BaseHTTPRequestHandler) -> bytes:
        length = int(request.headers.get("Content-Length") or 0)
        return request.rfile.read(length)

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


# --------------------------------------------------------------------------------------------------- webhook


@dataclass(frozen=True)
class WebhookRequest:
    path: str
    headers: dict[str, str]
    body: Any  # the decoded JSON document


class WebhookServer(_HttpPeer):
    """Records JSON POSTs; answers ``status`` (200 unless a test sets another).

    ``hold()`` makes it record a request but not answer until ``release()`` (or the end of the ``with``
    block): a hung endpoint, for timeout tests, without any sleep. ``payload`` replaces the JSON document
    it answers with (``{"ok": status < 400}``), e.g. a rate limiter's ``{"retry_after": 2.5}``.
    """

    def __init__(self, status: int = 200, payload: Any = None) -> None:
        super().__init__()
        self.status = status
        self.payload = payload
        self.status_for: dict[str, int] = {}  # per-path answers, e.g. {"/broken": 500}
        self.latency = 0.0  # seconds before answering: a provider's round trip, for throughput benchmarks
        self.requests: Recorder[WebhookRequest] = Recorder()
        self._answer = threading.Event()
        self._answer.set()

    def hold(self) -> None:
        self._answer.clear()

    def release(self) -> None:
        self._answer.set()

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        raw = self._read_body(request)
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append(WebhookRequest(path=request.path, headers=headers, body=body))
        self._answer.wait(timeout=60)
        if self.latency:
            threading.Event().wait(self.latency)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (timeouts)
            status = self.status_for.get(request.path, self.status)
            self._reply(request, status, {"ok": status < 400} if self.payload is None else self.payload)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
        super().__exit__(exc_type, exc, tb)

    @property
    def bodies(self) -> list[Any]:
        return [r.body for r in self.requests.snapshot()]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Any]:
        return [r.body for r in self.requests.wait_for(count, timeout)]

    def url(self, path: str = "/hook", userinfo: str = "") -> str:
        """The apprise URL of this hook; ``userinfo`` like ``"user:pass"`` adds basic-auth credentials."""
        auth = f"{userinfo}@" if userinfo else ""
        return f"json://{auth}127.0.0.1:{self.port}{path}"


# -------------------------------------------------------------------------------------------------- telegram

TELEGRAM_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
TELEGRAM_MAX_LENGTH = 4096  # characters of a message's text after entity parsing, in UTF-16 code units
_TAG = re.compile(r"<[^>]*>")


def telegram_text(text: str, parse_mode: str | None) -> str:
    """What a reader sees of a message: the text after entity parsing (HTML: tags dropped, entities decoded)."""
    return html.unescape(_TAG.sub("", text)) if (parse_mode or "").upper() == "HTML" else text


def telegram_length(text: str, parse_mode: str | None) -> int:
    """How the Bot API counts a message: :func:`telegram_text` in UTF-16 code units."""
    return len(telegram_text(text, parse_mode).encode("utf-16-le")) // 2


@dataclass(frozen=True)
class TelegramCall:
    token: str
    method: str
    payload: dict[str, Any]
    at: float = field(default_factory=time.monotonic)  # when the fake received it (monotonic seconds)


@dataclass
class _TelegramState:
    throttle_left: int = 0
    retry_after: int = 0
    answered_429: int = 0
    too_long: int = 0
    calls: Recorder[TelegramCall] = field(default_factory=Recorder)


class FakeTelegram(_HttpPeer):
    """A Bot API on 127.0.0.1 that apprise's Telegram plugin is pointed at while the ``with`` block runs.

    ``throttle(times, retry_after)`` makes the next ``times`` sendMessage calls answer 429 the way Telegram
    does (``parameters.retry_after``), to see what apprise makes of it. Like the real API, a message longer
    than 4,096 characters after entity parsing is refused with 400 "Bad Request: message is too long"
    (recorded in ``calls`` and counted in ``too_long``).
    """

    _path = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>\w+)$")

    def __init__(self, token: str = TELEGRAM_TOKEN) -> None:
        super().__init__()
        self.token = token
        self._state = _TelegramState()
        self._lock = threading.Lock()
        self._saved_notify_url: str | None = None

    @property
    def calls(self) -> Recorder[TelegramCall]:
        return self._state.calls

    @property
    def answered_429(self) -> int:
        with self._lock:
            return self._state.answered_429

    @property
    def too_long(self) -> int:
        with self._lock:
            return self._state.too_long

    def throttle(self, times: int, retry_after: int) -> None:
        with self._lock:
            self._state.throttle_left = times
            self._state.retry_after = retry_after

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        match = self._path.match(request.path)
        raw = self._read_body(request)
        if match is None:
            self._reply(request, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = {"_raw": raw.decode("utf-8", "replace")}
        self.calls.append(TelegramCall(match["token"], match["method"], payload))
        with self._lock:
            throttled = self._state.throttle_left > 0
            if throttled:
                self._state.throttle_left -= 1
                self._state.answered_429 += 1
            retry_after = self._state.retry_after
        if throttled:
            self._reply(
                request,
                429,
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after}",
                    "parameters": {"retry_after": retry_after},
                },
            )
            return
        text = str(payload.get("text") or "")
        if (
            match["method"] == "sendMessage"
            and telegram_length(text, payload.get("parse_mode")) > TELEGRAM_MAX_LENGTH
        ):
            with self._lock:
                self._state.too_long += 1
            self._reply(
                request,
                400,
                {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"},
            )
            return
        message = {
            "message_id": len(self.calls.snapshot()),
            "date": int(time.time()),
            "chat": {"id": payload.get("chat_id"), "type": "private"},
            "text": payload.get("text", ""),
        }
        self._reply(request, 200, {"ok": True, "result": message})

    def wait_for(self, count: int, timeout: float = 10.0) -> list[TelegramCall]:
        return self.calls.wait_for(count, timeout)

    def url(self, chat_id: str | int = "987654321") -> str:
        return f"tgram://{self.token}/{chat_id}"

    def __enter__(self) -> Self:
        from apprise.plugins.telegram import NotifyTelegram

        super().__enter__()
        self._saved_notify_url = NotifyTelegram.notify_url
        NotifyTelegram.notify_url = f"http://127.0.0.1:{self.port}/bot"
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        from apprise.plugins.telegram import NotifyTelegram

        if self._saved_notify_url is not None:
            NotifyTelegram.notify_url = self._saved_notify_url
        super().__exit__(exc_type, exc, tb)


# ------------------------------------------------------------------------------------------------------ smtp


@dataclass(frozen=True)
class SmtpEnvelope:
    mail_from: str
    rcpt_tos: list[str]
    message: Message


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 (no AUTH, no TLS) keeping every message it accepted, parsed."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.envelopes: Recorder[SmtpEnvelope] = Recorder()
        self._controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd handler hook
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.envelopes.append(SmtpEnvelope(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[Message]:
        return [e.message for e in self.envelopes.snapshot()]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Message]:
        return [e.message for e in self.envelopes.wait_for(count, timeout)]

    def url(self, to: str = "subscriber@example.org", sender: str = "drawwatch@example.org") -> str:
        return (
            f"mailto://127.0.0.1:{self.port}?mode=insecure&from={quote(sender, safe='@')}"
            f"&to={quote(to, safe='@')}"
        )

    def __enter__(self) -> Self:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._controller.stop()
