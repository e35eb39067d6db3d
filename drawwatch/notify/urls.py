"""Notification URLs: whether apprise can use one, its redacted form for logs, and its secrets.

Every URL a subscriber gives is an apprise URL holding secrets, and drawwatch never stores, prints or logs one
as typed: it shows the form apprise's own plugin prints with ``privacy=True`` (custom HTTP header values
masked too), so which fields of a service are secret is apprise's knowledge, never a list kept here. A URL
apprise cannot parse is named by its scheme only, with a reason in words (:func:`why_unusable`), because the
raw text may be a mistyped token; apprise's own complaints, which quote it, are silenced while parsing
(:func:`~drawwatch.notify.log_guard.apprise_quiet`). The body format a service takes (HTML for e-mail and
Telegram, text otherwise) is decided from the URL's scheme here too.
"""

from __future__ import annotations

import contextlib
import re
from typing import Final
from urllib.parse import quote, unquote, urlsplit

from apprise import Apprise, NotifyFormat
from apprise.manager_plugins import NotificationManager
from apprise.plugins.base import NotifyBase

from drawwatch.domain.errors import InvalidInput
from drawwatch.notify.log_guard import MASK, apprise_quiet
from drawwatch.notify.message import RenderedMessage

# Scheme -> body format. Email gets multipart text+HTML (the text part from the text template, see
# email_parts); Telegram gets the short form (SHORT_FORM_SCHEMES), or when a message has none parse_mode=HTML
# with the HTML reduced to its supported tags. Everything else gets the plain-text rendering.
BODY_FORMATS: Final[dict[str, NotifyFormat]] = {
    "mailto": NotifyFormat.HTML,
    "mailtos": NotifyFormat.HTML,
    "tgram": NotifyFormat.HTML,
}
DEFAULT_BODY_FORMAT: Final = NotifyFormat.TEXT

# Chat services read on a phone: they get the message's short form (a few lines, the link once) whenever the
# message has one, not the full alert.
SHORT_FORM_SCHEMES: Final[frozenset[str]] = frozenset({"tgram"})

_MIN_SECRET_LEN: Final = 4  # shorter fragments are too common to mask without mangling every log line
_SCHEME_RE: Final = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]{0,31})://")
_PLUGINS: Final = NotificationManager()


class ChannelError(InvalidInput):
    """A notification URL that apprise cannot use; the message names the scheme, never the URL."""


def _scheme(url: str) -> str | None:
    match = _SCHEME_RE.match(url.strip())
    return match["scheme"].lower() if match else None


def instantiate(url: str) -> NotifyBase | None:
    """The apprise plugin for ``url``, or None; apprise's own complaints (which quote the URL) are dropped."""
    if not isinstance(url, str) or not url.strip():
        return None
    with apprise_quiet():
        try:
            plugin = Apprise.instantiate(url.strip())
        except Exception:  # a plugin that raises while parsing is just an unusable URL
            return None
    return plugin if isinstance(plugin, NotifyBase) else None


def placeholder(url: str) -> str:
    scheme = _scheme(url) if isinstance(url, str) else None
    if scheme is None:
        return "<unparseable apprise URL>"
    return f"<unparseable apprise URL with scheme '{scheme}'>"


def redact_plugin(plugin: NotifyBase) -> str:
    """``plugin.url(privacy=True)`` plus custom HTTP header values masked (apprise shows ``+Auth=…``)."""
    with apprise_quiet():
        text = plugin.url(privacy=True)
    base, sep, query = text.partition("?")
    if not sep:
        return text
    params = []
    for param in query.split("&"):
        key, eq, value = param.partition("=")
        if eq and value and unquote(key).startswith("+"):
            value = MASK
        params.append(f"{key}{eq}{value}")
    return f"{base}?{'&'.join(params)}"


def redact(url: str) -> str:
    """The URL as apprise's plugin prints it with ``privacy=True``: passwords and tokens masked.

    A URL apprise cannot parse gives a placeholder that names only the scheme, never the raw text (which
    may be a mistyped token).
    """
    plugin = instantiate(url)
    return placeholder(url) if plugin is None else redact_plugin(plugin)


def validate_url(url: str) -> str:
    """Check that apprise can send to ``url``; return its redacted form or raise :class:`ChannelError`."""
    plugin = instantiate(url)
    if plugin is None:
        raise ChannelError(why_unusable(url))
    return redact_plugin(plugin)


def why_unusable(url: str) -> str:
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


def url_secrets(url: str, plugin: NotifyBase | None = None, *, redacted: str | None = None) -> set[str]:
    """The parts of ``url`` that its redacted form masks: what must never reach a log.

    Apprise knows which fields of each service are secret, so a fragment of the plugin's full URL that does
    not survive into the privacy form is one. Both plain and percent-encoded spellings are returned.
    ``redacted``, when given, is :func:`redact_plugin` of ``plugin`` already computed by the caller.
    """
    plugin = plugin or instantiate(url)
    if plugin is None:
        return set()
    with apprise_quiet():
        full = unquote(plugin.url(privacy=False))
    redacted = unquote(redacted if redacted is not None else redact_plugin(plugin))
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


def prefers_short(url: str) -> bool:
    """Whether ``url``'s service gets the short form of a message that has one (Telegram)."""
    scheme = _scheme(url) if isinstance(url, str) else None
    return scheme in SHORT_FORM_SCHEMES


def body_for(url: str, message: RenderedMessage) -> str:
    """The rendering of ``message`` that matches :func:`body_format_for`."""
    return message.html if body_format_for(url) == NotifyFormat.HTML else message.text
