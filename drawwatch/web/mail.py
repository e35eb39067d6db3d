"""Sending the site's one kind of mail (the confirmation or sign-in link) without holding up the answer.

Mails go out from a small thread pool, so a page answers in the same time whether or not the address was
known and a mail was sent (no timing tells which), and a slow SMTP server never holds a request thread.
Sending is apprise's, through :func:`drawwatch.notify.sending.send_sync`: secrets masked, errors redacted.
A failed send is logged (redacted, without the address) and not retried: the person can sign up again.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from drawwatch.notify.message import RenderedMessage
from drawwatch.notify.sending import send_sync

log = logging.getLogger("drawwatch.web.mail")


class Mailer(Protocol):
    def send(self, url: str, message: RenderedMessage) -> None:
        """Send ``message`` to the apprise ``url`` (may return before it is sent)."""

    def close(self) -> None:
        """Finish what is queued."""


class BackgroundMailer:
    """Sends from ``workers`` threads; ``close()`` waits for the queued mails."""

    def __init__(self, *, timeout: float = 20, workers: int = 2) -> None:
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="drawwatch-mail")
        self.sent = 0
        self.failed = 0
        self._lock = threading.Lock()

    def send(self, url: str, message: RenderedMessage) -> None:
        self._pool.submit(self._send, url, message)

    def _send(self, url: str, message: RenderedMessage) -> None:
        try:
            (result,) = send_sync([url], message, timeout=self.timeout)
        except Exception:  # a bug in a send must not kill the worker; logged without the URL
            log.exception("a confirmation mail could not be sent")
            with self._lock:
                self.failed += 1
            return
        with self._lock:
            if result.ok:
                self.sent += 1
            else:
                self.failed += 1
        if not result.ok:
            log.warning("a confirmation mail was not sent: %s", result.error)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
