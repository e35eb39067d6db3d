"""What one URL's send outcome means: delivered, safe to retry, ambiguous, or permanently unusable.

The outbox must know whether trying again can send a second copy, so a failure is classified from apprise's
status and log lines only (:func:`classify`): *ambiguous* when the request left and no answer came, so the
message may have arrived; retryable when nothing can have been accepted (connection refused, connect
timeout, DNS or TLS failure, an HTTP error answer); *rate limited* on a 429; :data:`INVALID_STATUS` when the
URL cannot be used at all and retrying will not help. Apprise neither honours nor exposes Telegram's
``retry_after`` (HTTP 429): it fails the send (or, with ``?retry=N``, retries after its fixed ``wait``), and
the number only reaches its log line, which is where :attr:`ChannelResult.retry_after` is read from, for the
outbox to schedule the next try.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Final, NamedTuple

if TYPE_CHECKING:  # apprise is imported only when something is sent: a check with nothing new never needs it
    from apprise import AppriseResultStatus

_TIMEOUT_STATUS: Final = "timeout"  # AppriseResultStatus.TIMEOUT's name, in lower case
INVALID_STATUS: Final = "invalid"  # not an apprise status: the URL cannot be used, retrying will not help


@dataclass(frozen=True, slots=True)
class ChannelResult:
    """The outcome for one URL. ``url`` and ``error`` are redacted and safe to log, print and store.

    ``ambiguous``: the request was (or may have been) sent and no answer came, so the message may have
    arrived: apprise gave up waiting (status "timeout"; its worker thread carries on and may still deliver),
    the plugin's own read timeout expired after the request went out ("Read timed out"), or an SMTP server
    accepted the connection and login but did not answer the message in time. Never set when nothing can
    have been accepted (connection refused, connect timeout, DNS or TLS failure, an HTTP error answer).
    ``rate_limited``: the service answered 429 / "Too Many Requests"; ``retry_after`` is how long it asked
    us to wait, when it said. Both flags can be set when apprise itself retried (``?retry=N``).
    """

    url: str
    ok: bool
    status: str  # apprise's status name in lower case ("success", "failure", "timeout") or "invalid"
    error: str | None
    retry_after: float | None = None  # seconds the service asked us to wait (Telegram 429), when it said
    ambiguous: bool = False
    rate_limited: bool = False


class Classification(NamedTuple):
    ambiguous: bool
    rate_limited: bool
    retry_after: float | None


# requests/urllib3's read timeout: the request was written, the answer did not come in time.
_READ_TIMEOUT_RE: Final = re.compile(r"read timed out", re.IGNORECASE)
# apprise's e-mail plugin: this warning means connect, greeting, STARTTLS and login went through and the
# message itself (MAIL, RCPT, DATA) failed; a failure before that is "Connection error while submitting …".
_SMTP_SEND_FAILED_RE: Final = re.compile(r'^Sending email to ".*" failed\.$')
_SMTP_CONNECT_FAILED_RE: Final = re.compile(r"^Connection error while submitting email", re.IGNORECASE)
_TIMED_OUT_RE: Final = re.compile(r"\btimed out\b", re.IGNORECASE)
# apprise's HTTP plugins end a failed answer's warning with "error=<status>."; Telegram and others name it.
_RATE_LIMITED_RE: Final = re.compile(r"\berror=429\b|too many requests", re.IGNORECASE)
# Telegram's "retry after 3", a JSON body's "retry_after": 3 (Telegram, Discord), a "Retry-After: 3" header.
_RETRY_AFTER_RE: Final = re.compile(r"retry[ _-]after\W{0,3}(\d+(?:\.\d+)?)", re.IGNORECASE)


# The DEBUG lines that report what happened: "Socket Exception: …", "Response Details: …" (the answer's
# body). Not the others: some quote the payload ("JSON Payload: …"), i.e. our own message, which may
# well say "timed out" or "Too Many Requests" (an operator message about the feed).
_EVIDENCE_RE: Final = re.compile(r"^(?:[\w ]*(?:Exception|Error)[\w ]*:|Response Details\b)")


def is_evidence(level: int, message: str) -> bool:
    """Whether :func:`classify` may read an apprise log line: warnings and errors, and the DEBUG lines
    reporting an exception or an answer."""
    return level >= logging.WARNING or _EVIDENCE_RE.match(message) is not None


_WORDS_AND_SPACES: Final = re.compile(r"[\w ]*")


def may_be_evidence(msg: object, args: tuple[object, ...]) -> bool:
    """Whether the line ``msg % args`` may be :func:`is_evidence` at DEBUG or INFO. ``_EVIDENCE_RE`` reads
    at most up to the first character that is neither a word character nor a space, so when the text before
    the first placeholder has one, that text decides and nothing is formatted."""
    if isinstance(msg, str):
        head = msg.split("%", 1)[0] if args else msg
        if _WORDS_AND_SPACES.match(head).end() < len(head):  # type: ignore[union-attr]  # always matches
            return is_evidence(logging.DEBUG, head)
    try:
        text = str(msg) % args if args else str(msg)
    except Exception:  # a malformed line: let logging's own error handling report it
        return True
    return is_evidence(logging.DEBUG, text)


def classify(status: AppriseResultStatus | str, lines: Sequence[str]) -> Classification:
    """What a failed send's status and apprise's log lines (any level, any order) say about it.

    Ambiguous: apprise stopped waiting (status timeout), a plugin's read timeout expired ("Read timed out":
    the request had been written), or an e-mail timed out after the SMTP session was set up (the message
    may be past DATA). Not ambiguous: connect timeouts ("Connection to … timed out. (connect timeout=…)"),
    refused connections, DNS and TLS failures, an SMTP timeout before or during login, and every answer.
    """
    name = status.name.lower() if isinstance(status, Enum) else str(status).lower()
    smtp_sent = any(_SMTP_SEND_FAILED_RE.search(line) for line in lines) and not any(
        _SMTP_CONNECT_FAILED_RE.search(line) for line in lines
    )
    ambiguous = (
        name == _TIMEOUT_STATUS
        or any(_READ_TIMEOUT_RE.search(line) for line in lines)
        or (smtp_sent and any(_TIMED_OUT_RE.search(line) for line in lines))
    )
    rate_limited = any(_RATE_LIMITED_RE.search(line) for line in lines)
    retry_after = None
    if rate_limited:
        for line in reversed(lines):
            match = _RETRY_AFTER_RE.search(line)
            if match:
                retry_after = float(match.group(1))
                break
    return Classification(ambiguous=ambiguous, rate_limited=rate_limited, retry_after=retry_after)
