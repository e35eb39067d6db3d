"""The e-mail's text/plain part from drawwatch's text template, not from apprise's HTML-to-text conversion.

apprise's e-mail plugin (``apprise.plugins.email.base.NotifyEmail.prepare_emails``, apprise 2.x) sends an HTML
body as ``multipart/alternative`` whose text/plain part it derives itself with
``convert_between(NotifyFormat.HTML, NotifyFormat.TEXT, body)``; it has no option for a separate text body.
So the one name it calls is wrapped (:func:`install`, once, at import): while :func:`plain_part` is active in
the current context, converting exactly that HTML body to text returns the rendered ``alert.txt.j2`` instead;
every other call goes to apprise's own function unchanged. The text is held in a :class:`ContextVar`, which
apprise copies into the worker thread that sends (``contextvars.copy_context().run``), so concurrent sends
never see each other's text. ``tests/notify/test_email_parts.py`` sends through a real SMTP server and fails
if an apprise upgrade stops calling the wrapped name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Final

from apprise import NotifyFormat
from apprise.plugins.email import base as _email_base

_PLAIN_PART: ContextVar[tuple[str, str] | None] = ContextVar("drawwatch_email_plain_part", default=None)
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


def install() -> None:
    """Wrap the e-mail plugin's ``convert_between`` (idempotent)."""
    current = getattr(_email_base, "convert_between", None)
    if current is None:
        raise RuntimeError(
            "apprise's e-mail plugin no longer calls convert_between: see drawwatch.notify.email_parts"
        )
    if not hasattr(current, _MARK):
        _email_base.convert_between = _wrap(current)


@contextmanager
def plain_part(html: str, text: str) -> Iterator[None]:
    """Within this block, an e-mail sent with the HTML body ``html`` gets ``text`` as its text/plain part."""
    token = _PLAIN_PART.set((html.strip(), text))  # apprise strips the body before the plugin sees it
    try:
        yield
    finally:
        _PLAIN_PART.reset(token)


install()
