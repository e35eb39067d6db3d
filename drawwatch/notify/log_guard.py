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
``Connection refused``) only at DEBUG. The ``apprise`` logger keeps its level: while a send captures, its
``debug`` and ``info`` calls that the level would skip are still made into records when their text may be
evidence (:func:`~drawwatch.notify.outcomes.may_be_evidence`), and the filter, which runs before any
handler, captures those and drops them, so the process's handlers see exactly what they would have seen
without the capture, and the lines that cannot be evidence (a payload, a URL, a timing) cost no record at
all. It is separate from sending because parsing a URL needs the quiet guard too.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final

from drawwatch.notify.outcomes import is_evidence, may_be_evidence

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
        # A record made only as evidence (below the logger's level) is for the capture alone.
        return not getattr(record, _EVIDENCE_ONLY, False)

    @contextlib.contextmanager
    def capturing(self) -> Iterator[list[str]]:
        """Collect the (scrubbed) :func:`is_evidence` apprise lines of this context and of the threads apprise
        copies it to, DEBUG ones too."""
        sink: list[str] = []
        token = self.sink.set(sink)
        try:
            yield sink
        finally:
            self.sink.reset(token)

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


_EVIDENCE_ONLY: Final = "drawwatch_evidence_only"  # the record attribute marking a record made for capture


def _below_level(logger: logging.Logger, level: int) -> Callable[..., None]:
    """``logger``'s method for ``level``, which also makes a record the level would skip when a send is
    capturing and the line may be evidence (the filter captures and drops it)."""
    method = getattr(logging.Logger, logging.getLevelName(level).lower())

    def log(msg: object, *args: object, **kwargs: Any) -> None:
        if logger.isEnabledFor(level):
            kwargs["stacklevel"] = kwargs.get("stacklevel", 1) + 1  # the caller, not this wrapper
            method(logger, msg, *args, **kwargs)
        elif SCRUBBER.sink.get() is not None and not logger.disabled and may_be_evidence(msg, args):
            kwargs["extra"] = {**(kwargs.get("extra") or {}), _EVIDENCE_ONLY: True}
            logger._log(level, msg, args, **kwargs)

    log.__wrapped__ = method  # type: ignore[attr-defined]
    return log


def install_log_guard() -> None:
    """Attach the scrubber to the loggers that can see notification URLs, and give the ``apprise`` logger
    its evidence-capturing ``debug`` and ``info`` (idempotent; done on import)."""
    for name in _GUARDED_LOGGERS:
        logging.getLogger(name).addFilter(SCRUBBER)
    apprise_logger = logging.getLogger(_APPRISE_LOGGER)
    for level in (logging.DEBUG, logging.INFO):
        name = logging.getLevelName(level).lower()
        if not hasattr(apprise_logger.__dict__.get(name), "__wrapped__"):
            setattr(apprise_logger, name, _below_level(apprise_logger, level))


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
