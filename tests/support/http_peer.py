"""The one base of the local HTTP peers: a threaded server on 127.0.0.1 and a free port, serving while a
``with`` block runs, recording what it received, and answering the way a test tells it to.

A peer says what it keeps of a request (:meth:`HttpPeer.record`, which also picks the requests it can be told
to hold, slow down or fail) and how it answers (:meth:`HttpPeer.respond`). Every peer can then be made to
misbehave on demand, without any sleep in the test: :meth:`~HttpPeer.hold` keeps the answers back until
:meth:`~HttpPeer.release` (or the end of the ``with`` block), :attr:`~HttpPeer.latency` delays them, and
:meth:`~HttpPeer.answer_next` replaces the next answers with a given one.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from tests.support.recorder import Recorder

R = TypeVar("R")

HOST = "127.0.0.1"
HOLD_LIMIT = 60.0  # seconds a held answer waits at most, so a forgotten release() cannot hang a test run


@dataclass(frozen=True)
class Request:
    """A request as the peer read it."""

    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    at: float = field(default_factory=time.monotonic)  # when it was read (monotonic seconds)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any) -> Response:
        return cls(status, json.dumps(payload).encode(), "application/json")


class HttpPeer(Generic[R]):
    """A ThreadingHTTPServer on 127.0.0.1 (port 0: the kernel picks a free one) run in a daemon thread for
    the duration of a ``with`` block. It answers GET and POST; ``requests`` records what :meth:`record`
    keeps of each request, in arrival order."""

    def __init__(self) -> None:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                peer._serve(self)

            def do_POST(self) -> None:
                peer._serve(self)

        self._server = _Server((HOST, 0), Handler, self._connected, self._closed)
        self._server.daemon_threads = True
        self._connections = threading.Condition()
        self._open = 0  # connections accepted and not yet closed
        self._seen_ports: set[int] = set()  # the client ports of every connection accepted
        self.port: int = self._server.server_address[1]
        self.requests: Recorder[R] = Recorder()
        self.latency = 0.0  # seconds before answering a recorded request (a provider's round trip)
        self._answering = threading.Event()
        self._answering.set()
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._next: tuple[Response, int] | None = None
        self._answered_next = 0
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    # --- what a peer is ---------------------------------------------------------------------------------

    def record(self, request: Request) -> R | None:
        """What ``requests`` keeps of ``request``; None keeps nothing, and such a request is answered at once
        by :meth:`respond`, never held, delayed or answered by :meth:`answer_next`."""
        raise NotImplementedError

    def respond(self, request: Request, recorded: R | None) -> Response:
        """The peer's own answer to ``request`` (``recorded``: what :meth:`record` made of it)."""
        raise NotImplementedError

    def sent(self, request: Request, response: Response) -> None:
        """Called once ``response`` was written whole (not when the client hung up first)."""

    # --- misbehaving on demand -------------------------------------------------------------------------

    def hold(self) -> None:
        """Record requests but keep their answers back until :meth:`release`: a hung endpoint."""
        self._answering.clear()

    def release(self) -> None:
        self._answering.set()

    def answer_next(self, response: Response, times: int = 1) -> None:
        """Answer the next ``times`` recorded requests with ``response`` instead of the peer's own answer
        (replacing what an earlier call left)."""
        with self._lock:
            self._next = (response, times) if times > 0 else None

    @property
    def answered_next(self) -> int:
        """How many requests got an answer set by :meth:`answer_next`."""
        with self._lock:
            return self._answered_next

    def pause(self, seconds: float) -> None:
        """Wait ``seconds`` in a handler, or less when the peer stops first."""
        self._stopped.wait(seconds)

    def settle(self, timeout: float = 30.0) -> bool:
        """Wait until every connection made before this call was accepted and handled to its end (e.g.
        those of a client just killed, whose last request may still sit unread in the kernel's queues);
        whether that happened in ``timeout`` seconds.

        A connection of its own marks the end of the accept queue (the kernel hands connections out in
        order): once it was accepted and no connection is open, every earlier request is recorded."""
        with socket.create_connection((HOST, self.port), timeout=timeout) as fence:
            port = fence.getsockname()[1]
        with self._connections:
            return self._connections.wait_for(lambda: port in self._seen_ports and self._open == 0, timeout)

    def _connected(self, port: int) -> None:
        with self._connections:
            self._open += 1
            self._seen_ports.add(port)

    def _closed(self) -> None:
        with self._connections:
            self._open -= 1
            self._connections.notify_all()

    # --- serving ---------------------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in handler.headers.items()}
        request = Request(handler.command, handler.path, headers, body)
        recorded = self.record(request)
        response = None
        if recorded is not None:
            self.requests.append(recorded)
            self._answering.wait(timeout=HOLD_LIMIT)
            if self.latency:
                self.pause(self.latency)
            response = self._take_next()
        if response is None:
            response = self.respond(request, recorded)
        try:
            handler.send_response(response.status)
            if response.content_type:
                handler.send_header("Content-Type", response.content_type)
            for name, value in response.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(response.body)))
            handler.end_headers()
            handler.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client gave up (timeout tests)
        self.sent(request, response)

    def _take_next(self) -> Response | None:
        with self._lock:
            if self._next is None:
                return None
            response, left = self._next
            self._next = (response, left - 1) if left > 1 else None
            self._answered_next += 1
            return response

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stopped.set()
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    """Tells its peer when a connection is accepted and when its handling ended (:meth:`HttpPeer.settle`)."""

    def __init__(self, address: tuple[str, int], handler: Any, connected: Any, closed: Any) -> None:
        super().__init__(address, handler)
        self._connected, self._closed = connected, closed

    def process_request(self, request: Any, client_address: Any) -> None:
        self._connected(client_address[1])
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        try:
            super().shutdown_request(request)
        finally:
            self._closed()
