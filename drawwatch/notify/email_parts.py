"""The e-mail's text/plain part from drawwatch's text template, and its stable ``Message-ID``.

apprise's e-mail plugin (``apprise.plugins.email.base.NotifyEmail.prepare_emails``, apprise 2.x) sends an HTML
body as ``multipart/alternative`` whose text/plain part it derives itself with
``convert_between(NotifyFormat.HTML, NotifyFormat.TEXT, body)``; it has no option for a separate text body.
So the one name it calls is wrapped (:func:`install`, once, at import): while :func:`plain_part` is active in
the current context, converting exactly that HTML body to text returns the rendered ``alert.txt.j2`` instead;
every other call goes to apprise's own function unchanged. The text is held in a :class:`ContextVar`, which
apprise copies into the worker thread that sends (``contextvars.copy_context().run``), so concurrent sends
never see each other's text. ``tests/notify/test_email_parts.py`` sends through a real SMTP server and fails
if an apprise upgrade stops calling the wrapped name.

The ``Message-ID`` is the same on every try of one alert (:func:`message_id`), so a provider or mail client
that sees a second copy after a crash can drop it. apprise has no option for it: ``prepare_emails`` always
sets ``base["Message-ID"] = make_msgid(domain=smtp_host)``, and a ``+Message-ID=`` header from the URL would
only add a second header. So ``make_msgid`` is wrapped the same way: while :func:`message_id` is active,
it returns that id. ``tests/notify/test_idempotency.py`` reads it back from a real SMTP server and fails if an
apprise upgrade stops calling the wrapped name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Final

from apprise import NotifyFormat
from apprise.plugins.email import base as _email_base

_PLAIN_PART: ContextVar[tuple[str, str] | None] = ContextVar("drawwatch_email_plain_part", default=None)
_MESSAGE_ID: ContextVar[str | None] = ContextVar("drawwatch_email_message_id", default=None)
_MARK: Final = "_drawwatch_plain_part"


def _wrap(original: Callable[..., Any]) -> Callable[..., Any]:
    def convert_between(from_format: Any, to_format: Any, content: Any, *args: Any, **kwargs: Any) -> Any:
        pair = _PLAIN_PART.get()
        if (
            pair is not None
            and from_format == NotifyFormat.HTML
            and to_format == NotifyFormat.TEXT
            and isinstance(content, str)
            and content.strip() == pair[0]
        ):
            return pair[1]
        return original(from_format, to_format, content, *args, **kwargs)

    setattr(convert_between, _MARK, original)
    return convert_between


def _wrap_msgid(original: Callable[..., str]) -> Callable[..., str]:
    def make_msgid(*args: Any, **kwargs: Any) -> str:
        fixed = _MESSAGE_ID.get()
        return fixed if fixed is not None else original(*args, **kwargs)

    setattr(make_msgid, _MARK, original)
    return make_msgid


def install() -> None:
    """Wrap the e-mail plugin's ``convert_between`` and ``make_msgid`` (idempotent)."""
    for name, wrap in (("convert_between", _wrap), ("make_msgid", _wrap_msgid)):
        current = getattr(_email_base, name, None)
        if current is None:
            raise RuntimeError(
                f"apprise's e-mail plugin no longer calls {name}: see drawwatch.notify.email_parts"
            )
        if not hasattr(current, _MARK):
            setattr(_email_base, name, wrap(current))


@contextmanager
def plain_part(html: str, text: str) -> Iterator[None]:
    """Within this block, an e-mail sent with the HTML body ``html`` gets ``text`` as its text/plain part."""
    token = _PLAIN_PART.set((html.strip(), text))  # apprise strips the body before the plugin sees it
    try:
        yield
    finally:
        _PLAIN_PART.reset(token)


def message_id_for(key: str, sender: str | None) -> str:
    """The ``Message-ID`` of the e-mail with idempotency ``key``: ``<key@the sender's domain>``
    (``drawwatch.invalid`` when the sender has none)."""
    domain = (sender or "").rpartition("@")[2].strip().strip("<>") or "drawwatch.invalid"
    return f"<{key}@{domain}>"


@contextmanager
def message_id(value: str | None) -> Iterator[None]:
    """Within this block, an e-mail apprise builds gets ``value`` as its ``Message-ID`` (None: apprise's own)."""
    token = _MESSAGE_ID.set(value)
    try:
        yield
    finally:
        _MESSAGE_ID.reset(token)


install()
