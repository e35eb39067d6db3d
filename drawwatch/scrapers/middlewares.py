"""Downloader middlewares of a poll: conditional requests from validators kept in the database (as urlwatch keeps
them with the job state), and staying on the configured feed's site."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.statscollectors import StatsCollector


class ConditionalRequestMiddleware:
    """Adds ``If-None-Match`` / ``If-Modified-Since`` to feed requests when a previous check stored validators.

    Only requests marked ``meta["conditional"]`` are touched, so robots.txt is fetched plainly.
    """

    def __init__(self, validators: dict[str, str]):
        self.etag = validators.get("etag")
        self.last_modified = validators.get("last_modified")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.settings.getdict("DRAWWATCH_VALIDATORS"))

    def process_request(self, request: Request) -> None:
        if not request.meta.get("conditional"):
            return
        if self.etag:
            request.headers.setdefault(b"If-None-Match", self.etag.encode("latin-1"))
        if self.last_modified:
            request.headers.setdefault(b"If-Modified-Since", self.last_modified.encode("latin-1"))


@dataclass(frozen=True)
class Site:
    """Scheme, host and port of a URL, the port filled in from the scheme: what a redirect may not change."""

    scheme: str
    host: str
    port: int | None

    @classmethod
    def of(cls, url: str) -> Site:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        try:
            port = parts.port
        except ValueError:  # not a number: compared as "no port", which differs from the feed's
            port = None
        return cls(scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme))


_DEFAULT_PORTS = {"http": 80, "https": 443}
_ALLOW = "DRAWWATCH_ALLOWED_REDIRECT_HOSTS"
# The HTTP status of a redirect that was refused, for FetchResult.status: the feed server did answer.
REFUSED_REDIRECT_STATUS = "drawwatch/refused_redirect_status"


def redirect_refusal(feed: Site, target_url: str, allowed_hosts: Collection[str]) -> str | None:
    """Why a redirect to ``target_url`` must not be followed from the feed's site, or ``None`` to follow it.

    The same scheme, host and port are followed; another host (on any port) only when the operator lists it
    in ``allowed_hosts``; a step down from https to plain http never. The reason names the host, never the
    URL (whose query may be anything).
    """
    target = Site.of(target_url)
    if target == feed:
        return None
    if target.scheme not in _DEFAULT_PORTS:
        return f"the feed server redirected to an unsupported {target.scheme}: URL, which is not followed"
    if feed.scheme == "https" and target.scheme == "http":
        return f"the feed server redirected from https to plain http ({target.host}), which is never followed"
    if target.host in allowed_hosts:
        return None
    if target.host != feed.host:
        return f"the feed server redirected to another host, {target.host}; to follow it, add it to {_ALLOW}"
    if target.scheme != feed.scheme:
        return (
            f"the feed server redirected from {feed.scheme} to {target.scheme} ({target.host}); "
            f"set DRAWWATCH_FEED_URL to the {target.scheme} address"
        )
    return (
        f"the feed server redirected to another port, {target.host}:{target.port}; "
        f"to follow it, add {target.host} to {_ALLOW}"
    )


class FeedSiteMiddleware:
    """Keeps a poll on the configured feed's site.

    A redirect (HTTP or meta refresh) that leaves the site is refused before it is sent, robots.txt of the
    other host included, unless the operator allows the host: a hijacked or misconfigured CDN must not feed
    drawwatch rounds from anywhere. The feed URL's credentials (``DRAWWATCH_FEED_AUTHORIZATION``, see
    :mod:`~drawwatch.scrapers.credentials`) go to the feed's own site only, never to a host it redirects to.
    """

    def __init__(
        self,
        feed_url: str,
        allowed_hosts: Collection[str],
        authorization: str | None,
        stats: StatsCollector | None = None,
    ):
        self.stats = stats
        self.feed = Site.of(feed_url)
        self.allowed_hosts = frozenset(host.lower() for host in allowed_hosts)
        self.authorization = authorization.encode("ascii") if authorization else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        return cls(
            settings.get("DRAWWATCH_FEED_URL") or "",
            settings.getlist(_ALLOW),
            settings.get("DRAWWATCH_FEED_AUTHORIZATION"),
            crawler.stats,
        )

    def process_request(self, request: Request) -> None:
        if request.meta.get("redirect_urls"):
            refusal = redirect_refusal(self.feed, request.url, self.allowed_hosts)
            if refusal is not None:
                status = request.meta.get("redirect_reasons", [None])[-1]  # "meta refresh" for those
                if self.stats is not None and isinstance(status, int):
                    self.stats.set_value(REFUSED_REDIRECT_STATUS, status)
                raise IgnoreRequest(refusal)
        if (
            self.authorization
            and b"Authorization" not in request.headers
            and Site.of(request.url) == self.feed
        ):
            request.headers[b"Authorization"] = self.authorization
