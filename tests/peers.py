"""Real local peers for tests: an HTTP server that serves feed copies the way canada.ca does (validators,
304s) and can be told to fail, stall or serve an HTML error page. Binds 127.0.0.1 only.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class FeedState:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/json"
    validators: bool = True  # send ETag and Last-Modified, honour conditional requests
    stall: float = 0.0  # seconds to wait before answering (a hung download)
    robots: bytes | None = None  # robots.txt body; None answers 404
    requests: list[dict[str, str]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    body_bytes_sent: int = 0
    modified: str = field(default_factory=lambda: formatdate(usegmt=True))


class FeedServer:
    """``with FeedServer() as server: server.serve(bytes)``; the feed is at ``server.url``."""

    path = "/content/dam/ircc/documents/json/ee_rounds_123_en.json"

    def __init__(self) -> None:
        self.state = FeedState()
        self._stop = threading.Event()
        state, stop = self.state, self._stop
        feed_path = self.path

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet test output
                pass

            def do_GET(self) -> None:
                if self.path == "/robots.txt":
                    if state.robots is None:
                        self._send(404, b"not found", "text/plain")
                    else:
                        self._send(200, state.robots, "text/plain")
                    return
                with state.arrived:
                    state.requests.append(
                        {k.lower(): v for k, v in self.headers.items()} | {"path": self.path}
                    )
                    state.arrived.notify_all()
                if self.path != feed_path:
                    self._send(404, b"<html><body>Not found</body></html>", "text/html")
                    return
                if state.stall:
                    stop.wait(state.stall)
                etag = '"' + hashlib.sha256(state.body).hexdigest()[:16] + '"'
                headers = {"ETag": etag, "Last-Modified": state.modified} if state.validators else {}
                if state.validators and state.status == 200 and self.headers.get("If-None-Match") == etag:
                    self._send(304, b"", None, headers)
                    return
                self._send(state.status, state.body, state.content_type, headers)

            def _send(self, status: int, body: bytes, ctype: str | None, headers: dict | None = None) -> None:
                try:
                    self.send_response(status)
                    if ctype:
                        self.send_header("Content-Type", ctype)
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    if self.path == feed_path:
                        state.body_bytes_sent += len(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{self.path}"

    def serve(self, body: bytes, *, status: int = 200, content_type: str = "application/json") -> None:
        """Serve a new body; like a real edit, it gets a new Last-Modified."""
        if body != self.state.body:
            self.state.modified = formatdate(usegmt=True)
        self.state.body, self.state.status, self.state.content_type = body, status, content_type

    def wait_for_requests(self, count: int, timeout: float = 30) -> None:
        """Block until the feed has been requested ``count`` times in all (no sleeping in tests)."""
        with self.state.arrived:
            if not self.state.arrived.wait_for(lambda: len(self.state.requests) >= count, timeout):
                raise TimeoutError(f"feed requested {len(self.state.requests)} times, expected {count}")

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
