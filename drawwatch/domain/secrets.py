"""Showing what a person typed or configured without showing a secret.

An import cell, a setting or the feed URL may hold an apprise URL, a bot token or a password, and a message
that quotes one puts it on terminals, in logs and in CI output. So a value is quoted only when its shape
proves it harmless (:func:`shown_value`: a short number, date or word, never letters mixed with digits, never
a URL); anything else is described by its length. A URL with a password keeps its user name and loses the
password (:func:`masked_url`), and text that may quote one is cleaned with :func:`masked_text`.

Pure and service-agnostic: which fields of an apprise URL are secret is apprise's knowledge, used by
:mod:`drawwatch.notify.urls` (the domain layer does not import apprise).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Final
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

MASK: Final = "***"
MAX_SHOWN: Final = 32  # longer values are described, never quoted
MIN_BARE_SECRET: Final = 4  # shorter passwords are masked only where they sit in a URL, not everywhere

# The only shapes a value may have to be quoted. A token or password mixes letters and digits or sits in a
# URL (":", "@", "://"), so none of these can hold one.
_HARMLESS: Final = (
    re.compile(r"[+-]?[0-9][0-9 .,_]*"),  # numbers: 450, -1, 4.5
    re.compile(r"[0-9][0-9:.+ -]*(?:[Tt ][0-9][0-9:.+ -]*)?[Zz]?"),  # 2026-03-01T18:34:05Z, 22:00-07:00
    re.compile(r"[A-Za-z][A-Za-z _-]*(?:/[A-Za-z][A-Za-z _-]*)*"),  # words, category keys, America/Toronto
)
_SCHEME: Final = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]{0,31})://")
# "scheme://user:password@" anywhere in a text, even in a URL nobody told us about.
_USERINFO: Final = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]*:)(?P<password>[^\s/@]+)@")
# Query parameters whose values are credentials by name (…?token=…, ?api_key=…, ?sig=…).
_SECRET_PARAM: Final = re.compile(r"pass|secret|token|key|auth|sig|credential", re.IGNORECASE)


def shown_value(value: object) -> str:
    """``value`` as a message may show it: quoted when provably harmless, else described, never quoted.

    >>> shown_value("450"), shown_value("tgram://987654321:AAE/1"), shown_value("hunter2")
    ("'450'", 'a tgram:// URL (not shown)', 'a value of 7 characters (not shown: it may be a secret)')
    """
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    if not isinstance(value, str):
        return f"a {type(value).__name__}"
    if len(value) <= MAX_SHOWN and any(shape.fullmatch(value) for shape in _HARMLESS):
        return repr(value)
    scheme = _SCHEME.match(value)
    if scheme:
        return f"a {scheme[1].lower()}:// URL (not shown)"
    return f"a value of {len(value):,} characters (not shown: it may be a secret)"


def shown_values(values: Iterable[object]) -> str:
    """Several values (unknown columns, keys) for one message, each through :func:`shown_value`."""
    return ", ".join(shown_value(value) for value in values)


def masked_url(url: str) -> str:
    """``url`` with its password (and credential-named query values) as ``***``; the user name stays.

    A URL that cannot be parsed is not shown at all.
    """
    try:
        parts = urlsplit(url)
        password = parts.password
        host = parts.netloc.rpartition("@")[2]
    except ValueError:
        return "<unparseable URL (not shown)>"
    netloc = parts.netloc
    if password is not None:
        user = parts.netloc.rpartition("@")[0].partition(":")[0]
        netloc = f"{user}:{MASK}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_SECRET_PARAM.search(key) for key, _ in pairs):
            query = urlencode(
                [(key, MASK if _SECRET_PARAM.search(key) else value) for key, value in pairs], safe="*/:@"
            )
    if netloc == parts.netloc and query == parts.query:
        return url  # nothing to mask: as written, not as urlunsplit would respell it
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def url_secrets(url: str) -> set[str]:
    """The parts of ``url`` that :func:`masked_url` hides, as written and percent-decoded."""
    try:
        parts = urlsplit(url)
        found = {parts.password} if parts.password else set()
        found.update(value for key, value in parse_qsl(parts.query) if value and _SECRET_PARAM.search(key))
    except ValueError:
        return {url} if url else set()
    return {form for secret in found for form in (secret, unquote(secret), quote(unquote(secret), safe=""))}


def masked_text(text: str, urls: Iterable[str] = ()) -> str:
    """``text`` with every password of ``urls`` (and of any ``scheme://user:password@`` in it) masked.

    For messages that may quote a URL or part of one: an error naming ``user:password@host``, a log line.
    """
    urls = [url for url in urls if url]
    for url in urls:
        text = text.replace(url, masked_url(url))
    text = _USERINFO.sub(lambda m: f"{m['head']}{MASK}@", text)
    secrets = set().union(*(url_secrets(url) for url in urls)) if urls else set()
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(f":{secret}@", f":{MASK}@")
        if len(secret) >= MIN_BARE_SECRET:
            text = text.replace(secret, MASK)
    return text


class MaskingFilter(logging.Filter):
    """A handler filter that passes every record with the secrets of ``urls`` masked (message and
    traceback): for log lines written by code that quotes a URL it was given (Scrapy, Twisted)."""

    def __init__(self, urls: Iterable[str]) -> None:
        super().__init__()
        self.urls = [url for url in urls if url]

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: the handler reports it ("--- Logging error ---")
            return True
        extra = ""
        if record.exc_info:
            extra = "\n" + logging.Formatter().formatException(record.exc_info)
        elif record.exc_text:
            extra = "\n" + record.exc_text
        masked = masked_text(message + extra, self.urls)
        if masked != message + extra:
            record.msg, record.args = masked, None
            record.exc_info, record.exc_text = None, None
        return True
