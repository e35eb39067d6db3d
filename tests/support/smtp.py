"""An SMTP server for mail tests: aiosmtpd on 127.0.0.1 (not HTTP, so not on the HTTP peer base)."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from email.message import Message
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

from tests.support.ports import free_port
from tests.support.recorder import Recorder


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
