"""Delivery of a rendered alert through apprise, one independent result per notification URL.

Why it is shaped this way (apprise 2.3, checked by running it):

- One ``Apprise`` object per URL, built fresh for every send. Results then map to URLs without guessing,
  and a fresh plugin instance never sleeps in apprise's per-instance throttle (a reused e-mail plugin waits
  5.5 s before its second message).
- The URLs of one call are sent concurrently; each send is bounded by ``timeout`` and one failing or hanging
  channel never holds up or fails the others.
- Subscriber URLs hold secrets (bot tokens, SMTP passwords). Apprise keeps them out of its failed-send
  warnings, but while parsing a URL it quotes what it could not use at WARNING/ERROR ("The Telegram Bot Token
  specified (…) is invalid.", "Unparseable Telegram URL tgram://…"), and at DEBUG it logs the Telegram
  request URL with the bot token, as does urllib3. So apprise's log output is dropped while a URL is only
  being parsed here (we raise our own message instead), and a filter on the ``apprise`` and ``urllib3``
  loggers masks the secrets of every URL being sent.
- Apprise neither honours nor exposes Telegram's ``retry_after`` (HTTP 429): it fails the send (or, with
  ``?retry=N``, retries after its fixed ``wait``). The number only reaches its log line, which is where
  :attr:`ChannelResult.retry_after` is read from, for the outbox to schedule the next try.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, unquote, urlsplit

from apprise import Apprise, AppriseResultStatus, NotifyFormat
from apprise.manager_plugins import NotificationManager
from apprise.plugins.base import NotifyBase

from drawwatch.notify.message import RenderedMessage

# Scheme -> body format. Email gets multipart text+HTML from the HTML body; Telegram gets parse_mode=HTML
# with the HTML reduced to its supported tags. Everything else gets the plain-text rendering.
BODY_FORMATS: Final[dict[str, NotifyFormat]] = {
    "mailto": NotifyFormat.HTML,
    "mailtos": NotifyFormat.HTML,
    "tgram": NotifyFormat.HTML,
}
DEFAULT_BODY_FORMAT: Final = NotifyFormat.TEXT

INVALID_STATUS: Final = "invalid"  # not an apprise status: the URL cannot be used, retrying will not help

_MASK: Final = "****"
_MIN_SECRET_LEN: Final = 4  # shorter fragments are too common to mask without mangling every log line
_MAX_ERROR_LEN: Final = 300
_SCHEME_RE: Final = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]{0,31})://")
_RETRY_AFTER_RE: Final = re.compile(r"retry after (\d+(?:\.\d+)?)", re.IGNORECASE)
_PLUGINS: Final = NotificationManager()


class ChannelError(ValueError):
    """A notification URL that apprise cannot use; the message names the scheme, never the URL."""


@dataclass(frozen=True, slots=True)
class ChannelResult:
    """The outcome for one URL. ``url`` and ``error`` are redacted and safe to log, print and store."""

    url: str
    ok: bool
    status: str  # apprise's status name in lower case ("success", "failure", "timeout") or "invalid"
    error: str | None
    retry_after: float | None = None  # seconds the service asked us to wait (Telegram 429), when it said


# ------------------------------------------------------------------------------------------ log hygiene


class _SecretScrubber(logging.Filter):
    """Masks the secrets of URLs in use, and drops apprise records while a URL is only being parsed.

    Secrets stay registered while their send runs and for a while after (a bounded recent set), because a
    worker thread that apprise abandoned on timeout may still log later.
    """

    def __init__(self, recent_limit: int = 1024) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._active: Counter[str] = Counter()
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._recent_limit = recent_limit
        self._snapshot: tuple[str, ...] = ()
        self.quiet: contextvars.ContextVar[bool] = contextvars.ContextVar(
            "drawwatch_apprise_quiet", default=False
        )

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.split(".", 1)[0] == "apprise" and self.quiet.get():
            return False
        secrets = self._snapshot
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: logging's own error handling reports it, we must not raise
            return True
        scrubbed = scrub(message, secrets)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info), secrets)
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text, secrets)
        return True

    @contextlib.contextmanager
    def protecting(self, secrets: set[str]) -> Iterator[None]:
        with self._lock:
            self._active.update(secrets)
            self._rebuild()
        try:
            yield
        finally:
            with self._lock:
                self._active.subtract(secrets)
                for secret in secrets:
                    if self._active[secret] <= 0:
                        del self._active[secret]
                    self._recent[secret] = None
                    self._recent.move_to_end(secret)
                while len(self._recent) > self._recent_limit:
                    self._recent.popitem(last=False)
                self._rebuild()

    def _rebuild(self) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self._snapshot = tuple(sorted(set(self._active) | set(self._recent), key=len, reverse=True))


_SCRUBBER: Final = _SecretScrubber()
_GUARDED_LOGGERS: Final = ("apprise", "urllib3.connectionpool", "urllib3.util.retry")


def install_log_guard() -> None:
    """Attach the scrubber to the loggers that can see notification URLs (idempotent; done on import)."""
    for name in _GUARDED_LOGGERS:
        logging.getLogger(name).addFilter(_SCRUBBER)


install_log_guard()


def scrub(text: str, secrets: Sequence[str] | set[str]) -> str:
    """``text`` with every secret replaced by a mask."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, _MASK)
    return text


@contextlib.contextmanager
def _apprise_quiet() -> Iterator[None]:
    token = _SCRUBBER.quiet.set(True)
    try:
        yield
    finally:
        _SCRUBBER.quiet.reset(token)


# ------------------------------------------------------------------------------------------ URL handling


def _scheme(url: str) -> str | None:
    match = _SCHEME_RE.match(url.strip())
    return match["scheme"].lower() if match else None


def _instantiate(url: str) -> NotifyBase | None:
    """The apprise plugin for ``url``, or None; apprise's own complaints (which quote the URL) are dropped."""
    if not isinstance(url, str) or not url.strip():
        return None
    with _apprise_quiet():
        try:
            plugin = Apprise.instantiate(url.strip())
        except Exception:  # a plugin that raises while parsing is just an unusable URL
            return None
    return plugin if isinstance(plugin, NotifyBase) else None


def _placeholder(url: str) -> str:
    scheme = _scheme(url) if isinstance(url, str) else None
    if scheme is None:
        return "<unparseable apprise URL>"
    return f"<unparseable apprise URL with scheme '{scheme}'>"


def _redacted(plugin: NotifyBase) -> str:
    """``plugin.url(privacy=True)`` plus custom HTTP header values masked (apprise shows ``+Auth=…``)."""
    with _apprise_quiet():
        text = plugin.url(privacy=True)
    base, sep, query = text.partition("?")
    if not sep:
        return text
    params = []
    for param in query.split("&"):
        key, eq, value = param.partition("=")
        if eq and value and unquote(key).startswith("+"):
            value = _MASK
        params.append(f"{key}{eq}{value}")
    return f"{base}?{'&'.join(params)}"


def redact(url: str) -> str:
    """The URL as apprise's plugin prints it with ``privacy=True``: passwords and tokens masked.

    A URL apprise cannot parse gives a placeholder that names only the scheme, never the raw text (which
    may be a mistyped token).
    """
    plugin = _instantiate(url)
    return _placeholder(url) if plugin is None else _redacted(plugin)


def validate_url(url: str) -> str:
    """Check that apprise can send to ``url``; return its redacted form or raise :class:`ChannelError`."""
    plugin = _instantiate(url)
    if plugin is None:
        raise ChannelError(_why_unusable(url))
    return _redacted(plugin)


def _why_unusable(url: str) -> str:
    """Why apprise rejected ``url``, in words that name the scheme and service but quote nothing else."""
    scheme = _scheme(url) if isinstance(url, str) else None
    if scheme is None:
        return (
            "not a notification URL: expected an apprise URL like mailto://, tgram:// or json:// "
            "(see apprise's list of services)"
        )
    if scheme not in _PLUGINS:
        return f"unsupported notification URL scheme '{scheme}://' (see apprise's list of services)"
    service = _PLUGINS[scheme]
    if not getattr(service, "enabled", True):
        return (
            f"notification URL scheme '{scheme}://' ({service.service_name}) is disabled here: "
            "a library it needs is not installed"
        )
    return (
        f"invalid {service.service_name} URL (scheme '{scheme}://'): apprise could not parse it; "
        "check its host, token, credentials and targets against apprise's documentation for that service"
    )


def url_secrets(url: str, plugin: NotifyBase | None = None) -> set[str]:
    """The parts of ``url`` that its redacted form masks: what must never reach a log.

    Apprise knows which fields of each service are secret, so a fragment of the plugin's full URL that does
    not survive into the privacy form is one. Both plain and percent-encoded spellings are returned.
    """
    plugin = plugin or _instantiate(url)
    if plugin is None:
        return set()
    with _apprise_quiet():
        full = unquote(plugin.url(privacy=False))
    redacted = unquote(_redacted(plugin))
    candidates: set[str] = set()
    body = full.split("://", 1)[-1]
    for separators in (r"[/:@?&=#,;\s]", r"[/@?&=#,;\s]"):  # and whole "id:secret" tokens (Telegram)
        candidates.update(re.split(separators, body))
    with contextlib.suppress(ValueError):
        parts = urlsplit(url)
        candidates.update(unquote(p) for p in (parts.username, parts.password) if p)
    secrets = {c for c in candidates if len(c) >= _MIN_SECRET_LEN and c not in redacted}
    return secrets | {quote(c, safe="") for c in secrets}


def body_format_for(url: str) -> NotifyFormat:
    """HTML for e-mail and Telegram, plain text for every other service."""
    scheme = _scheme(url) if isinstance(url, str) else None
    return BODY_FORMATS.get(scheme or "", DEFAULT_BODY_FORMAT)


def body_for(url: str, message: RenderedMessage) -> str:
    """The rendering of ``message`` that matches :func:`body_format_for`."""
    return message.html if body_format_for(url) == NotifyFormat.HTML else message.text


# ------------------------------------------------------------------------------------------------ sending


async def send(urls: Sequence[str], message: RenderedMessage, *, timeout: float = 20) -> list[ChannelResult]:
    """Send ``message`` to every URL concurrently; one :class:`ChannelResult` per URL, in order.

    Never raises for a channel's failure: an unusable URL, a refused connection, an error answer or a
    timeout is that URL's result. Nothing returned contains a secret.
    """
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    return list(await asyncio.gather(*(_send_one(url, message, timeout) for url in urls)))


def send_sync(urls: Sequence[str], message: RenderedMessage, *, timeout: float = 20) -> list[ChannelResult]:
    """:func:`send` for code without an event loop (the CLI, tests); refuses to run inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(send(urls, message, timeout=timeout))
    raise RuntimeError("send_sync() called from a running event loop: await send() instead")


async def _send_one(url: str, message: RenderedMessage, timeout: float) -> ChannelResult:
    plugin = _instantiate(url)
    if plugin is None:
        return ChannelResult(url=_placeholder(url), ok=False, status=INVALID_STATUS, error=_why_unusable(url))

    redacted = _redacted(plugin)
    secrets = url_secrets(url, plugin)
    body_format = body_format_for(url)
    body = message.html if body_format == NotifyFormat.HTML else message.text
    with _SCRUBBER.protecting(secrets):
        apobj = Apprise()
        apobj.add(plugin)
        try:
            result = await apobj.async_notify(
                body=body, title=message.subject, body_format=body_format, timeout=timeout
            )
        except Exception as exc:  # apprise reports failures in its result; this is a bug, kept per URL
            return ChannelResult(
                url=redacted,
                ok=False,
                status="failure",
                error=_short(f"{type(exc).__name__}: {exc}", secrets),
            )
        with result:
            service_results = list(result)
            status = service_results[0].status if service_results else result.status
            lines = [
                entry.message
                for service in service_results
                for entry in service.logs()
                if entry.level in ("WARNING", "ERROR", "CRITICAL")
            ]
            lines += [entry.message for entry in result.call_logs() if entry.level in ("WARNING", "ERROR")]
    ok = status == AppriseResultStatus.SUCCESS
    error = None if ok else _short(lines[-1] if lines else _status_text(status), secrets)
    retry_after = None if ok else _retry_after(lines)
    return ChannelResult(
        url=redacted, ok=ok, status=status.name.lower(), error=error, retry_after=retry_after
    )


def _status_text(status: AppriseResultStatus) -> str:
    if status == AppriseResultStatus.TIMEOUT:
        return "no answer before the timeout"
    return f"apprise reported {status.name.lower()}"


def _short(text: str, secrets: set[str]) -> str:
    text = " ".join(scrub(text, secrets).split())
    return text if len(text) <= _MAX_ERROR_LEN else text[: _MAX_ERROR_LEN - 1] + "…"


def _retry_after(lines: Sequence[str]) -> float | None:
    """Telegram's ``retry_after``: apprise logs its description "Too Many Requests: retry after N"."""
    for line in reversed(lines):
        if "429" in line or "too many requests" in line.lower():
            match = _RETRY_AFTER_RE.search(line)
            if match:
                return float(match.group(1))
    return None


def use_telegram_api(base_url: str) -> None:
    """Send Telegram messages through a self-hosted Bot API server (``telegram-bot-api``) instead of
    api.telegram.org; apprise keeps the endpoint as a class attribute."""
    from apprise.plugins.telegram import NotifyTelegram

    NotifyTelegram.notify_url = base_url.rstrip("/") + "/bot"
