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
- A failure is classified from apprise's status and log lines only (:func:`classify`): *ambiguous* when the
  request left and no answer came, so the message may have arrived; *rate limited* on a 429. Most plugins
  log the cause (``Read timed out`` against ``Connection refused``) only at DEBUG, so every send captures
  the apprise records that report what happened (warnings, exceptions, answers: never the payload) into a
  bounded in-memory list of its own, scrubbed like everything else; only the short WARNING-level error is
  ever returned. To make DEBUG records exist at all, the
  ``apprise`` logger is lowered to DEBUG while sends run, and the scrubber (a filter on that logger, so it
  runs before any handler) drops every record below the level the logger had before, so the process's
  handlers see exactly what they would have seen without the capture.
- Every service has a length limit (apprise's ``body_maxlen``, ``title_maxlen``; Telegram 4,096 and no
  title field, SMS 160): :func:`fit_message` picks the full body when it fits, else the message's short
  form, else the short form cut at a word boundary with the link kept at the end.
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
from typing import Final, NamedTuple
from urllib.parse import quote, unquote, urlsplit

from apprise import Apprise, AppriseResultStatus, NotifyFormat
from apprise.manager_plugins import NotificationManager
from apprise.plugins.base import NotifyBase

from drawwatch.domain.errors import InvalidInput
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
_AMBIGUOUS_NOTE: Final = "sent, no answer (it may have arrived)"  # leads an ambiguous failure's error

_MASK: Final = "****"
_MIN_SECRET_LEN: Final = 4  # shorter fragments are too common to mask without mangling every log line
_MAX_ERROR_LEN: Final = 300
_SCHEME_RE: Final = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]{0,31})://")
_PLUGINS: Final = NotificationManager()
_APPRISE_LOGGER: Final = "apprise"
_MAX_CAPTURED: Final = 100  # lines kept per send: plenty for apprise's retries, bounded for stuck workers


class ChannelError(InvalidInput):
    """A notification URL that apprise cannot use; the message names the scheme, never the URL."""


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


# ------------------------------------------------------------------------------------------ log hygiene


class _SecretScrubber(logging.Filter):
    """Masks the secrets of URLs in use, drops apprise records while a URL is only being parsed, and
    captures the apprise records :func:`classify` reads (any level) for the send of the current context.

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
        # The current send's captured lines; apprise copies the context into its worker threads.
        self.sink: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
            "drawwatch_apprise_capture", default=None
        )
        self._capturing = 0  # sends running with the apprise logger lowered to DEBUG
        self._saved_level = logging.NOTSET  # the apprise logger's own level before it was lowered
        self._outside_level: int | None = None  # its effective level then: what its handlers may see

    def filter(self, record: logging.LogRecord) -> bool:
        is_apprise = record.name.split(".", 1)[0] == "apprise"
        if is_apprise and self.quiet.get():
            return False
        secrets = self._snapshot
        if not is_apprise and not secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: logging's own error handling reports it, we must not raise
            return True
        if secrets:
            scrubbed = scrub(message, secrets)
            if scrubbed != message:
                record.msg, record.args, message = scrubbed, None, scrubbed
            if record.exc_info and not record.exc_text:
                record.exc_text = scrub(logging.Formatter().formatException(record.exc_info), secrets)
            elif record.exc_text:
                record.exc_text = scrub(record.exc_text, secrets)
        if not is_apprise:
            return True
        sink = self.sink.get()
        if sink is not None and len(sink) < _MAX_CAPTURED and is_evidence(record.levelno, message):
            sink.append(message)
        return record.levelno >= self._threshold(record)

    def _threshold(self, record: logging.LogRecord) -> int:
        """The lowest level the process's handlers would get from apprise had no send lowered it."""
        outside = self._outside_level
        if outside is not None:
            return outside
        # Not lowered (any more): a record created while it was is dropped by the level restored since.
        return logging.getLogger(record.name).getEffectiveLevel()

    @contextlib.contextmanager
    def capturing(self) -> Iterator[list[str]]:
        """Collect the (scrubbed) :func:`is_evidence` apprise lines of this context and of the threads apprise
        copies it to, DEBUG ones too."""
        sink: list[str] = []
        token = self.sink.set(sink)
        logger = logging.getLogger(_APPRISE_LOGGER)
        with self._lock:
            if self._capturing == 0 and logger.getEffectiveLevel() > logging.DEBUG:
                self._saved_level = logger.level
                self._outside_level = logger.getEffectiveLevel()
                logger.setLevel(logging.DEBUG)
            self._capturing += 1
        try:
            yield sink
        finally:
            self.sink.reset(token)
            with self._lock:
                self._capturing -= 1
                if self._capturing == 0 and self._outside_level is not None:
                    logger.setLevel(self._saved_level)  # first, so that a late record meets the real level
                    self._outside_level = None

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
_GUARDED_LOGGERS: Final = (_APPRISE_LOGGER, "urllib3.connectionpool", "urllib3.util.retry")


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


# ------------------------------------------------------------------------------------------- message length

_ELLIPSIS: Final = "…"
# What apprise adds when it folds the title into the body of a service without a title field: at most
# "<b>" + "</b><br />\r\n" around the title for HTML, "\r\n" after it for text.
_TITLE_FOLD: Final = 15
_URL_RE: Final = re.compile(r"https?://\S+")
_TRAILING_PUNCTUATION: Final = " \t\r\n.,;:—–-(["


@dataclass(frozen=True, slots=True)
class ChannelLimits:
    """A service's message limits, as apprise's plugin declares them."""

    body_maxlen: int  # 0 (or less): no limit
    title_maxlen: int  # 0: no title field, apprise folds the title into the body
    body_format: NotifyFormat = DEFAULT_BODY_FORMAT  # the format the full message goes out in

    @classmethod
    def of(cls, plugin: NotifyBase, url: str) -> ChannelLimits:
        """The limits ``plugin`` declares, and the format :func:`body_format_for` gives ``url``."""
        return cls(
            body_maxlen=int(plugin.body_maxlen or 0),
            title_maxlen=int(plugin.title_maxlen or 0),
            body_format=body_format_for(url),
        )

    def room(self, title: str) -> int | None:
        """Length left for the body next to ``title``; None without a limit."""
        if self.body_maxlen <= 0:
            return None
        if self.title_maxlen <= 0 and title.strip():
            return self.body_maxlen - text_length(title.strip()) - _TITLE_FOLD
        return self.body_maxlen

    def fits(self, title: str, body: str) -> bool:
        room = self.room(title)
        return room is None or text_length(body.rstrip()) <= room


def text_length(text: str) -> int:
    """Length as services count it, conservatively: UTF-16 code units (Telegram's count; an emoji is 2).

    An HTML body is measured as written, tags and entities included: what Telegram counts after reducing
    it to its few tags and parsing the entities is never longer.
    """
    return len(text.encode("utf-16-le")) // 2


def fit_message(limits: ChannelLimits, message: RenderedMessage) -> tuple[str, str, NotifyFormat]:
    """Title, body and body format of ``message`` for a service with these limits.

    1. The full body (HTML or text, as the service takes it) when it fits next to the title (counted in the
       body on a service without a title field).
    2. Else the short form (``message.short``, plain text; the plain text when the message has none), next
       to the title if both fit, else alone on a service without a title field (the short form repeats
       what the subject says).
    3. Else that text cut at a word boundary with "…", keeping its last link at the end when there is room.
    A title longer than the service's ``title_maxlen`` is cut at a word boundary too. Nothing is ever cut
    inside a word.
    """
    title = message.subject.strip()
    if limits.title_maxlen > 0:
        title = cut_words(title, limits.title_maxlen)
    full = message.html if limits.body_format == NotifyFormat.HTML else message.text
    if limits.fits(title, full):
        return title, full, limits.body_format
    short = (message.short if message.short is not None else message.text).strip()
    if limits.fits(title, short):
        return title, short, NotifyFormat.TEXT
    if limits.title_maxlen <= 0:
        title = ""
    room = limits.room(title)
    return title, short if room is None else cut_keeping_link(short, room), NotifyFormat.TEXT


def cut_words(text: str, limit: int) -> str:
    """``text`` when it fits ``limit`` (:func:`text_length`), else its longest prefix that ends between two
    words and leaves room for "…", with "…" appended; just "…" when not even the first word fits."""
    text = text.rstrip()
    if text_length(text) <= limit:
        return text
    if limit < 1:
        return ""
    end, used = 0, 0
    for char in text:  # the longest prefix within limit - 1 units
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > limit - 1:
            break
        used += size
        end += 1
    if not text[end].isspace():  # the cut falls inside a word: go back to the space before it
        while end > 0 and not text[end - 1].isspace():
            end -= 1
    return text[:end].rstrip(_TRAILING_PUNCTUATION) + _ELLIPSIS


def cut_keeping_link(text: str, limit: int) -> str:
    """:func:`cut_words`, but the last link of ``text`` stays whole at the end when there is room for it
    and at least one word before it."""
    text = text.strip()
    if text_length(text) <= limit:
        return text
    links = list(_URL_RE.finditer(text))
    if links:
        link = links[-1]
        head = (text[: link.start()].rstrip() + " " + text[link.end() :].lstrip()).strip()
        room = limit - text_length(link[0]) - 1
        cut = cut_words(head, room) if room > 0 else ""
        if cut.rstrip(_ELLIPSIS):
            return f"{cut} {link[0]}"
    return cut_words(text, limit)


# ------------------------------------------------------------------------------------------ classification


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


def classify(status: AppriseResultStatus | str, lines: Sequence[str]) -> Classification:
    """What a failed send's status and apprise's log lines (any level, any order) say about it.

    Ambiguous: apprise stopped waiting (status timeout), a plugin's read timeout expired ("Read timed out":
    the request had been written), or an e-mail timed out after the SMTP session was set up (the message
    may be past DATA). Not ambiguous: connect timeouts ("Connection to … timed out. (connect timeout=…)"),
    refused connections, DNS and TLS failures, an SMTP timeout before or during login, and every answer.
    """
    name = status.name.lower() if isinstance(status, AppriseResultStatus) else str(status).lower()
    smtp_sent = any(_SMTP_SEND_FAILED_RE.search(line) for line in lines) and not any(
        _SMTP_CONNECT_FAILED_RE.search(line) for line in lines
    )
    ambiguous = (
        name == AppriseResultStatus.TIMEOUT.name.lower()
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
    title, body, body_format = fit_message(ChannelLimits.of(plugin, url), message)
    with _SCRUBBER.protecting(secrets), _SCRUBBER.capturing() as captured:
        apobj = Apprise()
        apobj.add(plugin)
        try:
            result = await apobj.async_notify(
                body=body, title=title, body_format=body_format, timeout=timeout
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
        seen = list(captured)  # a copy: a worker thread apprise abandoned may still be logging
    if status == AppriseResultStatus.SUCCESS:
        return ChannelResult(url=redacted, ok=True, status="success", error=None)
    verdict = classify(status, seen + lines)
    error = lines[-1] if lines else _status_text(status)
    if verdict.ambiguous:
        error = f"{_AMBIGUOUS_NOTE}: {error}"
    return ChannelResult(
        url=redacted,
        ok=False,
        status=status.name.lower(),
        error=_short(error, secrets),
        retry_after=verdict.retry_after,
        ambiguous=verdict.ambiguous,
        rate_limited=verdict.rate_limited,
    )


def _status_text(status: AppriseResultStatus) -> str:
    if status == AppriseResultStatus.TIMEOUT:
        return "no answer before the timeout"
    return f"apprise reported {status.name.lower()}"


def _short(text: str, secrets: set[str]) -> str:
    text = " ".join(scrub(text, secrets).split())
    return text if len(text) <= _MAX_ERROR_LEN else text[: _MAX_ERROR_LEN - 1] + "…"


def use_telegram_api(base_url: str) -> None:
    """Send Telegram messages through a self-hosted Bot API server (``telegram-bot-api``) instead of
    api.telegram.org; apprise keeps the endpoint as a class attribute."""
    from apprise.plugins.telegram import NotifyTelegram

    NotifyTelegram.notify_url = base_url.rstrip("/") + "/bot"
