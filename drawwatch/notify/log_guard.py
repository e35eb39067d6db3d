"""Log hygiene for apprise: notification URLs hold secrets, and apprise and urllib3 would log them.

Subscriber URLs hold secrets (bot tokens, SMTP passwords). Apprise keeps them out of its failed-send
warnings, but while parsing a URL it quotes what it could not use at WARNING/ERROR ("The Telegram Bot Token
specified (…) is invalid.", "Unparseable Telegram URL tgram://…"), and at DEBUG it logs the Telegram request
URL with the bot token, as does urllib3 (apprise 2.3, checked by running it). So this module holds the one
filter, attached on import to the ``apprise`` and ``urllib3`` loggers, that drops apprise's log output while a
URL is only being parsed (:func:`apprise_quiet`; :mod:`drawwatch.notify.urls` raises its own message
instead), masks the secrets of every URL being sent (:meth:`_SecretScrubber.protecting`), and captures into a
bounded in-memory list per send the apprise records that :func:`~drawwatch.notify.outcomes.classify` reads
(:meth:`_SecretScrubber.capturing`): most plugins log the cause of a failure (``Read timed out`` against
``Connection refused``) only at DEBUG, so the ``apprise`` logger is lowered to DEBUG while sends run and the
filter, which runs before any handler, drops every record below the level the logger had before, so the
process's handlers see exactly what they would have seen without the capture. It is separate from sending
because parsing a URL needs the quiet guard too.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
from typing import Final

from drawwatch.notify.outcomes import is_evidence

MASK: Final = "****"
_APPRISE_LOGGER: Final = "apprise"
_MAX_CAPTURED: Final = 100  # lines kept per send: plenty for apprise's retries, bounded for stuck workers


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


SCRUBBER: Final = _SecretScrubber()
_GUARDED_LOGGERS: Final = (_APPRISE_LOGGER, "urllib3.connectionpool", "urllib3.util.retry")


def install_log_guard() -> None:
    """Attach the scrubber to the loggers that can see notification URLs (idempotent; done on import)."""
    for name in _GUARDED_LOGGERS:
        logging.getLogger(name).addFilter(SCRUBBER)


install_log_guard()


def scrub(text: str, secrets: Sequence[str] | set[str]) -> str:
    """``text`` with every secret replaced by a mask."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


@contextlib.contextmanager
def apprise_quiet() -> Iterator[None]:
    token = SCRUBBER.quiet.set(True)
    try:
        yield
    finally:
        SCRUBBER.quiet.reset(token)
