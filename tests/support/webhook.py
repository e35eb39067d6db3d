"""A ``json://`` webhook receiver on the HTTP peer base: records the JSON documents POSTed to it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.support.http_peer import HttpPeer, Request, Response


@dataclass(frozen=True)
class WebhookRequest:
    path: str
    headers: dict[str, str]  # names in lower case
    body: Any  # the decoded JSON document (the text when it is not JSON)


class WebhookServer(HttpPeer[WebhookRequest]):
    """Records JSON POSTs; answers ``status`` (200 unless a test sets another, or ``status_for`` one per path).

    ``hold()`` makes it record a request but not answer until ``release()`` (or the end of the ``with``
    block): a hung endpoint, for timeout tests, without any sleep. ``payload`` replaces the JSON document
    it answers with (``{"ok": status < 400}``), e.g. a rate limiter's ``{"retry_after": 2.5}``. ``latency``
    delays every answer: a provider's round trip, for throughput benchmarks.
    """

    def __init__(self, status: int = 200, payload: Any = None) -> None:
        super().__init__()
        self.status = status
        self.payload = payload
        self.status_for: dict[str, int] = {}  # per-path answers, e.g. {"/broken": 500}

    def record(self, request: Request) -> WebhookRequest:
        try:
            body = json.loads(request.body)
        except ValueError:
            body = request.body.decode("utf-8", "replace")
        return WebhookRequest(path=request.path, headers=request.headers, body=body)

    def respond(self, request: Request, recorded: WebhookRequest | None) -> Response:
        status = self.status_for.get(request.path, self.status)
        return Response.json(status, {"ok": status < 400} if self.payload is None else self.payload)

    @property
    def bodies(self) -> list[Any]:
        return [r.body for r in self.requests.snapshot()]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Any]:
        return [r.body for r in self.requests.wait_for(count, timeout)]

    def url(self, path: str = "/hook", userinfo: str = "") -> str:
        """The apprise URL of this hook; ``userinfo`` like ``"user:pass"`` adds basic-auth credentials."""
        auth = f"{userinfo}@" if userinfo else ""
        return f"json://{auth}127.0.0.1:{self.port}{path}"
