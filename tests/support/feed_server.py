"""The IRCC feed served the way canada.ca serves it (validators, 304s), on the HTTP peer base; it can be told to
fail, stall or serve an HTML error page."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from email.utils import formatdate

from tests.support.http_peer import HttpPeer, Request, Response
from tests.support.recorder import Recorder

FEED_PATH = "/content/dam/ircc/documents/json/ee_rounds_123_en.json"


@dataclass
class FeedState:
    """What the server answers; tests change it between checks."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/json"
    validators: bool = True  # send ETag and Last-Modified, honour conditional requests
    # Send only Last-Modified, and 304s without it (as RFC 9110 allows): a server that keys on dates alone.
    last_modified_only: bool = False
    stall: float = 0.0  # seconds to wait before answering the feed (a hung download)
    robots: bytes | None = None  # robots.txt body; None answers 404
    body_bytes_sent: int = 0  # bytes of feed bodies written whole
    modified: str = field(default_factory=lambda: formatdate(usegmt=True))
    # Every request but robots.txt's, the same record as ``FeedServer.requests``.
    requests: Recorder[Request] = field(default_factory=Recorder)


class FeedServer(HttpPeer[Request]):
    """``with FeedServer() as server: server.serve(bytes)``; the feed is at ``server.url``."""

    path = FEED_PATH

    def __init__(self) -> None:
        super().__init__()
        self.state = FeedState(requests=self.requests)

    @property
    def url(self) -> str:
        return f"{self.base_url}{self.path}"

    def serve(self, body: bytes, *, status: int = 200, content_type: str = "application/json") -> None:
        """Serve a new body; like a real edit, it gets a new Last-Modified."""
        if body != self.state.body:
            self.state.modified = formatdate(usegmt=True)
        self.state.body, self.state.status, self.state.content_type = body, status, content_type

    def wait_for_requests(self, count: int, timeout: float = 30) -> None:
        """Block until the feed has been requested ``count`` times in all (no sleeping in tests)."""
        if not self.requests.reached(count, timeout):
            raise TimeoutError(f"feed requested {len(self.requests)} times, expected {count}")

    def record(self, request: Request) -> Request | None:
        return None if request.path == "/robots.txt" else request

    def respond(self, request: Request, recorded: Request | None) -> Response:
        state = self.state
        if request.path == "/robots.txt":
            if state.robots is None:
                return Response(404, b"not found", "text/plain")
            return Response(200, state.robots, "text/plain")
        if request.path != self.path:
            return Response(404, b"<html><body>Not found</body></html>", "text/html")
        if state.stall:
            self.pause(state.stall)
        if state.last_modified_only:
            if state.status == 200 and request.headers.get("if-modified-since") == state.modified:
                return Response(304, b"", None, {})
            return Response(state.status, state.body, state.content_type, {"Last-Modified": state.modified})
        etag = '"' + hashlib.sha256(state.body).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Last-Modified": state.modified} if state.validators else {}
        if state.validators and state.status == 200 and request.headers.get("if-none-match") == etag:
            return Response(304, b"", None, headers)
        return Response(state.status, state.body, state.content_type, headers)

    def sent(self, request: Request, response: Response) -> None:
        if request.path == self.path:
            self.state.body_bytes_sent += len(response.body)
