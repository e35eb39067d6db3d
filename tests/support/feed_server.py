"""The IRCC feed served the way canada.ca serves it (validators, 304s), on the HTTP peer base; it can be told to
fail, stall, serve an HTML error page, redirect, ask for a password, or speak TLS (``FeedServer(tls=True)``, with
a self-signed certificate: Scrapy does not verify certificates by default)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import ssl
import tempfile
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urlsplit

from tests.support.http_peer import HOST, HttpPeer, Request, Response
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
    # Answer the feed with a redirect there (the path of that URL then serves the feed, should it be here).
    redirect_to: str | None = None
    redirect_status: int = 302
    # (user, password) every request must carry as HTTP Basic auth, robots.txt's too; else 401.
    basic_auth: tuple[str, str] | None = None
    body_bytes_sent: int = 0  # bytes of feed bodies written whole
    modified: str = field(default_factory=lambda: formatdate(usegmt=True))
    # Every request but robots.txt's, the same record as ``FeedServer.requests``.
    requests: Recorder[Request] = field(default_factory=Recorder)


class FeedServer(HttpPeer[Request]):
    """``with FeedServer() as server: server.serve(bytes)``; the feed is at ``server.url``."""

    path = FEED_PATH

    def __init__(self, *, tls: bool = False) -> None:
        super().__init__()
        self.state = FeedState(requests=self.requests)
        self.tls = tls
        if tls:
            self._server.socket = _self_signed_context().wrap_socket(self._server.socket, server_side=True)

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{HOST}:{self.port}"

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
        if state.basic_auth is not None and request.headers.get("authorization") != _basic(*state.basic_auth):
            return Response(401, b"unauthorized", "text/plain", {"WWW-Authenticate": 'Basic realm="feed"'})
        if request.path == "/robots.txt":
            if state.robots is None:
                return Response(404, b"not found", "text/plain")
            return Response(200, state.robots, "text/plain")
        route = urlsplit(request.path).path  # without the query
        moved = urlsplit(state.redirect_to).path if state.redirect_to else None
        if route == self.path and state.redirect_to:
            return Response(state.redirect_status, b"", None, {"Location": state.redirect_to})
        if route not in (self.path, moved):
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


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _self_signed_context() -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate for 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as folder:  # load_cert_chain reads files only
        pem = Path(folder) / "server.pem"
        pem.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            + cert.public_bytes(serialization.Encoding.PEM)
        )
        context.load_cert_chain(pem)
    return context
