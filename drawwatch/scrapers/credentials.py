"""Credentials in the feed URL (``https://user:pass@host/…``): kept out of every URL that is fetched, logged,
shown or stored, and sent as an ``Authorization: Basic`` header to the feed's own site only.

Scrapy cannot fetch a URL with userinfo ("invalid hostname"), and everything downstream of the fetch (Scrapy's
request log lines, the check's summary, the stored feed state) names the URL. So the URL is split once: the
*public* URL, without userinfo, is what Scrapy requests and what ``FetchResult.url`` carries; the credentials
go into a header. The public URL is also the key of the stored feed state: it is the URL unchanged when there
are no credentials (so existing state keeps its key), and it stays the same when a password is rotated.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

from w3lib.http import basic_auth_header


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """``(public URL, (user, password))``; the URL unchanged and ``None`` when it holds no userinfo.

    User and password are percent-decoded, as RFC 3986 writes reserved characters in them.
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    public = urlunsplit(parts._replace(netloc=hostport))
    return public, (unquote(user), unquote(password))


def public_url(url: str) -> str:
    """``url`` without its userinfo: the form to fetch, log, show and key stored state by."""
    return split_credentials(url)[0]


def authorization_header(url: str) -> str | None:
    """The ``Authorization`` header value for the credentials in ``url``, or ``None`` when it has none."""
    credentials = split_credentials(url)[1]
    if credentials is None:
        return None
    return basic_auth_header(*credentials, encoding="utf-8").decode("ascii")  # RFC 7617: UTF-8
